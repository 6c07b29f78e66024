"""An exam under load: N cadets at once sign in, start a quiz of 20 single-choice questions, save their 20 answers
one by one (each save a POST of JSON, as the attempt page's script sends it), then submit.

Runs on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`, in a schema of its own that is dropped and made
again), against gunicorn as `make run` serves the app. Measures each save from request to acknowledgement, then
checks in the database that every acknowledged save is stored with its value (answers lost: must be 0). The same
run with one cadet gives the baseline of the latency ratio. Clients are threads with keep-alive connections.

    .venv/bin/python benchmarks/exam.py [--cadets 300] [--backends sqlite,postgresql] [--pg URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PASSWORD, Browser, server

QUESTIONS = 20
CHOICES = 4
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "lectern_bench_exam"


def generate(url: str, cadets: int) -> tuple[int, int]:
    """A course, `cadets` enrolled cadets and a published quiz of 20 single-choice questions (mark 1 each), in an
    emptied database; returns (course id, quiz id)."""
    import sqlalchemy as sa

    from lectern import create_app
    from lectern.courses.models import Course, Enrolment, Visibility
    from lectern.courses.quizzes.models import BankQuestion, QuestionCategory, Quiz, QuizSlot
    from lectern.courses.quizzes.questions import Choice, Question, QuestionType, to_data
    from lectern.extensions import db
    from lectern.platform import demo
    from lectern.platform.accounts.services import hash_password
    from lectern.platform.models import Role, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        demo.load(db.session)
        db.session.flush()
        academy = db.session.scalar(sa.select(demo.Academy.id).order_by(demo.Academy.id))
        course = Course(academy_id=academy, title="Border control exam", summary="", language="en", tags=",exam,",
                        visibility=Visibility.ALL, self_enrol=False, version=1)  # fmt: skip
        db.session.add(course)
        db.session.flush()
        password = hash_password(PASSWORD)
        db.session.execute(
            sa.insert(User),
            [
                {"academy_id": academy, "username": f"examcadet{i:04d}", "first_name": "Cadet", "last_name": str(i),
                 "role": Role.CADET, "password_hash": password, "session_version": 1, "active": True}
                for i in range(cadets)
            ],
        )  # fmt: skip
        ids = db.session.scalars(sa.select(User.id).where(User.username.like("examcadet%"))).all()
        db.session.execute(
            sa.insert(Enrolment), [{"course_id": course.id, "user_id": u, "method": "manual"} for u in ids]
        )
        category = QuestionCategory(course_id=course.id, name="Top")
        db.session.add(category)
        db.session.flush()
        rows = []
        for n in range(QUESTIONS):
            choices = tuple(Choice(f"Answer {c} to question {n}", 1.0 if c == 0 else 0.0) for c in range(CHOICES))
            q = Question(QuestionType.SINGLE, f"Question {n}: which document checks apply?", f"Q{n}", choices=choices)
            rows.append(BankQuestion(course_id=course.id, category_id=category.id, name=q.name, type=q.type,
                                     data=to_data(q)))  # fmt: skip
        db.session.add_all(rows)
        db.session.flush()
        quiz = Quiz(course_id=course.id, title="Exam", published=True, attempts_allowed=0, shuffle_answers=True)
        quiz.slots = [QuizSlot(position=n, question_id=row.id, mark=1.0) for n, row in enumerate(rows)]
        db.session.add(quiz)
        db.session.commit()
        result = course.id, quiz.id
        db.engine.dispose()
    return result


@dataclass
class Cadet:
    username: str
    browser: Browser
    attempt: int = 0
    token: str = ""
    acknowledged: dict[int, tuple[int, int]] = field(default_factory=dict)  # position: (response, seq)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def prepare(port: int, username: str, course: int, quiz: int) -> Cadet:
    """Sign in and start the attempt (not measured)."""
    cadet = Cadet(username, Browser(port))
    cadet.browser.sign_in(username)
    page = f"/courses/{course}/quizzes/{quiz}"
    cadet.token = cadet.browser.csrf(page)
    status, headers, _ = cadet.browser.form(page + "/start", {"csrf_token": cadet.token})
    location = headers.get("location", "")
    assert status == 302 and "/quizzes/attempts/" in location, (status, location)
    cadet.attempt = int(location.rstrip("/").rsplit("/", 1)[1])
    # gunicorn closes idle keep-alive connections after 2 s: the answers start on a fresh one, as after a pause.
    cadet.browser.conn.close()
    return cadet


def answer(cadet: Cadet, course: int, go: threading.Barrier) -> None:
    """Save 20 answers one by one, timing each, then submit."""
    rng = random.Random(cadet.username)
    base = f"/courses/{course}/quizzes/attempts/{cadet.attempt}"
    headers = {"Content-Type": "application/json", "X-CSRFToken": cadet.token, "Accept": "application/json"}
    go.wait()
    for position in range(QUESTIONS):
        response, seq = rng.randrange(CHOICES), position + 1
        body = json.dumps({"position": position, "response": response, "seq": seq})
        began = time.perf_counter()
        try:
            status, _, data = cadet.browser.request("POST", base + "/answers", body, headers)
        except (OSError, http.client.HTTPException) as exc:
            cadet.errors.append(type(exc).__name__)
            continue
        elapsed = time.perf_counter() - began
        if status == 200 and json.loads(data).get("seq") == seq:
            cadet.latencies.append(elapsed)
            cadet.acknowledged[position] = (response, seq)
        else:
            cadet.errors.append(str(status))
    try:
        status, _, _ = cadet.browser.form(base + "/submit", {"csrf_token": cadet.token})
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__  # type: ignore[assignment]
    if status != 302:
        cadet.errors.append(f"submit {status}")


def lost_answers(url: str, cadets: list[Cadet]) -> int:
    """Acknowledged saves that the database does not hold with their value (or a later one)."""
    import sqlalchemy as sa

    from lectern.courses.quizzes.models import AttemptAnswer

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(AttemptAnswer.attempt_id, AttemptAnswer.position, AttemptAnswer.response,
                                      AttemptAnswer.seq)).all()  # fmt: skip
    engine.dispose()
    stored = {(a, p): (r, s) for a, p, r, s in rows}
    lost = 0
    for cadet in cadets:
        for position, (response, seq) in cadet.acknowledged.items():
            if stored.get((cadet.attempt, position)) != (response, seq):
                lost += 1
    return lost


def run(url: str, cadets: int, tmp: Path) -> dict[str, float]:
    course, quiz = generate(url, cadets)
    with server(url, tmp / "storage") as port:
        with ThreadPoolExecutor(8) as pool:  # signing in hashes passwords: a few at a time
            prepared = list(pool.map(lambda i: prepare(port, f"examcadet{i:04d}", course, quiz), range(cadets)))
        go = threading.Barrier(cadets)
        threads = [threading.Thread(target=answer, args=(c, course, go)) for c in prepared]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        for cadet in prepared:
            cadet.browser.close()
    latencies = sorted(x for c in prepared for x in c.latencies)
    errors = sum(len(c.errors) for c in prepared)
    return {
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "rate": len(latencies) / wall,
        "saved": len(latencies),
        "errors": errors,
        "lost": lost_answers(url, prepared),
    }


def pg_url(base: str) -> str:
    """`base` with the benchmark's own schema (made empty) on the search path."""
    import sqlalchemy as sa

    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
    admin.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cadets", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (a schema of its own is made there)")
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        for n in (1, args.cadets):
            tmp = Path(tempfile.mkdtemp(prefix="lectern-exam-"))
            try:
                url = f"sqlite:///{tmp / 'exam.db'}" if backend == "sqlite" else pg_url(args.pg)
                began = time.perf_counter()
                result = run(url, n, tmp)
                print(f"{backend} N={n}: {time.perf_counter() - began:.0f} s", file=sys.stderr)
                results.append((backend, n, result))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{QUESTIONS} saves per cadet, then submit; gunicorn gthread 1 worker x 100 threads; client threads")
    print(
        f"{'backend':<11} {'N':>5} {'p50 ms':>8} {'p99 ms':>8} {'saves/s':>8} {'errors':>7} {'lost':>5} {'p50/N=1':>8}"
    )
    single: dict[str, float] = {}
    for backend, n, r in results:
        if n == 1:
            single[backend] = r["p50"]
        ratio = r["p50"] / single[backend] if single.get(backend) else 1.0
        print(f"{backend:<11} {n:>5} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['rate']:>8.0f} {r['errors']:>7.0f} "
              f"{r['lost']:>5.0f} {ratio:>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
