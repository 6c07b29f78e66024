"""The attempt rules under concurrency, on SQLite and PostgreSQL: two tabs saving one answer, saves racing the
deadline, a submit racing saves, two tabs submitting, two tabs starting, and a class starting and submitting at once.
Nothing acknowledged is lost, nothing is counted twice.

Each test serves its app with Werkzeug's threaded server on loopback; cadets are `requests` sessions signed in
through the login form, one per tab, so every request has its own thread, database session and connection. The
requests of a race wait at a `threading.Barrier` and leave together; each race runs for several rounds, and the
database is read after each round. The tests assert invariants, never which request won.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import pytest
import requests
from flask import Flask
from sqlalchemy import select, update
from werkzeug.serving import ThreadedWSGIServer, make_server

from lectern.courses.quizzes.attempts.services import GRACE
from lectern.courses.quizzes.models import Attempt, AttemptState, QuizPass
from lectern.extensions import db
from lectern.platform.models import Role, User, utcnow
from tests import factories

ROUNDS = 10  # rounds of each two-tab race: enough for an interleaving that loses an answer to show up
TIMEOUT = 30  # seconds: a request or a barrier that waits this long is a hang, not a slow machine
TABS = 4  # tabs of one cadet pressing Start together (a double click and another tab)
START_ROUNDS = 16  # a start's window is narrow on PostgreSQL: about one round in six shows a double start there
CLASS = 20  # cadets starting and submitting together
QUESTIONS = 8  # true/false statements, each true and worth 1: an answer's mark is 1 exactly when it is True
SAVERS = 12  # saves in flight when the deadline passes, one question each
DEADLINE_ROUNDS = 10  # rounds of saves racing the deadline
LEAD = timedelta(milliseconds=20)  # a race's threads are all waiting well before this
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMITTED = "Your attempt is submitted."  # the flash of the request that finished the attempt (finish() -> True)

T = TypeVar("T")


@pytest.fixture
def app(app_factory: Any, database: Any) -> Flask:
    """The test's app with a connection pool larger than the most requests in flight at once (the class and its
    checks), so that no request waits for a connection rather than for the database."""
    options = {"pool_pre_ping": True, **database.engine_options, "pool_size": CLASS + 5, "max_overflow": 5}
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS=options)  # type: ignore[no-any-return]


class Tab(requests.Session):
    """One browser tab: its cookies and the CSRF token of its session."""

    csrf = ""


class Live:
    """The app served by Werkzeug's threaded server on a free loopback port, and the tabs that talk to it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        server = make_server("127.0.0.1", 0, app, threaded=True)
        assert isinstance(server, ThreadedWSGIServer)
        self.server = server
        # server_close() then waits for every request thread, so no request still holds a database connection
        # when the test's teardown empties the tables and disposes of the pool.
        self.server.daemon_threads = False
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.tabs: list[Tab] = []
        # A short poll interval: shutdown() waits for the serving loop to look, half a second by default.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, name="live-server", daemon=True
        )
        self.thread.start()

    def tab(self) -> Tab:
        tab = Tab()
        self.tabs.append(tab)
        return tab

    def sign_in(self, username: str) -> Tab:
        """A new tab signed in through the login form."""
        tab = self.tab()
        reply = tab.post(
            f"{self.url}/login",
            data={
                "username": username,
                "password": factories.PASSWORD,
                "csrf_token": _token(tab, f"{self.url}/login"),
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert reply.status_code == 302, f"{username} could not sign in"
        tab.csrf = _token(tab, f"{self.url}/")
        return tab

    def twin(self, tab: Tab) -> Tab:
        """Another tab of the same browser: the same signed-in session, from here on its own cookie jar (so the
        flashes each request leaves can be told apart)."""
        other = self.tab()
        other.cookies.update(tab.cookies)
        other.csrf = tab.csrf
        return other

    def close(self) -> None:
        for tab in self.tabs:
            tab.close()  # ends the keep-alive connections, and with them the server's threads
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=TIMEOUT)


@pytest.fixture
def live(app: Flask) -> Iterator[Live]:
    server = Live(app)
    try:
        yield server
    finally:
        server.close()


def _token(tab: requests.Session, url: str) -> str:
    match = TOKEN.search(tab.get(url, timeout=TIMEOUT).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def race(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run each call in its own thread, all released at once by a barrier; their results in order. An exception in
    a thread fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = call()
        except BaseException as error:  # reported by the test's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a request of the race never came back"
    if errors:
        raise errors[0]
    return results


@dataclass(frozen=True)
class Answer:
    response: object
    seq: int
    mark: float | None
    saved_at: datetime | None


@dataclass(frozen=True)
class Row:
    """An attempt as the database holds it."""

    id: int
    user_id: int
    number: int
    state: AttemptState
    mark: float | None
    deadline: datetime | None
    finished_at: datetime | None
    answers: dict[int, Answer]


def _rows(app: Flask, quiz_id: int, user_id: int | None = None) -> list[Row]:
    """The quiz's attempts (of one cadet, or of all), read in a session of their own, by user and number."""
    with app.app_context():
        query = select(Attempt).where(Attempt.quiz_id == quiz_id).order_by(Attempt.user_id, Attempt.number)
        if user_id is not None:
            query = query.where(Attempt.user_id == user_id)
        return [
            Row(
                a.id,
                a.user_id,
                a.number,
                a.state,
                a.mark,
                a.deadline,
                a.finished_at,
                {x.position: Answer(x.response, x.seq, x.mark, x.saved_at) for x in a.answers},
            )
            for a in db.session.scalars(query)
        ]


def _row(app: Flask, attempt_id: int) -> Row:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        quiz_id, user_id = attempt.quiz_id, attempt.user_id
    return next(r for r in _rows(app, quiz_id, user_id) if r.id == attempt_id)


def _passes(app: Flask, quiz_id: int) -> list[int]:
    """The cadets holding a pass row of the quiz (a cadet twice would show twice)."""
    with app.app_context():
        return sorted(db.session.scalars(select(QuizPass.user_id).where(QuizPass.quiz_id == quiz_id)))


def _graded_from_what_is_stored(row: Row) -> None:
    """A finished attempt's marks are those of the answers it holds: each true statement answered True is worth 1,
    anything else 0, and the attempt's mark is their sum."""
    assert row.state is AttemptState.FINISHED
    for position, answer in row.answers.items():
        expected = 1.0 if answer.response is True else 0.0
        assert answer.mark == expected, (
            f"attempt {row.id}: answer {position} holds {answer.response!r} (seq {answer.seq}, saved at "
            f"{answer.saved_at}) but was marked {answer.mark}: it was graded from an older copy of the answer"
        )
    assert row.mark == sum(1.0 for a in row.answers.values() if a.response is True)


def _flashed(app: Flask, reply: requests.Response) -> list[str]:
    """The flashes in the session cookie this reply set (Flask's signed cookie session)."""
    cookie = reply.cookies.get(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return []
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return [str(text) for _category, text in serializer.loads(cookie).get("_flashes", [])]


def _flashes(app: Flask, reply: requests.Response, message: str) -> int:
    """How many times the session cookie this reply set holds `message` among its flashes."""
    return _flashed(app, reply).count(message)


@dataclass
class Exam:
    """A course with a true/false quiz and its cadets, served live."""

    app: Flask
    live: Live
    make: factories.Factory
    course_id: int
    questions: list[int]
    cadets: list[User]

    def quiz(self, **settings: Any) -> int:
        return self.make.quiz(self.course_id, self.questions, **settings).id

    def attempt(self, quiz_id: int, cadet: User, **kw: Any) -> int:
        """A new attempt in progress, started through the services (the races are what goes through HTTP)."""
        return self.make.attempt(quiz_id, cadet.id, finish=False, **kw).id

    def save(self, tab: Tab, attempt_id: int, position: int, response: Any, seq: int) -> requests.Response:
        return tab.post(
            f"{self.live.url}/courses/{self.course_id}/quizzes/attempts/{attempt_id}/answers",
            json={"position": position, "response": response, "seq": seq},
            headers={"X-CSRFToken": tab.csrf},
            timeout=TIMEOUT,
        )

    def submit(self, tab: Tab, attempt_id: int, form: dict[str, str] | None = None) -> requests.Response:
        return tab.post(
            f"{self.live.url}/courses/{self.course_id}/quizzes/attempts/{attempt_id}/submit",
            data={**(form or {}), "csrf_token": tab.csrf},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def start(self, tab: Tab, quiz_id: int) -> requests.Response:
        return tab.post(
            f"{self.live.url}/courses/{self.course_id}/quizzes/{quiz_id}/start",
            data={"csrf_token": tab.csrf},
            allow_redirects=False,
            timeout=TIMEOUT,
        )


def _exam(app: Flask, live: Live, make: factories.Factory, cadets: int) -> Exam:
    academy = make.academy()
    course = make.course(academy.id)
    people = [make.user(Role.CADET, academy) for _ in range(cadets)]
    for person in people:
        make.enrol(course.id, person.id)
    questions = make.bank(course.id, factories.true_or_false(QUESTIONS))
    return Exam(app, live, make, course.id, questions, people)


@pytest.fixture
def exam(app: Flask, live: Live, make: factories.Factory) -> Exam:
    """One cadet's exam."""
    return _exam(app, live, make, 1)


def _attempt_id(reply: requests.Response) -> int:
    """The attempt a start or submit redirects to."""
    assert reply.status_code == 302, reply.text
    match = re.search(r"/quizzes/attempts/(\d+)(?:/review)?$", reply.headers["Location"])
    assert match, reply.headers["Location"]
    return int(match.group(1))


def test_two_tabs_saving_one_answer_keep_the_higher_seq(exam: Exam) -> None:
    """The rule (save_answer): an answer is written only with a higher seq than the stored one, so after the race the
    answer is the higher seq's. Each reply's seq is the one the server held when it answered: never lower than the
    request's own; the request's own exactly when its answer was written (the higher seq is always written); the
    lower-seq request, written first and then overtaken, or refused, says so by its seq."""
    cadet = exam.cadets[0]
    quiz_id = exam.quiz()
    attempt_id = exam.attempt(quiz_id, cadet)
    one = exam.live.sign_in(cadet.username)
    two = exam.live.twin(one)
    for round_ in range(ROUNDS):
        position = round_ % QUESTIONS
        stored_before = _row(exam.app, attempt_id).answers[position].seq
        low, high = stored_before + 1, stored_before + 2
        # Which tab sends the newer answer alternates; the newer one is always True, the older one False.
        sends = [(one, high, True), (two, low, False)] if round_ % 2 else [(one, low, False), (two, high, True)]
        replies = race([partial(exam.save, t, attempt_id, position, v, s) for t, s, v in sends])
        for reply in replies:
            assert reply.status_code == 200, reply.text
        seqs = {s: reply.json()["seq"] for (_tab, s, _value), reply in zip(sends, replies, strict=True)}
        assert seqs[high] == high, f"round {round_}: the newer save was not written ({seqs})"
        assert seqs[low] in (low, high), f"round {round_}: the older save was told seq {seqs[low]} ({seqs})"
        answer = _row(exam.app, attempt_id).answers[position]
        assert (answer.response, answer.seq) == (True, high), f"round {round_}: the older answer won ({seqs})"


def test_saves_racing_the_deadline_are_stored_and_graded_or_refused(exam: Exam) -> None:
    """Saves of every question sent at once, the deadline's grace ending while the server works through them: each
    one acknowledged (200) is stored and counted in the grade, each one refused (409) is not stored; every save sent
    after that moment is refused, every one answered before it is acknowledged; the attempt is finished, graded from
    exactly the answers it holds."""
    cadet = exam.cadets[0]
    quiz_id = exam.make.quiz(exam.course_id, factories.true_or_false(SAVERS)).id
    tabs = [exam.live.sign_in(cadet.username)]
    tabs += [exam.live.twin(tabs[0]) for _ in range(SAVERS - 1)]

    def saves(attempt_id: int, begin: datetime) -> list[tuple[datetime, requests.Response, datetime]]:
        def send(position: int) -> tuple[datetime, requests.Response, datetime]:
            time.sleep(max(0.0, (begin - utcnow()).total_seconds()))  # the same moment for every thread
            sent = utcnow()
            reply = exam.save(tabs[position], attempt_id, position, True, 1)
            return sent, reply, utcnow()

        return race([partial(send, p) for p in range(SAVERS)])

    def taken_up(begin: datetime, results: list[tuple[datetime, requests.Response, datetime]]) -> list[timedelta]:
        """How long after the sends the server took each save up (its `now`, which it stored as saved_at)."""
        return sorted(datetime.fromisoformat(reply.json()["saved_at"]) - begin for _sent, reply, _answered in results)

    # The grace will end at the median of those times on this machine now, while some saves are still in flight.
    # Measured without a deadline, twice: the first round also opens the pool's connections.
    for _ in range(2):
        attempt_id, begin = exam.attempt(quiz_id, cadet), utcnow() + LEAD
        taken = taken_up(begin, saves(attempt_id, begin))
        exam.make.attempt(quiz_id, cadet.id)  # finished
    outcomes: dict[int, int] = {200: 0, 409: 0}
    for round_ in range(DEADLINE_ROUNDS):
        attempt_id, begin = exam.attempt(quiz_id, cadet), utcnow() + LEAD
        cut = begin + taken[len(taken) // 2]
        with exam.app.app_context():
            db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(deadline=cut - GRACE))
            db.session.commit()
        results = saves(attempt_id, begin)
        row = _row(exam.app, attempt_id)
        if row.state is AttemptState.IN_PROGRESS:  # every save was in time: the next one, too late, finishes it
            time.sleep(max(0.0, (cut - utcnow()).total_seconds()) + 0.01)
            assert exam.save(tabs[0], attempt_id, 0, False, 2).status_code == 409
            row = _row(exam.app, attempt_id)
        for position, (sent, reply, answered) in enumerate(results):
            assert reply.status_code in (200, 409), reply.text
            outcomes[reply.status_code] += 1
            stored = row.answers[position]
            if reply.status_code == 200:
                assert stored.response is True, f"round {round_}: save {position} was acknowledged and lost"
                assert stored.saved_at is not None and stored.saved_at <= cut
            else:
                assert stored.response is None, f"round {round_}: save {position} was refused and stored"
            if sent > cut:
                assert reply.status_code == 409, f"round {round_}: save {position} sent after the grace was taken"
            if answered < cut:
                assert reply.status_code == 200, f"round {round_}: save {position} answered in time was refused"
        assert row.finished_at == cut
        _graded_from_what_is_stored(row)
        # The machine's pace changes (other work on it): the next round's moment follows this round's.
        codes = {reply.status_code for _sent, reply, _answered in results}
        if codes == {200}:
            taken = taken_up(begin, results)
        elif codes == {409}:
            taken = [t * 2 for t in taken]
    assert outcomes[200] and outcomes[409], f"the saves never straddled the deadline: {outcomes}"


@pytest.mark.parametrize("form", ["empty", "answers"])
def test_a_submit_racing_saves_grades_every_acknowledged_answer(exam: Exam, form: str) -> None:
    """A submit and saves of other questions sent at once: a save acknowledged (200) is in the graded attempt, its
    mark counted; a save refused (409) is not stored; never 200 and missing from the grade. The pass row follows
    the grade: written (once) exactly when the graded attempt passes. The submit's form carries no answer (every
    answer was saved already, as quiz.js does) or an answer of its own (a browser without JavaScript)."""
    cadet = exam.cadets[0]
    submitter = exam.live.sign_in(cadet.username)
    savers = [exam.live.twin(submitter) for _ in range(QUESTIONS - 1)]
    carried = {f"q{QUESTIONS - 1}": "true"} if form == "answers" else {}
    acknowledged = 0
    for round_ in range(ROUNDS):
        quiz_id = exam.quiz(pass_percent=50.0)  # a quiz per round: its pass row is this attempt's alone
        attempt_id = exam.attempt(quiz_id, cadet)
        calls = [partial(exam.submit, submitter, attempt_id, carried)]
        calls += [partial(exam.save, savers[p], attempt_id, p, True, 1) for p in range(QUESTIONS - 1)]
        submitted, *saves = race(calls)
        assert _attempt_id(submitted) == attempt_id
        row = _row(exam.app, attempt_id)
        for position, reply in enumerate(saves):
            assert reply.status_code in (200, 409), reply.text
            if reply.status_code == 200:
                acknowledged += 1
                assert row.answers[position].response is True, f"round {round_}: save {position} acknowledged, lost"
            else:
                assert row.answers[position].response is None, f"round {round_}: save {position} refused, stored"
        if carried:  # the submit's own answer is saved before it finishes
            assert row.answers[QUESTIONS - 1].response is True, f"round {round_}: the submitted form's answer lost"
        _graded_from_what_is_stored(row)
        passed = row.mark is not None and 100 * row.mark / QUESTIONS >= 50.0
        assert _passes(exam.app, quiz_id) == ([cadet.id] if passed else []), f"round {round_}: mark {row.mark}"
    assert acknowledged, "no save was ever acknowledged before the submit: the race never happened"


def test_two_tabs_submitting_finish_the_attempt_once(exam: Exam) -> None:
    """The same attempt submitted from two tabs at once is finished by one request: exactly one of them is told
    "submitted", both land on its review, and it is graded from the answers it holds."""
    cadet = exam.cadets[0]
    quiz_id = exam.quiz(pass_percent=50.0)
    first = exam.live.sign_in(cadet.username)
    for round_ in range(ROUNDS):
        attempt_id = exam.attempt(quiz_id, cadet, answers={p: True for p in range(round_ % QUESTIONS)})
        tabs = [exam.live.twin(first), exam.live.twin(first)]  # fresh tabs: no flash left from an earlier round
        replies = race([partial(exam.submit, t, attempt_id) for t in tabs])
        assert [_attempt_id(r) for r in replies] == [attempt_id, attempt_id]
        told = [_flashes(exam.app, r, SUBMITTED) for r in replies]
        assert sum(told) == 1, f"round {round_}: the attempt was finished {sum(told)} times ({told})"
        _graded_from_what_is_stored(_row(exam.app, attempt_id))


def test_tabs_starting_at_once_land_on_one_attempt(exam: Exam) -> None:
    """Start pressed in several tabs of one cadet at once: one attempt is made, every tab is sent to it, attempt
    numbers stay unique and the attempt limit holds. Rounds alternate between a quiz of one attempt and a quiz of
    two whose first the cadet has finished."""
    cadet = exam.cadets[0]
    first = exam.live.sign_in(cadet.username)
    tabs = [first, *(exam.live.twin(first) for _ in range(TABS - 1))]
    for round_ in range(START_ROUNDS):
        allowed = 1 + round_ % 2
        quiz_id = exam.quiz(attempts_allowed=allowed)
        if allowed == 2:
            exam.make.attempt(quiz_id, cadet.id, {0: True})
        replies = race([partial(exam.start, t, quiz_id) for t in tabs])
        rows = _rows(exam.app, quiz_id, cadet.id)
        made = [(r.number, r.state.value) for r in rows]
        assert len(rows) == allowed, f"round {round_}: {allowed} attempts allowed, these made: {made}"
        assert [r.number for r in rows] == list(range(1, allowed + 1))
        for reply in replies:
            assert "/quizzes/attempts/" in reply.headers.get("Location", ""), (
                f"round {round_}: a tab was not sent to the attempt in progress ({made}) but to "
                f"{reply.headers.get('Location')}, told {_flashed(exam.app, reply)}"
            )
        landed = {_attempt_id(r) for r in replies}
        current = [r.id for r in rows if r.state is AttemptState.IN_PROGRESS]
        assert len(current) == 1 and landed == set(current), f"round {round_}: tabs sent to {landed}, {current}"


def test_a_class_starting_and_submitting_at_once(app: Flask, live: Live, make: factories.Factory) -> None:
    """Twenty cadets press Start together, then Submit together (their forms carrying every answer, as without
    JavaScript): each gets one attempt of their own, each is finished once, and the cadets who passed have one pass
    row each."""
    exam = _exam(app, live, make, CLASS)
    quiz_id = exam.quiz(pass_percent=50.0)
    tabs = race([partial(live.sign_in, c.username) for c in exam.cadets])  # a classroom signing in together
    started = race([partial(exam.start, t, quiz_id) for t in tabs])
    mine = [_attempt_id(r) for r in started]
    rows = {r.id: r for r in _rows(app, quiz_id)}
    assert len(set(mine)) == CLASS and len(rows) == CLASS
    for cadet, attempt_id in zip(exam.cadets, mine, strict=True):
        assert (rows[attempt_id].user_id, rows[attempt_id].number) == (cadet.id, 1)
        assert rows[attempt_id].state is AttemptState.IN_PROGRESS
    # Even cadets answer every statement True (100 %), odd ones False (0 %).
    forms = [{f"q{p}": "true" if i % 2 == 0 else "false" for p in range(QUESTIONS)} for i in range(CLASS)]
    finished = race([partial(exam.submit, t, a, f) for t, a, f in zip(tabs, mine, forms, strict=True)])
    assert [_attempt_id(r) for r in finished] == mine
    assert [_flashes(app, r, SUBMITTED) for r in finished] == [1] * CLASS
    rows = {r.id: r for r in _rows(app, quiz_id)}
    assert len(rows) == CLASS
    for i, attempt_id in enumerate(mine):
        _graded_from_what_is_stored(rows[attempt_id])
        assert rows[attempt_id].mark == (QUESTIONS if i % 2 == 0 else 0)
    assert _passes(app, quiz_id) == sorted(c.id for c in exam.cadets[::2])
