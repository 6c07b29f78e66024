"""Web throughput and latency: catalogue, course page and lesson page beside a bare endpoint of the same app.

Generates 1,000 courses (2 modules x 3 lessons each) and 5,000 cadets (3 enrolments each) into a fresh database,
serves the app with gunicorn exactly as `make run` does (gthread, 1 worker), signs in as a cadet, and loads each
page with wrk (Debian's `wrk`, installed if missing) from loopback. Prints requests/s, p50 and p99 latency, and
each page's throughput as a ratio of the bare endpoint's (`/healthz`: one database round trip, no template).

    .venv/bin/python benchmarks/web.py [--database URL] [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PASSWORD, cookie_of, server

COURSES, CADETS, ENROLMENTS_EACH = 1000, 5000, 3


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
        me = db.session.scalar(sa.select(User.id).where(User.username == "cadet00000"))
        course_id = db.session.scalar(sa.select(Enrolment.course_id).where(Enrolment.user_id == me))
        lesson_id = db.session.scalar(
            sa.select(Lesson.id).join(Module).where(Module.course_id == course_id).order_by(Lesson.id)
        )
        db.engine.dispose()
    assert course_id is not None and lesson_id is not None
    return course_id, lesson_id


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database to fill (default: a temp SQLite)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="lectern-bench-"))
    url = args.database or f"sqlite:///{tmp / 'bench.db'}"
    started = time.perf_counter()
    course_id, lesson_id = generate(url)
    print(
        f"generated {COURSES} courses, {CADETS} cadets in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
    )
    try:
        with server(url, tmp / "storage") as port:
            cookie = cookie_of(port, "cadet00000")
            base = f"http://127.0.0.1:{port}"
            pages = [
                ("bare (/healthz)", "/healthz"),
                ("catalogue", "/courses/"),
                ("catalogue search", "/courses/?q=risk&language=en"),
                ("course page", f"/courses/{course_id}"),
                ("lesson page", f"/courses/{course_id}/lessons/{lesson_id}"),
            ]
            wrk(base + "/courses/", cookie, 2, args.connections)  # warm up
            rows = [(name, *wrk(base + path, cookie, args.seconds, args.connections)) for name, path in pages]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    bare = rows[0][1]
    print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, gunicorn gthread 1 worker x 100 threads, 2 cores")
    print(f"{'page':<18} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs bare':>8}")
    for name, rps, p50, p99, bad in rows:
        print(f"{name:<18} {rps:>8.0f} {p50:>8.1f} {p99:>8.1f} {bad:>7} {rps / bare:>8.2f}")


if __name__ == "__main__":
    main()
