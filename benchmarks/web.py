"""Web throughput and latency: catalogue, course page and lesson page beside a bare endpoint of the same app, for
this tree and for the tree before the change (git revision `--before`), both served at once in the same run.

Generates 1,000 courses (2 modules x 3 lessons each) and 5,000 cadets (3 enrolments each) into a fresh database,
serves the app with gunicorn exactly as `make run` does (gthread, 1 worker), signs in as a cadet, and loads each
page with wrk (Debian's `wrk`, installed if missing) from loopback. Prints requests/s, p50 and p99 latency, and
each page's throughput as a ratio of the bare endpoint's (`/healthz`: one database round trip, no template), for
both trees side by side, measured in interleaved rounds (see `measure`); and the database statements each page
runs, counted in-process for both trees (the first request after start, and the second, once what is shared
between requests is kept).

The cadet's cookie is the one a browser holds after its first page: signing in starts a new session, and the first
page stores the session's CSRF secret in it (Set-Cookie). wrk would otherwise send the cookie of the sign-in on
every request, and every page would make and sign a new session cookie, which no browser makes it do.

    .venv/bin/python benchmarks/web.py [--database URL] [--seconds 8] [--rounds 3] [--connections 16] [--before 711a69e]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import CSRF, PASSWORD, ROOT, Browser, server, worktree

COURSES, CADETS, ENROLMENTS_EACH = 1000, 5000, 3
CADET = "cadet00000"


def generate(url: str) -> tuple[int, int]:
    """Fill an empty database; return (a course id the cadet is enrolled in, one of its lesson ids)."""
    import random

    import sqlalchemy as sa

    from lectern import create_app
    from lectern.courses.models import Category, Course, Enrolment, Lesson, LessonKind, Module, Visibility
    from lectern.extensions import db
    from lectern.platform import demo
    from lectern.platform.accounts.services import hash_password
    from lectern.platform.models import Role, User

    rng = random.Random(7)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        demo.load(db.session)
        db.session.flush()
        academies = [a.id for a in db.session.scalars(sa.select(demo.Academy))]
        parents = [Category(name=n) for n in ("Border control", "Customs", "Migration")]
        db.session.add_all(parents)
        db.session.flush()
        leaves = [Category(name=f"Topic {i}", parent_id=parents[i % 3].id) for i in range(12)]
        db.session.add_all(leaves)
        db.session.flush()
        words = [
            "document",
            "security",
            "x-ray",
            "risk",
            "analysis",
            "profiling",
            "migrants",
            "kyoto",
            "radiation",
            "customs",
            "border",
        ]
        course_rows = [
            {
                "academy_id": rng.choice(academies),
                "category_id": rng.choice(leaves).id,
                "title": f"{rng.choice(words).title()} {rng.choice(words)} course {i:04d}",
                "summary": " ".join(rng.choice(words) for _ in range(40)),
                "language": rng.choice(["en", "ru"]),
                "tags": "," + ",".join(rng.sample(words, 3)) + ",",
                "visibility": Visibility.ALL if i % 3 else Visibility.SHARED,
                "self_enrol": True,
                "version": 1,
            }
            for i in range(COURSES)
        ]
        db.session.execute(sa.insert(Course), course_rows)
        course_ids = list(db.session.scalars(sa.select(Course.id)))
        db.session.execute(
            sa.insert(Module),
            [{"course_id": c, "position": p, "title": f"Module {p}"} for c in course_ids for p in (1, 2)],
        )
        modules = db.session.execute(sa.select(Module.id)).scalars().all()
        body = "## Lesson\n\n" + " ".join(rng.choice(words) for _ in range(300))
        db.session.execute(
            sa.insert(Lesson),
            [
                {"module_id": m, "position": p, "kind": LessonKind.TEXT, "title": f"Lesson {p}", "body": body}
                for m in modules
                for p in (1, 2, 3)
            ],
        )
        pw = hash_password(PASSWORD)
        db.session.execute(
            sa.insert(User),
            [
                {
                    "academy_id": academies[i % len(academies)],
                    "username": f"cadet{i:05d}",
                    "first_name": "Cadet",
                    "last_name": f"{i:05d}",
                    "role": Role.CADET,
                    "password_hash": pw,
                    "session_version": 1,
                    "active": True,
                }
                for i in range(CADETS)
            ],
        )
        cadets = list(db.session.scalars(sa.select(User.id).where(User.role == Role.CADET)))
        db.session.execute(
            sa.insert(Enrolment),
            [
                {"course_id": c, "user_id": u, "method": "manual"}
                for u in cadets
                for c in rng.sample(course_ids, ENROLMENTS_EACH)
            ],
        )
        db.session.commit()
        me = db.session.scalar(sa.select(User.id).where(User.username == CADET))
        course_id = db.session.scalar(sa.select(Enrolment.course_id).where(Enrolment.user_id == me))
        lesson_id = db.session.scalar(
            sa.select(Lesson.id).join(Module).where(Module.course_id == course_id).order_by(Lesson.id)
        )
        db.engine.dispose()
    assert course_id is not None and lesson_id is not None
    return course_id, lesson_id


def pages_of(course_id: int, lesson_id: int) -> list[tuple[str, str]]:
    return [
        ("bare (/healthz)", "/healthz"),
        ("catalogue", "/courses/"),
        ("catalogue search", "/courses/?q=risk&language=en"),
        ("course page", f"/courses/{course_id}"),
        ("lesson page", f"/courses/{course_id}/lessons/{lesson_id}"),
    ]


def wrk(url: str, cookie: str, seconds: int, connections: int) -> tuple[float, float, float, int]:
    """Requests/s, p50 ms, p99 ms and non-2xx count for one URL."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, pct("50"), pct("99"), int(bad.group(1)) if bad else 0


def browser_cookie(port: int, username: str) -> str:
    """The Cookie header of a browser that has signed in and loaded its first page (see the module's docstring)."""
    browser = Browser(port)
    browser.sign_in(username)
    status, _, _ = browser.request("GET", "/courses/")
    assert status == 200, f"the catalogue answered {status}"
    browser.close()
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def count_queries(url: str, paths: list[str], storage: Path) -> dict[str, list[int]]:
    """Statements each path runs in-process, signed in as the cadet: [first request, second request]. Runs in the
    tree whose `lectern` is first on sys.path (this one, or a worktree's: see `queries_in`)."""
    from sqlalchemy import event

    from lectern import create_app
    from lectern.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmark",
            "LECTERN_STORAGE": str(storage),
            "LECTERN_LOGIN_RATE_LIMIT": "1000 per minute",
            "LECTERN_LOGIN_USER_RATE_LIMIT": "1000 per minute",
        }
    )
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True))
    assert token is not None
    signed_in = client.post("/login", data={"csrf_token": token.group(1), "username": CADET, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code
    counted = [0]
    with app.app_context():
        engine = db.engine

    def count(*_args: object) -> None:
        counted[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    found: dict[str, list[int]] = {}
    for path in paths:
        found[path] = []
        for _ in range(2):
            counted[0] = 0
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            found[path].append(counted[0])
    with app.app_context():
        db.engine.dispose()
    return found


def queries_in(tree: Path, url: str, paths: list[str], storage: Path) -> dict[str, list[int]]:
    """`count_queries` in a process of its own, with `tree`'s code (this script runs there with --count-queries)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, __file__, "--count-queries", str(tree), "--database", url, "--storage", str(storage), *paths],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    )
    if out.returncode != 0:
        raise RuntimeError(f"counting queries in {tree} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


Row = tuple[str, float, float, float, int, float]  # page, req/s, p50, p99, non-2xx, req/s as a share of bare's


def measure(
    url: str,
    tmp: Path,
    trees: dict[str, Path],
    pages: list[tuple[str, str]],
    seconds: int,
    connections: int,
    rounds: int,
) -> dict[str, list[Row]]:
    """wrk on each page of each tree, both served at once, in `rounds` interleaved rounds: a tree's pages follow
    one another, then the other tree's, and again. A page's ratio is its throughput over that of the bare endpoint
    of the same round (a minute apart at most); each figure is the median over the rounds, so a moment when the
    machine was busier shifts no tree and no page more than another."""
    runs: dict[str, list[list[tuple[float, float, float, int]]]] = {label: [] for label in trees}
    with ExitStack() as servers:
        bases = {}
        for label, tree in trees.items():
            port = servers.enter_context(server(url, tmp / f"storage-{label}", root=tree))
            bases[label] = (f"http://127.0.0.1:{port}", browser_cookie(port, CADET))
            wrk(bases[label][0] + "/courses/", bases[label][1], 2, connections)  # warm up
        for _ in range(rounds):
            for label, (base, cookie) in bases.items():
                runs[label].append([wrk(base + path, cookie, seconds, connections) for _name, path in pages])
    found: dict[str, list[Row]] = {}
    for label, rounds_run in runs.items():
        rows: list[Row] = []
        for i, (name, _path) in enumerate(pages):
            each = [run[i] for run in rounds_run]
            ratio = statistics.median(run[i][0] / run[0][0] for run in rounds_run)
            rps, p50, p99 = (statistics.median(x[k] for x in each) for k in range(3))
            rows.append((name, rps, p50, p99, sum(x[3] for x in each), ratio))
        found[label] = rows
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database to fill (default: a temp SQLite)")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--before", default="711a69e", help="git revision to compare with ('' for none)")
    parser.add_argument("--count-queries", help=argparse.SUPPRESS)  # internal: count in this tree, print JSON
    parser.add_argument("--storage", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_queries:
        sys.path.insert(0, args.count_queries)  # that tree's `lectern`, before this one's
        print(json.dumps(count_queries(args.database, args.paths, Path(args.storage))))
        return
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="lectern-bench-"))
    url = args.database or f"sqlite:///{tmp / 'bench.db'}"
    started = time.perf_counter()
    course_id, lesson_id = generate(url)
    print(
        f"generated {COURSES} courses, {CADETS} cadets in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
    )
    pages = pages_of(course_id, lesson_id)
    paths = [path for _name, path in pages]
    queries: dict[str, dict[str, list[int]]] = {}
    try:
        with ExitStack() as stack:
            trees = {"after": ROOT}
            if args.before:
                trees = {"before": stack.enter_context(worktree(args.before)), **trees}
            for label, tree in trees.items():
                queries[label] = queries_in(tree, url, paths, tmp / f"storage-{label}")
            rows = measure(url, tmp, trees, pages, args.seconds, args.connections, args.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, gunicorn gthread 1 worker x 100 threads, 2 cores;"
        f" the median of {args.rounds} interleaved rounds"
    )
    labels = list(rows)
    head = f"{'page':<18}"
    for label in labels:
        name = f"{label} ({args.before})" if label == "before" else label
        head += f" | {name:^47}"
    print(head)
    columns = f" | {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'vs bare':>7} {'queries':>8}"
    print(f"{'':<18}" + columns * len(labels))
    for i, (name, path) in enumerate(pages):
        line = f"{name:<18}"
        for label in labels:
            _name, rps, p50, p99, bad, ratio = rows[label][i]
            first, second = queries[label][path]
            line += f" | {rps:>7.0f} {p50:>7.1f} {p99:>7.1f} {bad:>6} {ratio:>7.2f} {first:>4}/{second:<3}"
        print(line)
    print("\nqueries: statements of the first request after start / of the next one (in-process, signed in as a cadet)")


if __name__ == "__main__":
    main()
