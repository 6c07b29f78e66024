"""Taking a quiz through HTTP: the quiz page, starting, saving answers as JSON, submitting, the review; building a
quiz's settings and questions; and the refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, select, update

from lectern.courses.models import Course
from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState, Quiz, QuizSlot
from lectern.extensions import db
from lectern.platform.models import LoginSession, Role, User, utcnow
from tests.factories import PASSWORD


@pytest.fixture
def world(app: Any, make: Any) -> dict[str, Any]:
    academy = make.academy()
    teacher = make.user(Role.INSTRUCTOR, academy)
    assistant = make.user(Role.INSTRUCTOR, academy)
    cadet = make.user(Role.CADET, academy)
    other = make.user(Role.CADET, academy)
    outsider = make.user(Role.CADET, academy)  # not enrolled
    course = make.course(academy.id)
    make.staff(course.id, teacher.id)
    make.staff(course.id, assistant.id, "assistant")
    make.enrol(course.id, cadet.id)
    make.enrol(course.id, other.id)
    ids = make.bank(course.id)
    quiz_id = make.quiz(course.id, ids, pass_percent=50.0).id
    return {
        "course": course,
        "teacher": teacher,
        "assistant": assistant,
        "cadet": cadet,
        "other": other,
        "outsider": outsider,
        "ids": ids,
        "quiz": quiz_id,
    }


def _urls(world: dict[str, Any]) -> dict[str, str]:
    base = f"/courses/{world['course'].id}/quizzes"
    return {"quiz": f"{base}/{world['quiz']}", "start": f"{base}/{world['quiz']}/start", "attempts": f"{base}/attempts"}


def _start(client: Any, world: dict[str, Any]) -> int:
    urls = _urls(world)
    response = client.submit(urls["start"], page=urls["quiz"])
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _save(client: Any, world: dict[str, Any], attempt_id: int, position: int, value: Any, seq: int = 1) -> Any:
    urls = _urls(world)
    token = client.csrf_token(urls["quiz"])
    return client.post(
        f"{urls['attempts']}/{attempt_id}/answers",
        json={"position": position, "response": value, "seq": seq},
        headers={"X-CSRFToken": token},
    )


def test_a_cadet_takes_the_quiz_and_sees_the_review(app: Any, client: Any, world: dict[str, Any]) -> None:
    client.login(world["cadet"].username)
    urls = _urls(world)
    page = client.get(urls["quiz"]).get_data(as_text=True)
    assert "Start the quiz" in page
    attempt_id = _start(client, world)
    html = client.get(f"{urls['attempts']}/{attempt_id}").get_data(as_text=True)
    assert 'data-save-url="' in html and "2 + 2 = ?" in html and "js/quiz.js" in html
    answers = {0: 0, 1: [0, 1], 2: True, 3: "Рига", 4: "3,14", 5: {"0": 0, "1": 1}, 6: "Check the photo."}
    for position, value in answers.items():
        reply = _save(client, world, attempt_id, position, value)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        assert reply.get_json()["seq"] == 1
    # A reload shows every saved answer.
    html = client.get(f"{urls['attempts']}/{attempt_id}").get_data(as_text=True)
    assert 'value="Рига"' in html and 'value="3,14"' in html and "Check the photo." in html
    finished = client.submit(f"{urls['attempts']}/{attempt_id}/submit", page=f"{urls['attempts']}/{attempt_id}")
    assert finished.status_code == 302 and finished.headers["Location"].endswith("/review")
    again = client.submit(f"{urls['attempts']}/{attempt_id}/submit", page=urls["quiz"])
    assert again.status_code == 302  # twice is harmless
    review = client.get(f"{urls['attempts']}/{attempt_id}/review").get_data(as_text=True)
    assert "Waiting for your instructor" in review  # the essay
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state is AttemptState.FINISHED and attempt.mark == 6.0


def test_the_form_without_javascript_saves_its_answers_on_submit(app: Any, client: Any, world: dict[str, Any]) -> None:
    client.login(world["cadet"].username)
    urls = _urls(world)
    attempt_id = _start(client, world)
    page = f"{urls['attempts']}/{attempt_id}"
    data = {"q0": "0", "q1": ["0", "1"], "q1-shown": "1", "q2": "true", "q3": "Riga", "q4": "3.14", "q5-0": "0"}
    client.submit(f"{page}/submit", data, page=page)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.mark == pytest.approx(5.5)  # matching half right, the essay blank


def test_the_submitted_form_saves_only_the_answers_it_changes(app: Any, client: Any, world: dict[str, Any]) -> None:
    # quiz.js saves each answer as it is given, then submits the page's form, which carries every answer again as
    # text: those already saved are not written a second time (on exam day every cadet submits at once).
    client.login(world["cadet"].username)
    urls = _urls(world)
    attempt_id = _start(client, world)
    for position, value in {0: 0, 1: [0, 1], 2: True, 3: "Riga", 4: "3.14", 5: {"0": 0, "1": 1}}.items():
        assert _save(client, world, attempt_id, position, value).status_code == 200
    page = f"{urls['attempts']}/{attempt_id}"
    data = {"q0": "0", "q1": ["1", "0"], "q1-shown": "1", "q2": "true", "q3": "Riga", "q4": "3.14", "q5-0": "0",
            "q5-1": "1", "q6": "Changed on submit."}  # fmt: skip
    with app.app_context():
        before = {a.position: (a.seq, a.saved_at) for a in db.session.scalars(select(AttemptAnswer))}
    client.submit(f"{page}/submit", data, page=page)
    with app.app_context():
        after = {a.position: (a.seq, a.saved_at) for a in db.session.scalars(select(AttemptAnswer))}
        essay = db.session.get(AttemptAnswer, (attempt_id, 6))
        assert essay is not None and essay.response == "Changed on submit." and essay.seq == 1
        assert db.session.get(Attempt, attempt_id).state is AttemptState.FINISHED
    assert {p: after[p] for p in range(6)} == {p: before[p] for p in range(6)}


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """The statements run inside the block, each on one line."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(" ".join(args[2].split()))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_the_quiz_page_and_the_start_read_the_enrolment_once(app: Any, client: Any, world: dict[str, Any]) -> None:
    # The quiz's page lets a cadet in only enrolled: the refusals to start (the page's, the Start button's) use that.
    client.login(world["cadet"].username)
    urls = _urls(world)
    with statements(app) as seen:
        token = client.csrf_token(urls["quiz"])
    assert sum(" FROM enrolment " in s for s in seen) == 1
    with statements(app) as seen:
        assert client.post(urls["start"], data={"csrf_token": token}).status_code == 302
    assert sum(" FROM enrolment " in s for s in seen) == 1


def test_the_quiz_page_counts_the_used_attempts_from_its_list(app: Any, client: Any, world: dict[str, Any]) -> None:
    # The page lists the cadet's attempts, and the refusal to start counts what was used from that list.
    client.login(world["cadet"].username)
    urls = _urls(world)
    attempt = f"{urls['attempts']}/{_start(client, world)}"
    assert client.submit(f"{attempt}/submit", page=attempt).status_code == 302  # finished: the page may offer another
    with statements(app) as seen:
        assert client.get(urls["quiz"]).status_code == 200
    assert not [s for s in seen if re.search(r"^SELECT count\(\*\).*\bFROM quiz_attempt\b", s, re.S)]


def _statements_of_start(app: Any, client: Any, world: dict[str, Any], page: bool = False) -> list[str]:
    """The statements of the cadet's Start button (and, with `page`, of the attempt page it leads to)."""
    client.login(world["cadet"].username)
    urls = _urls(world)
    token = client.csrf_token(urls["quiz"])
    with statements(app) as seen:
        started = client.post(urls["start"], data={"csrf_token": token})
        assert started.status_code == 302
        if page:
            assert client.get(started.headers["Location"]).status_code == 200
    return seen


def test_a_start_reads_the_quiz_s_slots_with_their_questions_in_one_statement(
    app: Any, client: Any, world: dict[str, Any]
) -> None:
    # A whole class presses Start in the same second: the fixed questions come joined to their slots.
    seen = _statements_of_start(app, client, world)
    reads = [s for s in seen if s.startswith("SELECT") and re.search(r"\bquiz_(slot|question)\b", s)]
    assert len(reads) == 1 and re.search(r"FROM quiz_slot LEFT OUTER JOIN quiz_question\b", reads[0])
    with app.app_context():
        answers = db.session.scalars(select(AttemptAnswer).order_by(AttemptAnswer.position)).all()
        assert [a.question_id for a in answers] == world["ids"] and all(a.question_data for a in answers)


def test_a_start_and_its_page_read_the_course_the_quiz_and_the_enrolment_together(
    app: Any, client: Any, world: dict[str, Any]
) -> None:
    # The Start button reads the course with whether the cadet may find it and is enrolled, the quiz and the cadet's
    # override of its settings in one statement (access.reachable); the attempt's page reads the enrolment with the
    # attempt.
    seen = _statements_of_start(app, client, world, page=True)
    reads = [s for s in seen if s.startswith("SELECT") and re.search(r"\b(course|quiz|enrolment)\b", s)]
    joined = [s for s in reads if re.search(r"FROM course\b.*\bquiz\b", s, re.S) and "enrolment" in s]
    assert len(joined) == 1 and "quiz_override" in joined[0]  # the start's
    assert not [s for s in seen if re.search(r"^SELECT quiz_override\.\w+.*\s+FROM quiz_override\s+WHERE", s, re.S)]
    assert not [s for s in reads if re.search(r"^SELECT enrolment\.id\s+FROM enrolment\s+WHERE", s)]
    assert not [s for s in reads if re.search(r"\bFROM course\s+WHERE course\.id = \S+\s*$", s)]  # no course alone
    assert len([s for s in reads if re.search(r"\bFROM quiz_attempt JOIN quiz\b", s) and "enrolment" in s]) == 1


def _one_answer_saved(client: Any, world: dict[str, Any]) -> tuple[int, str, str]:
    """The cadet signed in, an attempt started and its first answer saved: (attempt id, its page, a CSRF token)."""
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    assert _save(client, world, attempt_id, 0, 0).status_code == 200
    page = f"{_urls(world)['attempts']}/{attempt_id}"
    return attempt_id, page, client.csrf_token(page)


def test_a_submit_reads_the_quiz_once(app: Any, client: Any, world: dict[str, Any]) -> None:
    # On exam day everyone submits in the same seconds: the quiz read with the attempt serves the grading too.
    attempt_id, page, token = _one_answer_saved(client, world)
    with statements(app) as seen:
        assert client.post(f"{page}/submit", data={"csrf_token": token, "q0": "0"}).status_code == 302
    # The attempt comes with its quiz joined (FROM quiz_attempt ... JOIN quiz): no statement reads the quiz alone.
    assert not [s for s in seen if s.startswith("SELECT") and re.search(r"\bFROM quiz\b", s)]
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state is AttemptState.FINISHED


def test_a_submit_reads_the_attempt_s_answers_once(app: Any, client: Any, world: dict[str, Any]) -> None:
    # The form's answers are compared with the saved ones where the grading reads them, under the attempt's claim.
    attempt_id, page, token = _one_answer_saved(client, world)
    with statements(app) as seen:
        data = {"csrf_token": token, "q0": "0", "q2": "true", "q1": ["0", "9"], "q1-shown": "1"}
        assert client.post(f"{page}/submit", data=data).status_code == 302
    assert len([s for s in seen if s.startswith("SELECT") and re.search(r"\bFROM quiz_attempt_answer\b", s)]) == 1
    with app.app_context():
        answers = {a.position: a for a in db.session.scalars(select(AttemptAnswer))}
        assert answers[0].seq == 1 and answers[2].response is True and answers[2].seq == 1
        assert answers[1].response is None and answers[1].seq == 0  # no choice 9: what was saved stands
        assert answers[2].mark == 1.0 and db.session.get(Attempt, attempt_id).state is AttemptState.FINISHED


def test_the_attempt_page_shows_each_reader_their_own_answers_and_language(
    app: Any, client: Any, world: dict[str, Any], make: Any
) -> None:
    # The page's questions are rendered once and kept (views.question_html): what one cadet saved, and the language
    # one reads in, never shows on another's page.
    urls = _urls(world)
    client.login(world["cadet"].username)
    mine = _start(client, world)
    blank = client.get(f"{urls['attempts']}/{mine}").get_data(as_text=True)
    assert _save(client, world, mine, 3, "Рига").status_code == 200
    saved = client.get(f"{urls['attempts']}/{mine}").get_data(as_text=True)
    assert 'value="Рига"' in saved and 'value="Рига"' not in blank
    client.submit("/logout", page="/courses/")
    with app.app_context():
        russian = make.user(Role.CADET, db.session.get(Course, world["course"].id).academy, language="ru")
        make.enrol(world["course"].id, russian.id)
    client.login(world["other"].username)
    theirs = client.get(f"{urls['attempts']}/{_start(client, world)}").get_data(as_text=True)
    assert 'value="Рига"' not in theirs and "Question 1" in theirs
    client.submit("/logout", page="/courses/")
    client.login(russian.username)
    in_russian = client.get(f"{urls['attempts']}/{_start(client, world)}").get_data(as_text=True)
    assert "Вопрос 1" in in_russian and "Question 1" not in in_russian and 'value="Рига"' not in in_russian


def test_bad_answers_are_400_with_a_message(client: Any, world: dict[str, Any]) -> None:
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    reply = _save(client, world, attempt_id, 0, 99)
    assert reply.status_code == 400 and "no choice 99" in reply.get_json()["message"]
    assert _save(client, world, attempt_id, 0, "x" * 10, seq=-1).status_code == 400
    assert _save(client, world, attempt_id, 99, 0).status_code == 404
    token = client.csrf_token(_urls(world)["quiz"])
    elsewhere = f"/courses/{world['course'].id + 1}/quizzes/attempts/{attempt_id}/answers"  # another course's URL
    body = {"position": 0, "response": 0, "seq": 1}
    assert client.post(elsewhere, json=body, headers={"X-CSRFToken": token}).status_code == 404
    urls = _urls(world)
    token = client.csrf_token(urls["quiz"])
    not_json = client.post(f"{urls['attempts']}/{attempt_id}/answers", data="{", headers={"X-CSRFToken": token})
    assert not_json.status_code == 400
    no_token = client.post(f"{urls['attempts']}/{attempt_id}/answers", json={"position": 0, "response": 0, "seq": 1})
    assert no_token.status_code == 400


def test_another_cadet_cannot_see_or_answer_an_attempt(app: Any, client: Any, world: dict[str, Any]) -> None:
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    client.submit("/logout", page="/courses/")
    client.login(world["other"].username)
    urls = _urls(world)
    assert client.get(f"{urls['attempts']}/{attempt_id}").status_code == 404
    assert client.get(f"{urls['attempts']}/{attempt_id}/review").status_code == 404
    assert _save(client, world, attempt_id, 0, 0).status_code == 404
    assert client.submit(f"{urls['attempts']}/{attempt_id}/submit", page=urls["quiz"]).status_code == 404
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state is AttemptState.IN_PROGRESS


def test_a_save_checks_the_sign_in_in_its_own_read(app: Any, client: Any, world: dict[str, Any]) -> None:
    # The busiest request of an exam day: the sign-in the session names is checked in the save's one locking read
    # (with the attempt, its quiz, the enrolment and the answer), not by loading the user first.
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    client.csrf_token(_urls(world)["quiz"])
    with statements(app) as seen:
        assert _save(client, world, attempt_id, 0, 0).status_code == 200
    reads = [s for s in seen if s.startswith("SELECT")]
    assert len(reads) == 1 and re.search(r"\bFROM quiz_attempt JOIN quiz\b", reads[0]), reads
    assert "login_session" in reads[0] and "enrolment" in reads[0]
    assert len([s for s in seen if s.startswith("UPDATE quiz_attempt_answer")]) == 1


def _saved_seq(app: Any, attempt_id: int, position: int) -> int:
    with app.app_context():
        answer = db.session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.position == position)
        ).one()
        return answer.seq


@pytest.mark.parametrize("ended", ["signed out", "expired", "suspended"])
def test_a_save_whose_sign_in_has_ended_is_sent_to_sign_in(
    app: Any, client: Any, world: dict[str, Any], ended: str
) -> None:
    # The session still names the sign-in, which no longer holds: the save goes where any page would send it, and
    # nothing is saved.
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    client.csrf_token(_urls(world)["quiz"])
    with app.app_context():
        if ended == "signed out":
            db.session.execute(delete(LoginSession))
        elif ended == "expired":
            db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        else:
            db.session.execute(update(User).where(User.id == world["cadet"].id).values(active=False))
        db.session.commit()
    reply = _save(client, world, attempt_id, 0, 0)
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]
    assert _saved_seq(app, attempt_id, 0) == 0


def test_a_save_signed_in_by_the_remember_me_cookie_alone_is_saved(
    app: Any, client: Any, world: dict[str, Any]
) -> None:
    # A new browser session: no sign-in in the session cookie, the remember-me cookie signs the cadet back in.
    client.submit("/login", {"username": world["cadet"].username, "password": PASSWORD, "remember": "y"})
    attempt_id = _start(client, world)
    client.delete_cookie("lectern_session")
    assert _save(client, world, attempt_id, 0, 0).status_code == 200
    assert _saved_seq(app, attempt_id, 0) == 1


def test_answers_after_the_deadline_are_refused(app: Any, client: Any, world: dict[str, Any]) -> None:
    with app.app_context():
        db.session.get(Quiz, world["quiz"]).time_limit_minutes = 10
        db.session.commit()
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    assert _save(client, world, attempt_id, 0, 0).status_code == 200
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    reply = _save(client, world, attempt_id, 1, [0])
    assert reply.status_code == 409 and reply.get_json()["error"] == "closed"
    urls = _urls(world)
    assert client.get(f"{urls['attempts']}/{attempt_id}").headers["Location"].endswith("/review")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state is AttemptState.FINISHED and attempt.mark == 1.0  # what was saved in time


def test_no_attempt_beyond_the_limit(app: Any, client: Any, world: dict[str, Any]) -> None:
    with app.app_context():
        db.session.get(Quiz, world["quiz"]).attempts_allowed = 1
        db.session.commit()
    client.login(world["cadet"].username)
    urls = _urls(world)
    attempt_id = _start(client, world)
    client.submit(f"{urls['attempts']}/{attempt_id}/submit", page=urls["quiz"])
    refused = client.submit(urls["start"], page=urls["quiz"], follow_redirects=True)
    assert "You have no attempts left." in refused.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Attempt)).all()) == 1


def test_who_sees_the_quiz(app: Any, client: Any, world: dict[str, Any]) -> None:
    urls = _urls(world)
    client.login(world["outsider"].username)
    assert client.get(urls["quiz"]).status_code == 403
    assert client.submit(urls["start"], page="/learning").status_code == 403
    client.submit("/logout", page="/courses/")
    with app.app_context():
        db.session.get(Quiz, world["quiz"]).published = False
        db.session.commit()
    client.login(world["cadet"].username)
    assert client.get(urls["quiz"]).status_code == 404  # a draft does not exist for cadets
    client.submit("/logout", page="/courses/")
    client.login(world["assistant"].username)
    assert client.get(urls["quiz"]).status_code == 200
    assert client.get(f"/courses/{world['course'].id}/quizzes/{world['quiz']}/settings").status_code == 403


def test_an_instructor_builds_a_quiz(app: Any, client: Any, world: dict[str, Any]) -> None:
    course_id = world["course"].id
    client.login(world["teacher"].username)
    created = client.submit(
        f"/courses/{course_id}/quizzes/new",
        {
            "title": "Checkpoint",
            "published": "y",
            "time_limit_minutes": "15",
            "attempts_allowed": "2",
            "grading_method": "average",
            "pass_percent": "60",
            "required_for_completion": "y",
            "shuffle_answers": "y",
            "review_marks": "after_attempt",
            "review_feedback": "after_attempt",
            "review_correct": "after_close",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    quiz_id = int(created.headers["Location"].split("/")[-2])
    questions = f"/courses/{course_id}/quizzes/{quiz_id}/questions"
    client.submit(f"{questions}/add", {"question_id": [str(world["ids"][0]), str(world["ids"][1])]}, page=questions)
    with app.app_context():
        category_id = db.session.scalar(select(QuizSlot.question_id).where(QuizSlot.quiz_id == quiz_id))
        from lectern.courses.quizzes.models import BankQuestion

        category_id = db.session.get(BankQuestion, world["ids"][2]).category_id
    client.submit(f"{questions}/random", {"category_id": str(category_id), "count": "2"}, page=questions)
    page = client.get(questions).get_data(as_text=True)
    assert "A random question from Top/Default" in page
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        assert quiz.time_limit_minutes == 15 and quiz.pass_percent == 60.0 and quiz.required_for_completion
        assert [s.question_id is not None for s in quiz.slots] == [True, True, False, False]
        slot_ids = [s.id for s in quiz.slots]
    client.submit(
        f"/courses/{course_id}/quizzes/{quiz_id}/slots/{slot_ids[1]}/move", {"direction": "up"}, page=questions
    )
    client.submit(f"/courses/{course_id}/quizzes/{quiz_id}/slots/{slot_ids[3]}/remove", page=questions)
    client.submit(f"/courses/{course_id}/quizzes/{quiz_id}/slots/{slot_ids[0]}/mark", {"mark": "2.5"}, page=questions)
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        assert [s.id for s in quiz.slots] == [slot_ids[1], slot_ids[0], slot_ids[2]]
        assert quiz.slots[1].mark == 2.5
    # A question of another course's bank cannot be added.
    other_course = world["course"].id + 1000
    assert other_course
    refused = client.submit(f"{questions}/add", {"question_id": "999999"}, page=questions)
    assert refused.status_code == 404


def _without_tokens(page: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", page)


def test_a_random_question_is_drawn_per_attempt_and_kept_on_reload(
    app: Any, client: Any, world: dict[str, Any]
) -> None:
    with app.app_context():
        quiz = db.session.get(Quiz, world["quiz"])
        category_id = quiz.slots[0].question.category_id
        quiz.slots = [QuizSlot(position=0, category_id=category_id, mark=1.0)]
        db.session.commit()
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    urls = _urls(world)
    # The same page twice, but for the forms' CSRF tokens, which carry the second they were made in.
    first, again = (client.get(f"{urls['attempts']}/{attempt_id}").get_data(as_text=True) for _ in range(2))
    assert _without_tokens(again) == _without_tokens(first)
    with app.app_context():
        answers = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)).all()
        assert len(answers) == 1 and answers[0].question_id in world["ids"]


def test_passing_a_required_quiz_completes_the_course(app: Any, client: Any, world: dict[str, Any]) -> None:
    with app.app_context():
        quiz = db.session.get(Quiz, world["quiz"])
        quiz.required_for_completion = True
        quiz.slots = quiz.slots[:1]
        db.session.commit()
    client.login(world["cadet"].username)
    course_page = f"/courses/{world['course'].id}"
    assert "Completed on" not in client.get(course_page).get_data(as_text=True)
    attempt_id = _start(client, world)
    _save(client, world, attempt_id, 0, 0)
    urls = _urls(world)
    client.submit(f"{urls['attempts']}/{attempt_id}/submit", page=urls["quiz"])
    page = client.get(course_page).get_data(as_text=True)
    assert "Passed" in page and "Completed on" in page


@pytest.mark.parametrize(
    ("language", "reason"), [("ru", "Этот ответ нельзя сохранить: нет варианта 99"), ("en", "no choice 99")]
)
def test_a_refused_answer_is_explained_in_the_cadets_language(
    app: Any, client: Any, world: dict[str, Any], language: str, reason: str
) -> None:
    """The grader's refusal is translated as a whole: the frame and the reason (it was English inside Russian)."""
    with app.app_context():
        db.session.get(type(world["cadet"]), world["cadet"].id).language = language
        db.session.commit()
    client.login(world["cadet"].username)
    reply = _save(client, world, _start(client, world), 0, 99)
    assert reply.status_code == 400
    assert reason in reply.get_json()["message"]
