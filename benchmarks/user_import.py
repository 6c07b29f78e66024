"""Bulk user import: how long the preview and the apply of an intake CSV take, against hashing its passwords.

Almost all of an apply is password hashing (scrypt, deliberately slow), so the baseline measured in the same run is
hashing the same number of passwords one after another; `apply/hash` below 1 is what the thread pool gains, above
1 what the database work adds. Runs the services directly on a fresh SQLite database (and PostgreSQL when
`--postgresql URL` is given), in one transaction per apply, as the web request does.

    .venv/bin/python benchmarks/user_import.py [--rows 50 300] [--postgresql postgresql://127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PASSWORD
from lectern import create_app
from lectern.extensions import db
from lectern.platform.accounts import services as accounts
from lectern.platform.admin import services as admin_services
from lectern.platform.models import Academy, Role, User
from lectern.platform.user_import import services as user_import


def intake(rows: int, offset: int) -> bytes:
    lines = ["username,firstname,lastname,email,lang"]
    lines += [f"c{offset + n}.cadet,Канат,Осмонов {n},c{offset + n}@example.org,ru" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def measure(url: str, sizes: list[int]) -> list[tuple[int, float, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark", "INSTANCE_PATH": tmp})
        results = []
        with app.app_context():
            db.drop_all()
            db.create_all()
            academy = Academy(slug="bishkek", name="Bishkek", city="Bishkek", country="KG", timezone="Asia/Bishkek")
            db.session.add(academy)
            db.session.flush()
            admin = admin_services.create_user(
                db.session, None, academy_id=academy.id, username="admin", first_name="A", last_name="B",
                role=Role.ACADEMY_ADMIN, password=PASSWORD,
            )  # fmt: skip
            db.session.commit()
            offset = 0
            for rows in sizes:
                data = intake(rows, offset)
                offset += rows
                started = time.perf_counter()
                plan = user_import.plan_import(db.session, admin, data, filename="x.csv", default_academy_id=academy.id)
                preview = time.perf_counter() - started
                assert plan.ok, plan.problems
                started = time.perf_counter()
                user_import.apply_import(db.session, admin, data, filename="x.csv", default_academy_id=academy.id)
                db.session.commit()
                apply = time.perf_counter() - started
                started = time.perf_counter()
                for n in range(rows):
                    accounts.hash_password(f"password {n}")
                hashing = time.perf_counter() - started
                results.append((rows, preview, apply, hashing))
            assert db.session.query(User).count() == 1 + sum(sizes)
            db.session.remove()  # its connection would hold locks that DROP TABLE waits for
            db.drop_all()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[50, 300])
    parser.add_argument("--postgresql", help="a PostgreSQL URL to run on too (its tables are dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{tmp}/bench.db")]
        if args.postgresql:
            backends.append(("postgresql", args.postgresql))
        print(f"{'backend':<12}{'rows':>6}{'preview s':>11}{'apply s':>10}{'hash s':>9}{'apply/hash':>12}")
        for name, url in backends:
            for rows, preview, apply, hashing in measure(url, args.rows):
                print(
                    f"{name:<12}{rows:>6}{preview:>11.2f}{apply:>10.2f}{hashing:>9.2f}{apply / hashing:>12.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
