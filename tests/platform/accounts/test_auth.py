from __future__ import annotations

from typing import Any

import pytest
import redis
from flask_limiter.util import get_qualified_name

from lectern import health
from lectern.extensions import db, limiter
from lectern.platform.models import Role, User
from tests.conftest import Client
from tests.factories import PASSWORD, Factory

HOMES = {
    Role.GLOBAL_ADMIN: ("/admin/", "Academies"),
    Role.INSTRUCTOR: ("/teaching", "Teaching"),
    Role.CADET: ("/learning", "My learning"),
    Role.CLASSROOM: ("/hall", "Lecture hall"),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home(client, make, role):
    academy = make.academy(name="Border Service Training Centre")
    user = make.user(role, academy, language="en")
    response = client.login(user.username)
    assert response.status_code == 302
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    if role is Role.ACADEMY_ADMIN:
        assert home.request.path == f"/admin/academies/{academy.id}"
        assert "<h1>Border Service Training Centre</h1>" in page
    else:
        path, heading = HOMES[role]
        assert home.request.path == path
        assert f"<h1>{heading}" in page


@pytest.mark.parametrize("path", ["/", "/teaching", "/learning", "/hall", "/admin/", "/admin/users", "/account"])
def test_anonymous_users_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.CADET, "/teaching"),
        (Role.CADET, "/hall"),
        (Role.INSTRUCTOR, "/learning"),
        (Role.CLASSROOM, "/learning"),
        (Role.CADET, "/admin/"),
        (Role.CADET, "/admin/users"),
        (Role.CADET, "/admin/users/new"),
        (Role.INSTRUCTOR, "/admin/users"),
        (Role.CLASSROOM, "/admin/users"),
        (Role.ACADEMY_ADMIN, "/admin/"),
        (Role.ACADEMY_ADMIN, "/admin/academies/new"),
    ],
)
def test_other_roles_home_and_admin_pages_are_forbidden(client, make, role, path):
    user = make.user(role)
    client.login(user.username)
    response = client.get(path)
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_login_error_does_not_reveal_which_accounts_exist(client, make):
    user = make.user(Role.CADET)
    suspended = make.user(Role.CADET, active=False)
    wrong_password = client.login(user.username, "not the password").get_data(as_text=True)
    unknown_user = client.login("nobody-at-all", "not the password").get_data(as_text=True)
    suspended_user = client.login(suspended.username, PASSWORD).get_data(as_text=True)
    for page in (wrong_password, unknown_user, suspended_user):
        assert "Wrong username or password." in page
    assert client.get("/").status_code == 302  # still anonymous


def test_login_is_case_insensitive_and_follows_a_safe_next(client, make):
    user = make.user(Role.CADET)
    response = client.submit(
        "/login?next=/account", {"username": user.username.upper(), "password": PASSWORD}, page="/login"
    )
    assert response.location == "/account"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_login_ignores_a_next_that_leaves_the_site(client, make, target):
    user = make.user(Role.CADET)
    response = client.submit(f"/login?next={target}", {"username": user.username, "password": PASSWORD}, page="/login")
    assert response.location == "/"


def test_logout_needs_post_and_ends_the_session(client, make):
    user = make.user(Role.CADET)
    client.login(user.username)
    assert client.get("/logout").status_code == 405
    response = client.submit("/logout", page="/learning")
    assert response.status_code == 302
    assert client.get("/learning").status_code == 302


def test_remember_me_sets_a_hardened_cookie_that_survives_the_session(app, client, make):
    user = make.user(Role.CADET)
    response = client.submit("/login", {"username": user.username, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("lectern_remember="))
    session_cookie = next(c for c in cookies if c.startswith("lectern_session="))
    for cookie in (remember, session_cookie):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
    # A new browser session: the session cookie is gone, the remember cookie signs the user back in.
    client.delete_cookie("lectern_session")
    assert client.get("/learning").status_code == 200


def test_without_remember_me_no_remember_cookie(client, make):
    user = make.user(Role.CADET)
    response = client.login(user.username)
    assert not any(c.startswith("lectern_remember=") for c in response.headers.getlist("Set-Cookie"))


def test_password_change_signs_out_other_sessions(app, make):
    app.test_client_class = Client
    user = make.user(Role.INSTRUCTOR)
    laptop, phone = app.test_client(), app.test_client()
    laptop.login(user.username)
    phone.login(user.username)
    response = laptop.submit(
        "/account/password",
        {"current": PASSWORD, "new": "a much longer new password", "confirm": "a much longer new password"},
    )
    assert response.status_code == 302
    assert laptop.get("/teaching").status_code == 200  # the device that changed it stays signed in
    assert phone.get("/teaching").status_code == 302  # the other one is signed out
    laptop.submit("/logout", page="/teaching")
    assert laptop.login(user.username, PASSWORD).status_code == 200  # old password refused
    assert laptop.login(user.username, "a much longer new password").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"current": "wrong", "new": "long enough pass", "confirm": "long enough pass"},
            "not your current password",
        ),
        ({"current": PASSWORD, "new": "short", "confirm": "short"}, "between 10 and 256"),
        ({"current": PASSWORD, "new": "long enough pass", "confirm": "other long pass"}, "passwords differ"),
        ({"current": PASSWORD, "new": "x" * 300, "confirm": "x" * 300}, "between 10 and 256"),
    ],
)
def test_password_change_refusals(client, make, app, data, message):
    user = make.user(Role.CADET)
    client.login(user.username)
    response = client.submit("/account/password", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).session_version == 1


def test_forms_without_csrf_token_are_refused(client, make):
    user = make.user(Role.CADET)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)


def test_login_rate_limit_counts_failures_per_username(app_factory):
    app = app_factory(LECTERN_LOGIN_RATE_LIMIT="3 per minute")
    app.test_client_class = Client
    client = app.test_client()
    user = Factory(app).user(Role.CADET)
    for _ in range(3):
        assert client.login(user.username, "wrong").status_code == 200
    blocked = client.login(user.username, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked out by the first one's failures.
    other = Factory(app).user(Role.CADET)
    assert client.login(other.username, PASSWORD).status_code == 302


def test_only_signing_in_consults_the_rate_limiter(app, client, make, monkeypatch):
    # The limits are the sign-in's: other requests (every page, every quiz answer) do not pay for the check.
    asked = []
    identify = limiter.identify_request
    monkeypatch.setattr(limiter, "identify_request", lambda: asked.append(1) or identify())
    user = make.user(Role.CADET)
    assert client.get("/healthz").status_code == 200
    assert client.get("/courses/").status_code in (200, 302)
    assert not asked
    assert client.login(user.username, PASSWORD).status_code == 302
    assert asked


def test_a_limit_outside_signing_in_stops_the_app_from_starting(app_factory, monkeypatch):
    marked = {*limiter._marked_for_limiting, get_qualified_name(health.healthz)}
    monkeypatch.setattr(limiter, "_marked_for_limiting", marked)
    with pytest.raises(RuntimeError, match="health"):
        app_factory()


def test_login_rate_limit_is_shared_through_redis(app_factory):
    """Two web instances with REDIS_URL count failures together."""
    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    config = {"REDIS_URL": url, "RATELIMIT_STORAGE_URI": url, "LECTERN_LOGIN_RATE_LIMIT": "2 per minute"}
    first, second = app_factory(**config), app_factory(**config)
    first.test_client_class = second.test_client_class = Client
    user = Factory(first).user(Role.CADET)
    assert first.test_client().login(user.username, "wrong").status_code == 200
    assert second.test_client().login(user.username, "wrong").status_code == 200
    assert first.test_client().login(user.username, PASSWORD).status_code == 429
    assert any(b"login-user" in key for key in redis.Redis.from_url(url).keys("*"))
    redis.Redis.from_url(url).flushdb()


def at(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


HOME, ELSEWHERE = "192.0.2.10", "198.51.100.7"
ATTACKERS = [f"203.0.113.{n}" for n in range(1, 5)]


def test_failures_from_one_address_do_not_lock_the_user_out_at_another(app_factory):
    app = app_factory(LECTERN_LOGIN_RATE_LIMIT="3 per minute")
    app.test_client_class = Client
    user = Factory(app).user(Role.CADET)
    attacker = app.test_client()
    for _ in range(3):
        assert attacker.login(user.username, "wrong", **at(ATTACKERS[0])).status_code == 200
    assert attacker.login(user.username, PASSWORD, **at(ATTACKERS[0])).status_code == 429
    assert app.test_client().login(user.username, PASSWORD, **at(HOME)).status_code == 302


def test_guesses_from_many_addresses_never_lock_the_user_out_of_their_own_browser(app_factory):
    app = app_factory(LECTERN_LOGIN_RATE_LIMIT="3 per minute", LECTERN_LOGIN_USER_RATE_LIMIT="5 per hour")
    app.test_client_class = Client
    user = Factory(app).user(Role.CADET)
    cadet = app.test_client()
    assert cadet.login(user.username, **at(HOME)).status_code == 302  # signed in from this browser before
    cadet.submit("/logout", page="/learning", **at(HOME))
    for address in ATTACKERS:  # 12 guesses from four addresses: more than 5 an hour for this username
        attacker = app.test_client()
        codes = [attacker.login(user.username, "wrong", **at(address)).status_code for _ in range(3)]
        assert set(codes) <= {200, 429}
    # The username is closed to browsers it never signed in from, at any address, the right password included ...
    assert app.test_client().login(user.username, PASSWORD, **at(ELSEWHERE)).status_code == 429
    forged = app.test_client()
    forged.set_cookie("lectern_device", "forged")
    assert forged.login(user.username, PASSWORD, **at(ELSEWHERE)).status_code == 429
    # ... but the cadet's own browser gets in, and another user is not affected at all.
    assert cadet.login(user.username, **at(HOME)).status_code == 302
    other = Factory(app).user(Role.CADET)
    assert app.test_client().login(other.username, **at(ELSEWHERE)).status_code == 302


def test_the_device_cookie_is_hardened(client, make):
    user = make.user(Role.CADET)
    response = client.login(user.username)
    device = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lectern_device="))
    assert "HttpOnly" in device and "SameSite=Lax" in device and "Max-Age=" in device
