"""What a cadet sees of a finished attempt, by the quiz's review options, and a stored response in the shape the
review pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.attempts import settings as attempt_settings
from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState, ReviewWhen
from lectern.courses.quizzes.responses import InvalidResponse
from lectern.extensions import DbSession


@dataclass(frozen=True)
class ReviewOptions:
    """What a review shows: whether each answer is correct, marks, specific feedback (on the answer given), the
    question's general feedback, the right answer."""

    correctness: bool
    marks: bool
    feedback: bool
    general_feedback: bool
    correct: bool


TEACHER_REVIEW = ReviewOptions(True, True, True, True, True)
NOTHING = ReviewOptions(False, False, False, False, False)


def review_options(session: DbSession, attempt: Attempt, now: datetime) -> ReviewOptions:
    """What the cadet may see of their finished attempt now, by the quiz's review options."""
    if attempt.state is not AttemptState.FINISHED:
        return NOTHING
    closed = attempt_settings.settings_for(session, attempt.quiz, attempt.user_id).is_closed(now)

    def allowed(when: ReviewWhen) -> bool:
        return when is ReviewWhen.AFTER_ATTEMPT or (when is ReviewWhen.AFTER_CLOSE and closed)

    quiz = attempt.quiz
    return ReviewOptions(
        correctness=allowed(quiz.review_correctness),
        marks=allowed(quiz.review_marks),
        feedback=allowed(quiz.review_feedback),
        general_feedback=allowed(quiz.review_general_feedback),
        correct=allowed(quiz.review_correct),
    )


def response_for_display(answer: AttemptAnswer) -> object:
    """The stored response in the shape quiz_grading uses (JSON turned lists and dict keys into lists and str)."""
    if answer.response is None:
        return None
    try:
        return quiz_grading.normalise_response(answer.question, answer.response)
    except InvalidResponse:
        return None
