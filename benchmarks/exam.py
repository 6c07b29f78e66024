"""Exam day: N cadets start a quiz of 20 single-choice questions within 2 s of its opening, answer them with 5-30 s
of thinking (changing an earlier answer now and then), and most submit in the last 10 s before the deadline; the
deadline finishes the others (`_exam_day.py`). Then the stress row: cadets saving their 20 answers back to back.

On PostgreSQL (127.0.0.1:5432, database `test`, in a schema of its own that is dropped and made again; `--backends`
adds SQLite), against gunicorn as deploy/ runs it: `--instances` web instances (one gunicorn process each, as
lectern-web@ units behind nginx, sharing Redis), cadet i on instance i % N, and `--answer-instances` more that take
the saves alone (deploy/nginx.conf's answers pool: an answer is acknowledged quickly while a class's starts and
submits queue on the others; the stress row runs without it). The code before the change (`--before`, a git
revision served from a worktree) runs the same day and storm in the same run, with one instance as `make run`
served it. Per phase (start: the POST and the attempt page it leads to; save; submit): p50, p99 and errors; CPU per
save of the web processes over the answering; answers lost: acknowledged saves the database does not hold with their
value (must be 0), and attempts left unfinished after the deadline (must be 0).

    .venv/bin/python benchmarks/exam.py [--cadets 2000] [--instances 2] [--answer-instances 0] [--storm-cadets 300]
                                        [--before 711a69e] [--think 5,30] [--questions 20] [--backends postgresql]
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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _exam_day
from benchmarks._common import PASSWORD, ROOT, Browser, add_quiz, server, worktree

QUESTIONS = 20
CHOICES = 4
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "lectern_bench_exam"
REDIS_URL = "redis://127.0.0.1:6379/14"


def generate(url: str, cadets: int, questions: int = QUESTIONS) -> tuple[int, int]:
    """A course, `cadets` enrolled cadets and a published quiz of `questions` single-choice questions (mark 1 each),
    in an emptied database; returns (course id, quiz id). The cadets' passwords are hashed cheaply (PBKDF2, 1,000
    rounds): signing 2,000 of them in is the setting up, not what is measured."""
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from lectern import create_app
    from lectern.courses.models import Course, Enrolment, Visibility
    from lectern.extensions import db
    from lectern.platform import demo
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
        password = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
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
        texts = [
            (f"Question {n}: which document checks apply?", [f"Answer {c} to question {n}" for c in range(CHOICES)])
            for n in range(questions)
        ]
        quiz = add_quiz(db.session, course.id, "Exam", texts, shuffle_answers=True)
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


def lost_answers(url: str, acknowledged: dict[int, dict[int, tuple[int, int]]]) -> tuple[int, int]:
    """(acknowledged saves the database does not hold with their value, attempts not finished) for
    {attempt id: {position: (response, seq)}}."""
    import sqlalchemy as sa

    from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(AttemptAnswer.attempt_id, AttemptAnswer.position, AttemptAnswer.response,
                                      AttemptAnswer.seq)).all()  # fmt: skip
        unfinished = conn.scalar(
            sa.select(sa.func.count()).where(Attempt.id.in_(list(acknowledged)), Attempt.state != AttemptState.FINISHED)
        )
    engine.dispose()
    stored = {(a, p): (r, s) for a, p, r, s in rows}
    lost = sum(
        stored.get((attempt, position)) != value
        for attempt, answers in acknowledged.items()
        for position, value in answers.items()
    )
    return lost, int(unfinished or 0)


def storm(url: str, ports: Sequence[int], course: int, quiz: int, cadets: int) -> dict[str, float]:
    """The stress row: every cadet saves 20 answers back to back, released together, then submits."""
    with ThreadPoolExecutor(8) as pool:  # signing in hashes passwords: a few at a time
        prepared = list(
            pool.map(lambda i: prepare(ports[i % len(ports)], f"examcadet{i:04d}", course, quiz), range(cadets))
        )
    go = threading.Barrier(cadets + 1)
    threads = [threading.Thread(target=answer, args=(c, course, go)) for c in prepared]
    for thread in threads:
        thread.start()
    cpu = sum(_exam_day.cpu_of_port(p) for p in ports)
    go.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = sum(_exam_day.cpu_of_port(p) for p in ports) - cpu
    for cadet in prepared:
        cadet.browser.close()
    latencies = sorted(x for c in prepared for x in c.latencies)
    lost, _ = lost_answers(url, {c.attempt: c.acknowledged for c in prepared})
    return {
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "rate": len(latencies) / wall,
        "cpu ms/save": 1000 * cpu / max(1, len(latencies)),  # the submits at the end included
        "errors": sum(len(c.errors) for c in prepared),
        "lost": lost,
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


def set_closing(url: str, quiz: int, seconds: float | None) -> None:
    """The quiz closes `seconds` from now (the server keeps the deadline), or never."""
    import sqlalchemy as sa

    from lectern.courses.quizzes.models import Quiz
    from lectern.platform.models import utcnow

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        closes = None if seconds is None else utcnow() + timedelta(seconds=seconds)
        conn.execute(sa.update(Quiz).where(Quiz.id == quiz).values(closes_at=closes))
    engine.dispose()


@contextmanager
def web_tier(url: str, tmp: Path, instances: int, root: Path) -> Iterator[list[int]]:
    """`instances` web instances of the tree at `root` on one database and one Redis, as deploy/ runs them; yields
    their ports."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {"REDIS_URL": REDIS_URL, "LECTERN_JOBS_WORKER": "service", "LECTERN_LOGIN_RATE_LIMIT": "100000 per minute",
           "LECTERN_ACCESS_LOG": "off"}  # fmt: skip
    with ExitStack() as stack:
        yield [stack.enter_context(server(url, tmp / "storage", root=root, env=env)) for _ in range(instances)]


def tier_name(instances: int, answers: int) -> str:
    return f"{instances}+{answers}" if answers else str(instances)


def exam_day(url: str, root: Path, tmp: Path, args: argparse.Namespace, instances: int) -> dict[str, float]:
    low, high = (float(x) for x in args.think.split(","))
    course, quiz = generate(url, args.cadets, args.questions)
    plan = _exam_day.Plan(course, quiz, args.questions, CHOICES, (low, high))
    answers = args.answer_instances if root == ROOT else 0  # the code before ran as `make run` served it
    with web_tier(url, tmp, instances + answers, root) as every:
        ports, answer_ports = every[:instances], every[instances:]
        usernames = [f"examcadet{i:04d}" for i in range(args.cadets)]
        cadets = _exam_day.prepare(ports, plan, usernames, answer_ports)
        result = _exam_day.play(every, plan, cadets, lambda seconds: set_closing(url, quiz, seconds))
        result.update(_exam_day.opening_floor(ports, plan, cadets))
        result.update(_exam_day.bare_cpu(every, cadets))
    result["answer instances"] = answers
    lost, unfinished = lost_answers(url, {c.attempt: c.acknowledged for c in cadets if c.attempt})
    return {**result, "lost": lost, "unfinished": unfinished}


def stress(url: str, root: Path, tmp: Path, args: argparse.Namespace, instances: int) -> dict[str, float]:
    course, quiz = generate(url, args.storm_cadets)
    with web_tier(url, tmp, instances, root) as ports:
        return storm(url, ports, course, quiz, args.storm_cadets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cadets", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=QUESTIONS)
    parser.add_argument("--think", default="5,30", help="seconds of thinking per question: LOW,HIGH (drawn evenly)")
    parser.add_argument("--instances", type=int, default=2, help="web instances of the changed code")
    parser.add_argument(
        "--answer-instances", type=int, default=0, help="more instances that take the saves alone (answers pool)"
    )
    parser.add_argument("--storm-cadets", type=int, default=300)
    parser.add_argument("--before", default="711a69e", help="git revision of the code before the change")
    parser.add_argument("--backends", default="postgresql")
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (a schema of its own is made there)")
    args = parser.parse_args()
    days, storms = [], []
    with worktree(args.before) as before:
        trees = [("before", before, 1), ("after", ROOT, 1), ("after", ROOT, args.instances)]
        for backend in args.backends.split(","):
            for label, root, instances in trees:
                for kind, run, rows in (("day", exam_day, days), ("storm", stress, storms)):
                    if kind == "day" and (label, instances) == ("after", 1) and args.instances != 1:
                        continue  # the day runs on the code before as it was served, and on the change's web tier
                    tmp = Path(tempfile.mkdtemp(prefix="lectern-exam-"))
                    try:
                        url = f"sqlite:///{tmp / 'exam.db'}" if backend == "sqlite" else pg_url(args.pg)
                        began = time.perf_counter()
                        rows.append((backend, label, instances, run(url, root, tmp, args, instances)))
                        print(
                            f"{backend} {kind} {label} x{instances}: {time.perf_counter() - began:.0f} s",
                            file=sys.stderr,
                        )
                    finally:
                        shutil.rmtree(tmp, ignore_errors=True)
    low, high = args.think.split(",")
    print(f"\nExam day: {args.cadets} cadets start within 2 s, {args.questions} questions, {low}-{high} s of thinking "
          f"each, most submit in the last 10 s; gunicorn gthread 1 worker x 100 threads per instance")  # fmt: skip
    print(f"{'database':<11} {'code':<7} {'inst':>4} {'start p50':>9} {'p99':>7} {'err':>4} {'saves':>6} "
          f"{'save p50':>8} {'p99':>7} {'err':>4} {'submit p50':>10} {'p99':>7} {'err':>4} {'CPU ms/save':>11} "
          f"{'lost':>4} {'unfinished':>10}")  # fmt: skip
    for backend, label, instances, r in days:
        tier = tier_name(instances, int(r["answer instances"]))
        print(f"{backend:<11} {label:<7} {tier:>4} {r['start p50']:>9.0f} {r['start p99']:>7.0f} "
              f"{r['start errors']:>4.0f} {r['save n']:>6.0f} {r['save p50']:>8.1f} {r['save p99']:>7.1f} "
              f"{r['save errors']:>4.0f} {r['submit p50']:>10.0f} {r['submit p99']:>7.0f} {r['submit errors']:>4.0f} "
              f"{r['cpu ms/save']:>11.2f} {r['lost']:>4.0f} {r['unfinished']:>10.0f}")  # fmt: skip
    print("\nThe opening's floor on this machine, measured after each day on the same web tier: every cadet makes two "
          "bare requests (/healthz: one database round trip, no template) within the same 2 s, where a start makes "
          "its POST and its page; and the web tier's CPU per bare request, sent at the saves' pace where the saves "
          "went, each on a fresh connection: the least a save could cost")  # fmt: skip
    print(f"{'database':<11} {'code':<7} {'inst':>4} {'floor p50':>9} {'p99':>7} {'err':>4} {'CPU ms/bare':>11} "
          f"{'save/bare':>9}")  # fmt: skip
    for backend, label, instances, r in days:
        tier = tier_name(instances, int(r["answer instances"]))
        print(f"{backend:<11} {label:<7} {tier:>4} {r['floor p50']:>9.0f} {r['floor p99']:>7.0f} "
              f"{r['floor errors']:>4.0f} {r['bare cpu ms']:>11.2f} "
              f"{r['cpu ms/save'] / r['bare cpu ms']:>9.2f}")  # fmt: skip
    print(f"\nStress: {args.storm_cadets} cadets save {QUESTIONS} answers back to back, then submit")
    print(f"{'database':<11} {'code':<7} {'inst':>4} {'p50 ms':>8} {'p99 ms':>8} {'saves/s':>8} {'errors':>7} "
          f"{'lost':>5} {'x before':>8} {'CPU ms/save':>11}")  # fmt: skip
    first: dict[str, float] = {}
    for backend, label, instances, r in storms:
        first.setdefault(backend, r["rate"])
        print(f"{backend:<11} {label:<7} {instances:>4} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['rate']:>8.0f} "
              f"{r['errors']:>7.0f} {r['lost']:>5.0f} {r['rate'] / first[backend]:>8.2f} "
              f"{r['cpu ms/save']:>11.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
