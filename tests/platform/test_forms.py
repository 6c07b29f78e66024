"""Bad input on every form gives a form error or a clear 4xx, never a 500, and changes nothing."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from lectern.platform import cache
from lectern.platform.models import Role
from tests.conftest import Client

LONG = "x" * 5000

GOOD = {
    "/login": {"username": "someone", "password": "whatever"},
    "/account": {"first_name": "Inese", "last_name": "Kalniņa", "language": "ru"},
    "/account/password": {"current": "correct horse battery", "new": "long enough pass", "confirm": "long enough pass"},
    "/admin/academies/new": {
        "name": "Academy",
        "slug": "academy-x",
        "city": "Almaty",
        "country": "KZ",
        "timezone": "Asia/Almaty",
        "default_language": "ru",
    },
    "/admin/users/new": {
        "username": "new.user",
        "first_name": "A",
        "last_name": "B",
        "email": "a@example.org",
        "academy_id": "{academy}",
        "role": "cadet",
        "language": "",
        "password": "a long password",
    },
}

# (form, field, bad value, words expected in the page)
CASES = [
    ("/login", "username", "", "This field is required"),
    ("/login", "username", LONG, "Field cannot be longer than 64 characters"),
    ("/login", "password", "", "This field is required"),
    ("/account", "first_name", "", "This field is required"),
    ("/account", "last_name", LONG, "Field cannot be longer than 100 characters"),
    ("/account", "language", "klingon", "Not a valid choice"),
    ("/account/password", "new", "", "This field is required"),
    ("/account/password", "current", LONG, "Field cannot be longer than 256 characters"),
    ("/admin/academies/new", "name", "", "This field is required"),
    ("/admin/academies/new", "name", LONG, "Field cannot be longer than 200 characters"),
    ("/admin/academies/new", "slug", "Has Spaces", "lower-case Latin letters"),
    ("/admin/academies/new", "country", "Latvia", "Two letters"),
    ("/admin/academies/new", "timezone", "Mars/Olympus", "Not a valid choice"),
    ("/admin/academies/new", "default_language", "", "This field is required"),
    ("/admin/users/new", "username", "", "This field is required"),
    ("/admin/users/new", "username", "имя пользователя", "Use Latin letters"),
    ("/admin/users/new", "username", LONG, "Field cannot be longer than 64 characters"),
    ("/admin/users/new", "email", "not-an-email", "Invalid email address"),
    ("/admin/users/new", "academy_id", "abc", "This field is required"),
    ("/admin/users/new", "academy_id", "99999", "Not a valid choice"),
    ("/admin/users/new", "role", "emperor", "Not a valid choice"),
    ("/admin/users/new", "password", "", "A new user needs a password"),
    ("/admin/users/new", "password", "short", "Field must be between 10 and 256 characters long"),
    ("/admin/users/new", "first_name", LONG, "Field cannot be longer than 100 characters"),
]


@pytest.mark.parametrize(("url", "field", "value", "message"), CASES, ids=[f"{c[0]}:{c[1]}:{c[2][:12]}" for c in CASES])
def test_bad_input_is_a_form_error(client, make, url, field, value, message):
    academy = make.academy()
    if url != "/login":
        user = make.user(Role.GLOBAL_ADMIN, academy)
        client.login(user.username)
    data = {k: v.format(academy=academy.id) for k, v in GOOD[url].items()}
    data[field] = value
    response = client.submit(url, data)
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error"' in page or "Wrong username or password" in page


@pytest.mark.parametrize("url", sorted(GOOD))
def test_a_form_post_with_nothing_in_it_is_not_an_error_page(client, make, url):
    user = make.user(Role.GLOBAL_ADMIN)
    if url != "/login":
        client.login(user.username)
    response = client.submit(url, {})
    assert response.status_code in (200, 302)  # a form error, or (profile) the saved values kept as they were


@pytest.mark.parametrize(
    "path", ["/admin/users/abc/edit", "/admin/users/99999999999999999999/edit", "/admin/academies/-1", "/nowhere"]
)
def test_malformed_ids_in_addresses_are_404(client, make, path):
    user = make.user(Role.GLOBAL_ADMIN)
    client.login(user.username)
    assert client.get(path).status_code == 404


TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def test_pages_loaded_in_the_same_second_carry_their_own_session_s_csrf_token(app, make, monkeypatch):
    """A signed CSRF token is kept for a second under its session's own secret (forms.csrf_token): two sessions
    loading pages together get different tokens, and a token is accepted in its own session only."""
    # The caches' clock stands still, so the pages are loaded "within the same second" however slow the machine is
    # (a loaded CI runner once took over a second between two loads of one browser).
    monkeypatch.setattr(cache, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    app.test_client_class = Client
    users = [make.user(Role.CADET), make.user(Role.CADET)]
    browsers = [app.test_client(), app.test_client()]
    for browser, user in zip(browsers, users, strict=True):
        browser.login(user.username)
    tokens = []
    for browser in browsers:
        found = TOKEN.findall(browser.get("/courses/").get_data(as_text=True))
        assert found and TOKEN.findall(browser.get("/courses/").get_data(as_text=True)) == found
        tokens.append(found[0])
    assert tokens[0] != tokens[1]
    switch = {"language": "ru"}
    assert browsers[1].post("/language", data={**switch, "csrf_token": tokens[0]}).status_code == 400
    assert browsers[0].post("/language", data={**switch, "csrf_token": tokens[0]}).status_code == 302
