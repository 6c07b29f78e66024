"""Error pages and JSON errors, the health check, security headers."""

from __future__ import annotations

import pytest

from lectern.platform.models import Role


def test_404_is_a_page_for_browsers_and_json_for_json_clients(client):
    page = client.get("/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Page not found" in page.get_data(as_text=True)
    api = client.get("/nowhere", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.json["error"]["code"] == 404
    assert api.json["error"]["title"] == "Page not found"
    russian = client.get("/api/nowhere", headers={"Accept-Language": "ru"})
    assert russian.json["error"]["title"] == "Страница не найдена"


def test_403_as_json(client, make):
    user = make.user(Role.CADET)
    client.login(user.username)
    response = client.get("/admin/users", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == 403


def test_500_rolls_back_and_shows_a_page_without_a_trace(app, client, make):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():  # a view that fails mid-transaction
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page
    assert client.get("/boom", headers={"Accept": "application/json"}).json["error"]["code"] == 500


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_says_when_the_database_is_down(app_factory, tmp_path):
    app = app_factory(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "fail", "database": "unavailable"}


@pytest.mark.parametrize("path", ["/login", "/healthz", "/nowhere"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in headers["Permissions-Policy"]


def test_templates_have_no_inline_script_or_style():
    """The CSP forbids them; a template that used one would silently break in the browser."""
    import re
    from pathlib import Path

    templates = sorted((Path(__file__).resolve().parents[2] / "lectern" / "templates").rglob("*.html"))
    assert templates
    for template in templates:
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"<style|\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template


def test_production_cookies_are_secure(app_factory):
    app = app_factory(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/login")
    assert "Strict-Transport-Security" in response.headers
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lectern_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
