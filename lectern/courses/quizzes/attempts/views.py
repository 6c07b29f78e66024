"""Taking quizzes: the quiz page, starting an attempt, the attempt page (each answer saved as it is given, through
a small JSON endpoint that lectern/static/js/quiz.js calls and retries), submitting, and the cadet's review."""

from __future__ import annotations

import json
from functools import partial
from typing import Any, TypeGuard

from flask import (
    Blueprint,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from lectern.courses import access
from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.attempts import review as attempt_review
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.attempts.services import Refusal
from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState
from lectern.courses.quizzes.questions import Question, QuestionType
from lectern.courses.quizzes.responses import InvalidResponse
from lectern.domain import Conflict, Forbidden, NotFound
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import lazy_gettext as _l
from lectern.i18n import render
from lectern.platform.accounts import sessions
from lectern.platform.cache import Lru
from lectern.platform.models import User, utcnow
from lectern.platform.roles import login_required, signed_in_user

bp = Blueprint("quizzes", __name__, url_prefix="/courses")

REFUSALS = {
    Refusal.NOT_PUBLISHED: _l("This quiz is not published yet."),
    Refusal.NOT_OPEN: _l("This quiz is not open yet."),
    Refusal.CLOSED: _l("This quiz is closed."),
    Refusal.NO_ATTEMPTS_LEFT: _l("You have no attempts left."),
    Refusal.NO_QUESTIONS: _l("This quiz has no questions yet."),
    Refusal.NOT_ENROLLED: _l("Only cadets enrolled in the course take its quizzes."),
}
# Why an attempt in progress cannot go on now (quiz_attempts.check_access); it is kept, not lost.
PAUSED = {
    Refusal.NOT_PUBLISHED: _l(
        "This quiz has been hidden, so your attempt cannot go on for now. It is kept with every answer you saved: "
        "you can finish it if the quiz is shown again before it closes."
    ),
    Refusal.NOT_ENROLLED: _l(
        "You are no longer enrolled in this course, so your attempt cannot go on for now. It is kept with every "
        "answer you saved: you can finish it if you are enrolled again before it closes."
    ),
}

# Why a finished attempt cannot be reviewed now (as Moodle: the review needs the same access as taking the quiz).
UNREVIEWABLE = {
    Refusal.NOT_PUBLISHED: _l("This quiz has been hidden, so its attempts cannot be reviewed for now."),
    Refusal.NOT_ENROLLED: _l("You are no longer enrolled in this course, so its attempts cannot be reviewed."),
}


def _quiz(course_id: int, quiz_id: int) -> quiz_attempts.OpenedQuiz:
    """The quiz as the user opens it: cadets see published quizzes of courses they follow."""
    return quiz_attempts.quiz_for(db.session, signed_in_user(), course_id, quiz_id)


def _attempt(course_id: int, attempt_id: int) -> tuple[Attempt, bool]:
    """The signed-in user's own attempt at a quiz of this course (anyone else's is 404), and whether they are
    enrolled in the course."""
    return quiz_attempts.own_attempt_enrolled(db.session, signed_in_user(), attempt_id, course_id)


def _may_continue(attempt: Attempt, enrolled: bool) -> None:
    """A 403 page that says why, unless the user may go on with the attempt now."""
    try:
        quiz_attempts.check_access(db.session, attempt, signed_in_user(), enrolled)
    except Forbidden as refused:
        raise Forbidden(refused.reason, str(PAUSED[Refusal(refused.reason)])) from None


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>")
@login_required
def quiz(course_id: int, quiz_id: int) -> ResponseReturnValue:
    opened = _quiz(course_id, quiz_id)
    course, item, teaching, settings = opened.course, opened.quiz, opened.teaching, opened.settings
    user = signed_in_user()
    now = utcnow()
    # The deadline is the server's: attempts whose time ran out are finished (and committed) by whoever looks.
    quiz_attempts.finish_overdue(db.session, item, now, user_id=user.id)
    attempts = quiz_attempts.attempts_of(db.session, item, user.id)
    current = next((a for a in attempts if a.state is AttemptState.IN_PROGRESS), None)
    refusal = None
    if current is None:
        used = len(attempts)  # the attempts listed are all the cadet's at this quiz: no count of them again
        refusal = quiz_attempts.refusal(db.session, item, user, now, settings, used=used, enrolled=opened.enrolled)
    grade = marking.quiz_grades(db.session, item, [user.id]).get(user.id)
    return render_template(
        "courses/quizzes/quiz.html",
        course=course,
        quiz=item,
        teaching=teaching,
        editing=access.can_edit(db.session, user, course),
        attempts=attempts,
        current=current,
        settings=settings,
        refusal=REFUSALS[refusal] if refusal and not teaching else None,
        can_start=refusal is None,
        grade=grade,
        passed=marking.passed(item, grade),
        marks_shown={a.id: attempt_review.review_options(db.session, a, now).marks for a in attempts},
    )


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/start", methods=["POST"])
@login_required
def start(course_id: int, quiz_id: int) -> ResponseReturnValue:
    opened = _quiz(course_id, quiz_id)
    try:
        attempt_id = quiz_attempts.begin(
            db.session, opened.quiz, signed_in_user(), utcnow(), enrolled=opened.enrolled, settings=opened.settings
        )
    except Forbidden as refused:
        flash(str(REFUSALS[Refusal(refused.reason)]), "error")
        return redirect(url_for(".quiz", course_id=course_id, quiz_id=quiz_id))
    return redirect(url_for(".attempt", course_id=course_id, attempt_id=attempt_id))


def choice_order(attempt: Attempt, answer: AttemptAnswer) -> quiz_grading.Order:
    """The order the attempt shows a question's choices (or matching stems) in."""
    question = answer.question
    if not attempt.quiz.shuffle_answers:
        question = Question(**{**question.__dict__, "shuffle": False})
    return quiz_grading.shuffled(question, quiz_attempts.shuffle_seed(attempt, answer.position))


def option_order(attempt: Attempt, answer: AttemptAnswer) -> quiz_grading.Order:
    return quiz_grading.shuffled_options(answer.question, quiz_attempts.shuffle_seed(attempt, answer.position))


@bp.route("/<id:course_id>/quizzes/attempts/<id:attempt_id>")
@login_required
def attempt(course_id: int, attempt_id: int) -> ResponseReturnValue:
    item, enrolled = _attempt(course_id, attempt_id)
    now = utcnow()
    if item.state is AttemptState.IN_PROGRESS and item.deadline and now > item.deadline + quiz_attempts.GRACE:
        quiz_attempts.finish(db.session, item, now)
        flash(_("Time is up: your attempt was submitted with the answers saved before the deadline."), "warning")
    if item.state is AttemptState.FINISHED:
        return redirect(url_for(".review", course_id=course_id, attempt_id=item.id))
    _may_continue(item, enrolled)
    locale = str(get_locale() or "")  # the page's language, looked up once for its questions
    return render_template(
        "courses/quizzes/attempt.html",
        course=item.quiz.course,
        quiz=item.quiz,
        attempt=item,
        now=now,
        questions=[question_html(item, answer, number, locale) for number, answer in enumerate(item.answers, 1)],
    )


# The attempt page's questions as rendered, by all that a question's markup is made of: on exam day every cadet
# opens the same questions at the same moment, most with nothing answered yet, and each is rendered once (it was
# half of the page's cost). Bounded: a cadet coming back to a half-answered attempt adds their own few.
_RENDERED = Lru(size=4096, max_age=float("inf"))


def question_html(attempt: Attempt, answer: AttemptAnswer, number: int, locale: str) -> Markup:
    """One question of the attempt page (templates/courses/quizzes/_attempt_question.html), rendered once for the
    same question, language (`locale`, the page's), place, choice order, response and save state."""
    question = answer.question
    kind = question.type
    order = choice_order(attempt, answer).order if kind in _ORDERED else ()
    options = option_order(attempt, answer).order if kind is QuestionType.MATCHING else ()
    response = attempt_review.response_for_display(answer)
    key = (
        locale,
        json.dumps(answer.question_data, sort_keys=True),
        answer.position,
        number,
        answer.max_mark,
        tuple(order),
        tuple(options),
        repr(sorted(response) if isinstance(response, (set, frozenset)) else response),
        answer.seq,
        answer.saved_at is not None,
    )
    found = _RENDERED.get(key)
    if not isinstance(found, Markup):  # not kept yet
        macro = get_template_attribute("courses/quizzes/_attempt_question.html", "question")
        found = Markup(macro(answer, question, number, response, order, options, QuestionType,  # noqa: S704
                             quiz_grading.matching_stems, quiz_grading.matching_options))  # fmt: skip
        _RENDERED.put(key, found)
    return found


_ORDERED = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.MATCHING)


def _json_error(status: int, error: str, message: str) -> ResponseReturnValue:
    return jsonify({"error": error, "message": message}), status


def _counter(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


@bp.route("/<id:course_id>/quizzes/attempts/<id:attempt_id>/answers", methods=["POST"])
def save(course_id: int, attempt_id: int) -> ResponseReturnValue:
    """Save one answer: JSON {"position", "response", "seq"}. 200 once it is committed, 409 when the attempt is
    closed, 403 when the cadet may not go on with it now (unenrolled, the quiz hidden: the attempt is kept), 400 for
    a malformed request or a response of the wrong shape, 404 for someone else's attempt.

    The busiest request of an exam, so who sends it is checked in the save's own read: the sign-in the session names
    must be open and the attempt its user's (one statement fewer than loading the user first). Where it is not (no
    sign-in in the session, a remember-me cookie, an ended sign-in, someone else's attempt), the request goes the
    usual way: `login_required`'s answer, or the signed-in user's save."""
    token = session.get("_user_id")  # where Flask-Login keeps the sign-in's token (User.get_id)
    if not isinstance(token, str):
        return _save_as_user(course_id, attempt_id)
    return _save(course_id, attempt_id, sessions.SignIn(token))


@login_required
def _save_as_user(course_id: int, attempt_id: int) -> ResponseReturnValue:
    return _save(course_id, attempt_id, signed_in_user())


def _save(course_id: int, attempt_id: int, who: User | sessions.SignIn) -> ResponseReturnValue:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(400, "bad_request", _("Send the answer as JSON."))
    position, seq = data.get("position"), data.get("seq")
    if not (_counter(position) and _counter(seq)):
        return _json_error(400, "bad_request", _("The answer needs a position and a sequence number."))
    try:
        saved = quiz_attempts.save_answer(
            db.session, attempt_id, who, position, data.get("response"), seq, utcnow(), course_id=course_id
        )
    except NotFound:
        if isinstance(who, User):
            raise
        db.session.rollback()  # the attempt's row, if it was read, is let go
        return _save_as_user(course_id, attempt_id)
    except Conflict:  # quiz.js reads these codes: it stops sending, and says why
        return _json_error(409, "closed", _("This attempt is closed: the answer was not saved."))
    except Forbidden as refused:
        return _json_error(403, str(refused.reason), str(PAUSED[Refusal(refused.reason)]))
    except InvalidResponse as invalid:
        db.session.rollback()
        return _json_error(400, "invalid", _("This answer cannot be saved: %(reason)s", reason=render(invalid.message)))
    return jsonify({"position": saved.position, "seq": saved.seq, "saved_at": saved.saved_at.isoformat()})


def _form_response(question: Question, position: int, form: MultiDict[str, str]) -> tuple[bool, Any]:
    """The answer to one question as the attempt form (without JavaScript) sends it; (False, None) if absent."""
    name = f"q{position}"
    kind = question.type
    if kind is QuestionType.MULTIPLE:
        if f"{name}-shown" not in form:
            return False, None
        return True, form.getlist(name)
    if kind is QuestionType.MATCHING:
        chosen = {str(i): form.get(f"{name}-{i}") or None for i in range(len(quiz_grading.matching_stems(question)))}
        return any(f"{name}-{i}" in form for i in range(len(chosen))), chosen
    if name not in form:
        return False, None
    return True, form.get(name)


@bp.route("/<id:course_id>/quizzes/attempts/<id:attempt_id>/submit", methods=["POST"])
@login_required
def submit(course_id: int, attempt_id: int) -> ResponseReturnValue:
    """Finish the attempt. The form carries every answer too, so a browser without JavaScript loses nothing;
    an answer the form does not carry keeps its saved value. Submitting twice is harmless."""
    item, enrolled = _attempt(course_id, attempt_id)
    now = utcnow()
    given: quiz_attempts.Given | None = None
    if item.state is AttemptState.IN_PROGRESS and not (item.deadline and now > item.deadline + quiz_attempts.GRACE):
        _may_continue(item, enrolled)
        given = partial(_form_response, form=request.form)
    submitted = _("Your attempt is submitted.")  # worded before the commit, which would make the reader read again
    # The form carries every answer on the page: most were saved as they were given, and finish() keeps the others.
    if quiz_attempts.finish(db.session, item, now, given):
        flash(submitted, "success")
    return redirect(url_for(".review", course_id=course_id, attempt_id=attempt_id))


@bp.route("/<id:course_id>/quizzes/attempts/<id:attempt_id>/review")
@login_required
def review(course_id: int, attempt_id: int) -> ResponseReturnValue:
    item, enrolled = _attempt(course_id, attempt_id)
    now = utcnow()
    if item.state is AttemptState.IN_PROGRESS:
        if not (item.deadline and now > item.deadline + quiz_attempts.GRACE):
            return redirect(url_for(".attempt", course_id=course_id, attempt_id=item.id))
        quiz_attempts.finish(db.session, item, now)  # committed: the deadline is kept whatever the access
    if (refused := quiz_attempts.access_refusal(db.session, item.quiz, signed_in_user(), enrolled)) is not None:
        raise Forbidden(refused, str(UNREVIEWABLE[refused]))
    options = attempt_review.review_options(db.session, item, now)
    return render_template(
        "courses/quizzes/review.html",
        course=item.quiz.course,
        quiz=item.quiz,
        attempt=item,
        options=options,
        responses={a.position: attempt_review.response_for_display(a) for a in item.answers},
        seeds={a.position: quiz_attempts.shuffle_seed(item, a.position) for a in item.answers},
    )
