"""`flask lectern ...` commands."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lectern.extensions import db
from lectern.platform.models import Academy, Role, User
from tests.conftest import Client


def test_demo_data_creates_the_academies_and_prints_passwords_once(app, runner):
    result = runner.invoke(args=["lectern", "demo-data"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        academies = {a.slug: a for a in db.session.scalars(select(Academy))}
        assert {"rezekne", "bishkek", "tashkent", "dushanbe", "almaty"} <= set(academies)
        assert academies["bishkek"].timezone == "Asia/Bishkek"
        roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert roles[Role.GLOBAL_ADMIN] == 1
    assert roles[Role.ACADEMY_ADMIN] >= 1
    assert roles[Role.INSTRUCTOR] == 2
    assert roles[Role.CLASSROOM] == 1
    assert roles[Role.CADET] == 12
    # The printed credentials work.
    match = re.search(r"^\s+a\.asanov\s+(\S+)\s+cadet", result.output, re.MULTILINE)
    assert match, result.output
    app.test_client_class = Client
    assert app.test_client().login("a.asanov", match.group(1)).status_code == 302
    # A second run refuses; with --if-empty it quietly does nothing, and prints no passwords.
    assert runner.invoke(args=["lectern", "demo-data"]).exit_code != 0
    again = runner.invoke(args=["lectern", "demo-data", "--if-empty"])
    assert again.exit_code == 0 and "a.asanov" not in again.output


def test_create_admin(app, runner, make):
    make.academy(slug="rezekne")
    result = runner.invoke(
        args=["lectern", "create-admin", "chief", "--academy", "rezekne", "--password", "a long admin password"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chief"))
        assert user.role is Role.GLOBAL_ADMIN
    duplicate = runner.invoke(args=["lectern", "create-admin", "chief", "--academy", "rezekne", "--password", "x" * 12])
    assert duplicate.exit_code != 0 and "already has this username" in duplicate.output
    short = runner.invoke(args=["lectern", "create-admin", "other", "--academy", "rezekne", "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output
    unknown = runner.invoke(args=["lectern", "create-admin", "x", "--academy", "nowhere", "--password", "x" * 12])
    assert unknown.exit_code != 0 and "No academy" in unknown.output


def test_create_academy_and_set_password(app, runner, make):
    result = runner.invoke(
        args=[
            "lectern",
            "create-academy",
            "almaty",
            "--name",
            "Border Service Academy",
            "--city",
            "Almaty",
            "--country",
            "kz",
            "--timezone",
            "Asia/Almaty",
        ]
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(
        args=[
            "lectern",
            "create-academy",
            "x",
            "--name",
            "X",
            "--city",
            "X",
            "--country",
            "KZ",
            "--timezone",
            "Nope/No",
        ]
    )
    assert bad.exit_code != 0 and "Unknown timezone" in bad.output
    with app.app_context():
        academy = db.session.scalar(select(Academy).where(Academy.slug == "almaty"))
        assert academy.country == "KZ"
    user = make.user(Role.CADET)
    assert runner.invoke(args=["lectern", "set-password", user.username, "--password", "a new long one"]).exit_code == 0
    app.test_client_class = Client
    assert app.test_client().login(user.username, "a new long one").status_code == 302
