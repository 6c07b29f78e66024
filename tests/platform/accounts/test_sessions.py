"""Sign-ins kept on the server: a sign-out, a password change or a suspension ends them, cookies copied included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, func, select, update

from lectern.extensions import db
from lectern.platform.models import Academy, LoginSession, Role, User, utcnow
from tests.conftest import Client
from tests.factories import PASSWORD, Factory

SESSION, REMEMBER = "lectern_session", "lectern_remember"


def browser(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


def copy_of(app: Flask, source: Client, *names: str) -> Client:
    """Another browser holding copies of `source`'s cookies (as a thief with them would)."""
    thief = browser(app)
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def sign_ins(app: Flask, user: User) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(LoginSession.user_id == user.id)) or 0


def test_sign_out_ends_a_copied_session_cookie(app: Flask, make: Factory) -> None:
    user = make.user(Role.CADET)
    owner = browser(app)
    assert owner.login(user.username).status_code == 302
    thief = copy_of(app, owner, SESSION)
    assert thief.get("/learning").status_code == 200  # the copy works while the sign-in stands
    assert owner.submit("/logout", page="/learning").status_code == 302
    assert thief.get("/learning").status_code == 302
    assert sign_ins(app, user) == 0


def test_sign_out_ends_a_copied_remember_me_cookie(app: Flask, make: Factory) -> None:
    user = make.user(Role.CADET)
    owner = browser(app)
    owner.submit("/login", {"username": user.username, "password": PASSWORD, "remember": "y"})
    thief = copy_of(app, owner, REMEMBER)
    assert thief.get("/learning").status_code == 200
    thief = copy_of(app, owner, REMEMBER)  # a fresh copy, without the session cookie the first visit set
    owner.submit("/logout", page="/learning")
    assert thief.get("/learning").status_code == 302


def test_sign_out_of_all_other_devices(app: Flask, make: Factory) -> None:
    user = make.user(Role.INSTRUCTOR)
    laptop, phone, tablet = browser(app), browser(app), browser(app)
    for device in (laptop, phone, tablet):
        device.login(user.username)
    page = laptop.get("/account").get_data(as_text=True)
    assert "Sign out of all other devices" in page
    response = laptop.submit("/account/sign-out-others", page="/account")
    assert response.status_code == 302
    assert "signed out on all other devices" in laptop.get("/account").get_data(as_text=True)
    assert laptop.get("/teaching").status_code == 200
    assert phone.get("/teaching").status_code == 302
    assert tablet.get("/teaching").status_code == 302
    assert sign_ins(app, user) == 1


@pytest.mark.parametrize("action", ["suspend", "password"])
def test_suspension_and_an_administrators_password_reset_end_every_sign_in(
    app: Flask, make: Factory, action: str
) -> None:
    academy = make.academy()
    admin, user = make.user(Role.ACADEMY_ADMIN, academy), make.user(Role.CADET, academy)
    plain, remembered = browser(app), browser(app)
    plain.login(user.username)
    remembered.submit("/login", {"username": user.username, "password": PASSWORD, "remember": "y"})
    copied = copy_of(app, remembered, REMEMBER)
    office = browser(app)
    office.login(admin.username)
    assert office.submit(f"/admin/users/{user.id}/{action}", page=f"/admin/users/{user.id}").status_code in (200, 302)
    for device in (plain, remembered, copied):
        assert device.get("/learning").status_code == 302
    assert sign_ins(app, user) == 0


def test_an_expired_sign_in_is_refused(app: Flask, make: Factory) -> None:
    user = make.user(Role.CADET)
    owner = browser(app)
    owner.login(user.username)
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert owner.get("/learning").status_code == 302
    owner.login(user.username)  # the next sign-in clears the expired row away
    assert sign_ins(app, user) == 1


def test_the_sign_in_lasts_as_long_as_its_cookie(app: Flask, make: Factory) -> None:
    user = make.user(Role.CADET)
    browser(app).login(user.username)
    browser(app).submit("/login", {"username": user.username, "password": PASSWORD, "remember": "y"})
    with app.app_context():
        rows = db.session.scalars(select(LoginSession).order_by(LoginSession.id)).all()
        lifetimes = [round((r.expires_at - utcnow()).total_seconds() / 3600) for r in rows]
    assert lifetimes == [12, 14 * 24]
    # The cookies carry a random token; the table keeps only its digest.
    with app.app_context():
        assert all(len(r.token_hash) == 64 for r in rows)


def test_the_user_loader_reads_one_row(app: Flask, make: Factory) -> None:
    """Every request finds its sign-in and its user in one query; what pages show of the academy (the header's
    name, the timezone) is read once and kept, and a change to the academy shows on the next page."""
    user = make.user(Role.CADET)
    owner = browser(app)
    owner.login(user.username)
    owner.get("/account")  # the academy's facts are read here, once
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert owner.get("/account").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert sum("login_session" in s for s in statements) == 1
        assert not any(s.lstrip().startswith("SELECT") and "FROM academy" in s for s in statements)
        academy = db.session.get(Academy, user.academy_id)
        assert academy is not None
        academy.name = "Renamed Border Guard College"
        db.session.commit()
    assert "Renamed Border Guard College" in owner.get("/account").get_data(as_text=True)
