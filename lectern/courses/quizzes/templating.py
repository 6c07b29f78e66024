"""What quiz templates need from Python: question text as safe HTML, and one answered question laid out for review
(`courses/quizzes/_review_macros.html`, shared by the teacher's and the cadet's review pages)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Flask
from markupsafe import Markup

from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes import render as quiz_render
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.gradebook.forms import GRADE_STATE_LABELS, QUESTION_TYPE_SHORT
from lectern.courses.quizzes.models import REVIEW_SETTINGS, Attempt, AttemptAnswer
from lectern.courses.quizzes.questions import NumericAnswer, Question, QuestionType


@dataclass(frozen=True)
class ChoiceLine:
    """A choice (SINGLE, MULTIPLE) as the cadet saw it."""

    text: Markup
    fraction: float
    chosen: bool
    feedback: Markup | None


@dataclass(frozen=True)
class MatchLine:
    """A left item of a MATCHING question, the option chosen for it and the right one."""

    stem: Markup
    chosen: Markup | None
    right: Markup
    ok: bool


@dataclass(frozen=True)
class Review:
    question: Question
    text: Markup
    answered: bool
    choices: list[ChoiceLine]  # SINGLE, MULTIPLE: in the order shown to the cadet
    matches: list[MatchLine]  # MATCHING: in the order shown
    truth: bool | None  # TRUE_FALSE: the answer given
    typed: Markup | None  # SHORT, NUMERICAL, ESSAY: the text typed
    correct: list[Markup]  # SHORT, NUMERICAL: the answers that earn the most
    feedback: list[Markup]  # for the answers chosen
    general_feedback: Markup | None
    overall_feedback: Markup | None  # Moodle's combined feedback for the response's grade
    not_a_number: bool


def _numeric(answer: NumericAnswer) -> str:
    if answer.low is not None and answer.high is not None:
        return f"{answer.low:g} \u2013 {answer.high:g}"
    return f"{answer.value:g} \u00b1 {answer.tolerance:g}" if answer.tolerance else f"{answer.value:g}"


def _order(question: Question, seed: str | None, size: int) -> tuple[int, ...]:
    return quiz_grading.shuffled(question, seed).order if seed is not None else tuple(range(size))


def answer_review(answer: AttemptAnswer, response: object, seed: str | None) -> Review:
    """One answered question laid out for the review macro. `response` is `quiz_attempts.response_for_display`;
    `seed` orders choices and stems as the cadet saw them (None: the question's own order)."""
    q = answer.question
    fmt = q.text_format
    try:
        graded = quiz_grading.grade(q, response)
    except quiz_grading.InvalidResponse:  # a response stored for an older shape of the question
        graded, response = quiz_grading.Grade(0.0, 0.0, (), "unanswered"), None
    choices: list[ChoiceLine] = []
    matches: list[MatchLine] = []
    correct: list[Markup] = []
    typed: Markup | None = None
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        chosen: set[int] = set(response) if isinstance(response, frozenset) else set()
        if isinstance(response, int):
            chosen = {response}
        for i in _order(q, seed, len(q.choices)):
            c = q.choices[i]
            feedback = quiz_render.inline(c.feedback, fmt) if c.feedback and i in chosen else None
            choices.append(ChoiceLine(quiz_render.inline(c.text, fmt), c.fraction, i in chosen, feedback))
    elif q.type is QuestionType.MATCHING:
        stems, options = quiz_grading.matching_stems(q), quiz_grading.matching_options(q)
        given = response if isinstance(response, dict) else {}
        for i in _order(q, seed, len(stems)):
            pick = given.get(i)
            matches.append(
                MatchLine(
                    stem=quiz_render.inline(stems[i].left, fmt),
                    chosen=quiz_render.inline(options[pick], fmt) if pick is not None else None,
                    right=quiz_render.inline(stems[i].right, fmt),
                    ok=pick is not None and options[pick] == stems[i].right,
                )
            )
    elif q.type in (QuestionType.SHORT, QuestionType.NUMERICAL, QuestionType.ESSAY) and isinstance(response, str):
        typed = quiz_render.text(response, "plain")
    if q.type is QuestionType.SHORT:
        best = max((a.fraction for a in q.answers), default=0.0)
        correct = [Markup.escape(a.text) for a in q.answers if best > 0 and math.isclose(a.fraction, best)]
    elif q.type is QuestionType.NUMERICAL:
        ranges = [n for n in q.numeric if not (n.low is not None and math.isinf(n.low) and math.isinf(n.high or 0))]
        best = max((n.fraction for n in ranges), default=0.0)
        correct = [Markup.escape(_numeric(n)) for n in ranges if best > 0 and math.isclose(n.fraction, best)]
    return Review(
        question=q,
        text=quiz_render.text(q.text, fmt),
        answered=graded.state != "unanswered",
        choices=choices,
        matches=matches,
        truth=response if q.type is QuestionType.TRUE_FALSE and isinstance(response, bool) else None,
        typed=typed,
        correct=correct,
        feedback=[quiz_render.text(f, fmt) for f in graded.feedback],
        general_feedback=quiz_render.text(q.general_feedback, fmt) if q.general_feedback else None,
        overall_feedback=quiz_render.text(overall, fmt)
        if (overall := quiz_grading.combined_feedback(q, graded.state))
        else None,
        not_a_number=graded.note == quiz_grading.NOT_A_NUMBER,
    )


def review_seed(attempt: Attempt, position: int) -> str | None:
    """The seed that orders one question's choices as the cadet saw them; None when the quiz does not shuffle."""
    return quiz_attempts.shuffle_seed(attempt, position) if attempt.quiz.shuffle_answers else None


def init_app(app: Flask) -> None:
    app.jinja_env.filters["question_text"] = quiz_render.text
    app.jinja_env.filters["question_inline"] = quiz_render.inline
    app.jinja_env.globals.update(
        answer_review=answer_review,
        answer_response=quiz_attempts.response_for_display,
        review_seed=review_seed,
        grade_state_labels=GRADE_STATE_LABELS,
        question_type_short=QUESTION_TYPE_SHORT,
        review_settings=REVIEW_SETTINGS,
        teacher_review=quiz_attempts.TEACHER_REVIEW,
    )
