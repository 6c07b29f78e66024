"""`flask lectern ...`: the administrator's commands."""

from __future__ import annotations

import getpass
import logging
import sys
import zoneinfo

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from lectern.courses.content.storage import Storage
from lectern.courses.demo import courses as courses_demo
from lectern.courses.models import Course
from lectern.courses.quizzes.models import Quiz
from lectern.domain import Conflict
from lectern.extensions import db
from lectern.platform import demo
from lectern.platform.accounts import services as accounts
from lectern.platform.admin import services as admin
from lectern.platform.jobs import worker as job_worker
from lectern.platform.models import Academy, Role, User, utcnow
from lectern.platform.rules import MIN_PASSWORD_LENGTH
from lectern.webrtc import demo as lectures_demo
from lectern.webrtc.models import Lecture

lectern_cli = AppGroup("lectern", help="Lectern administration.")


def load_demo_data() -> tuple[list[demo.Credential], list[Course], list[Lecture]]:
    """Load the demo academies, users, courses, quizzes and lectures into the app's (empty) database, committed."""
    credentials = demo.load(db.session)
    courses = courses_demo.load(db.session, Storage(current_app.config["LECTERN_STORAGE"]))
    lectures = lectures_demo.load(db.session, courses, utcnow())
    db.session.commit()
    return credentials, courses, lectures


@lectern_cli.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has academies.")
def demo_data(if_empty: bool) -> None:
    """Load the demo academies and users and print their passwords, once."""
    if not demo.is_empty(db.session):
        if if_empty:
            click.echo("Demo data: the database already has academies; nothing loaded.")
            return
        raise click.ClickException("The database already has academies; demo data goes into an empty one only.")
    credentials, courses, lectures = load_demo_data()
    quizzes = db.session.scalar(select(func.count()).select_from(Quiz)) or 0
    click.echo(
        f"Demo data: {len(credentials)} users in 5 academies, {len(courses)} courses, {quizzes} quizzes, "
        f"{len(lectures)} lectures."
    )
    click.echo("")
    click.echo("Demo accounts (the passwords are shown this once; reset one with `flask lectern set-password`):")
    click.echo(f"  {'username':<16} {'password':<14} {'role':<14} academy")
    for c in credentials:
        click.echo(f"  {c.username:<16} {c.password:<14} {c.role.value:<14} {c.academy}")
    click.echo("")


def _read_password(password: str | None) -> str:
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            raise click.ClickException("The passwords differ.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    return password


@lectern_cli.command("create-admin")
@click.argument("username")
@click.option("--academy", "academy_slug", required=True, help="Short name (slug) of the admin's academy.")
@click.option("--first-name", default="Lectern")
@click.option("--last-name", default="Administrator")
@click.option("--email", default=None)
@click.option("--password", default=None, help="Prompted for when left out.")
def create_admin(
    username: str, academy_slug: str, first_name: str, last_name: str, email: str | None, password: str | None
) -> None:
    """Create a global administrator."""
    academy = db.session.scalar(select(Academy).where(Academy.slug == academy_slug))
    if academy is None:
        raise click.ClickException(f"No academy has the short name {academy_slug!r}.")
    try:
        admin.create_user(
            db.session,
            None,
            academy_id=academy.id,
            username=username,
            first_name=first_name,
            last_name=last_name,
            role=Role.GLOBAL_ADMIN,
            password=_read_password(password),
            email=email,
        )
    except Conflict as exc:
        raise click.ClickException(f"Another user already has this {exc.field}.") from exc
    db.session.commit()
    click.echo(f"Global administrator {username} created.")


@lectern_cli.command("create-academy")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--city", required=True)
@click.option("--country", required=True, help="ISO 3166 two-letter code.")
@click.option("--timezone", "tz", required=True, help="IANA name, e.g. Europe/Riga.")
@click.option("--language", default="en")
def create_academy(slug: str, name: str, city: str, country: str, tz: str, language: str) -> None:
    """Create an academy (the first one, before any administrator exists)."""
    if tz not in zoneinfo.available_timezones():
        raise click.ClickException(f"Unknown timezone {tz!r}.")
    if db.session.scalar(select(Academy).where(Academy.slug == slug)) is not None:
        raise click.ClickException(f"An academy with the short name {slug!r} exists.")
    db.session.add(
        Academy(slug=slug, name=name, city=city, country=country.upper(), timezone=tz, default_language=language)
    )
    db.session.commit()
    click.echo(f"Academy {slug} created.")


@lectern_cli.command("set-password")
@click.argument("username")
@click.option("--password", default=None, help="Prompted for when left out.")
def set_password(username: str, password: str | None) -> None:
    """Set a user's password (and sign them out everywhere)."""
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    accounts.set_password(db.session, user, _read_password(password))
    db.session.commit()
    click.echo(f"Password of {username} changed.")


@lectern_cli.command("relay")
@click.option("--bind", default="127.0.0.1:5100", show_default=True, help="HOST:PORT to listen on (port 0: any).")
def relay(bind: str) -> None:
    """Run a relay process: the lectures' media, reached by the web instances whose LECTERN_RELAYS names it."""
    # Here, not at the top: the relay loads aiortc, which no other command needs.
    from lectern.webrtc.relay.provider import relay_options
    from lectern.webrtc.relay.service import serve

    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{bind!r} is not HOST:PORT", param_hint="--bind")
    secret = current_app.config["LECTERN_RELAY_SECRET"]
    if not secret:
        raise click.ClickException("LECTERN_RELAY_SECRET is not set: the relay refuses every unsigned request.")

    def ready(server: object) -> None:
        click.echo(f"relay listening on {getattr(server, 'url', '')}", err=False)

    config = current_app.config
    registry, node = None, None
    if config["LECTERN_RELAYS"] == "registry" or config["LECTERN_RELAY_URL"]:
        from lectern.webrtc.relay.provider import relay_registry
        from lectern.webrtc.relay.registry import Node

        registry = relay_registry(current_app)
        url = config["LECTERN_RELAY_URL"]  # "": the address it listens on, once it does
        node = Node(url, url, config["LECTERN_RELAY_REGION"], int(config["LECTERN_RELAY_CAPACITY"]))
    serve(host, int(port), secret, relay_options(current_app), ready=ready, registry=registry, node=node)


@lectern_cli.command("relays")
def relays() -> None:
    """List the relay processes beating in the registry (LECTERN_RELAYS=registry): id, address, region, capacity
    and load. Exits with an error when none is registered."""
    # Here, not at the top: only this command needs the registry's Redis client.
    import redis

    from lectern.webrtc.relay.provider import relay_registry

    try:
        registry = relay_registry(current_app)
        nodes = registry.nodes()
    except ValueError as exc:  # no REDIS_URL
        raise click.ClickException(str(exc)) from exc
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis (REDIS_URL) did not answer: {exc}") from exc
    key = current_app.config["LECTERN_RELAY_REGISTRY_KEY"]
    if not nodes:
        raise click.ClickException(f"No relay is registered under {key!r} (is one running, with this REDIS_URL?).")
    rows = [("id", "url", "region", "capacity", "load")]
    rows += [(n.id, n.url, n.region or "-", str(n.capacity), str(n.load)) for n in nodes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        left = [cell.ljust(width) for cell, width in zip(row[:3], widths[:3], strict=True)]
        right = [cell.rjust(width) for cell, width in zip(row[3:], widths[3:], strict=True)]
        click.echo("  ".join(left + right).rstrip())
    click.echo(f"{len(nodes)} relay{'s' if len(nodes) != 1 else ''} under {key!r}.")


@lectern_cli.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Jobs run at once.")
@click.option(
    "--processes",
    "worker_type",
    flag_value="process",
    help="Run each job in a process of its own (CPU-heavy tasks) rather than in a thread.",
)
@click.option("--threads", "worker_type", flag_value="thread", default=True, help="Run jobs in threads (default).")
@click.option(
    "--shutdown-timeout",
    default=10.0,
    show_default=True,
    help="On Ctrl-C (SIGINT), seconds to let running jobs finish. SIGTERM stops at once: they resume later.",
)
@click.option("--exit-with-parent", is_flag=True, hidden=True, help="Stop when the starting process has gone.")
def worker(workers: int, worker_type: str, shutdown_timeout: float, exit_with_parent: bool) -> None:
    """Run the background jobs (course imports, replays) from the queue: SQLite in the instance folder, or Redis
    (REDIS_URL or LECTERN_JOBS_URL). Jobs a stopped worker left running are resumed or failed at its start."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if current_app.config["LECTERN_JOBS_IMMEDIATE"]:
        raise click.ClickException("LECTERN_JOBS_IMMEDIATE is set: jobs run where they are asked for, not here.")

    def ready(line: str) -> None:
        click.echo(line)
        sys.stdout.flush()

    job_worker.run(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        workers,
        worker_type,
        shutdown_timeout=shutdown_timeout,
        exit_with_parent=exit_with_parent,
        ready=ready,
    )
