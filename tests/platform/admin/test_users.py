"""The users list's cohorts, suspension, password reset and CSV export; the audit entries of user administration;
and the academy scoping of every one of these pages and actions, refusals included."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lectern.extensions import db
from lectern.platform.models import Academy, AuditEntry, Role, User
from lectern.platform.user_import.csv_format import read_users_csv
from tests.conftest import Client
from tests.platform.admin.test_academies import _user_form


@pytest.fixture
def academies(make):
    home = make.academy(name="State Border Guard College", slug="rezekne")
    other = make.academy(name="Border Service Training Centre", slug="bishkek", timezone="Asia/Bishkek")
    return home, other


def _entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        found = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()
        for entry in found:
            db.session.expunge(entry)
        return list(found)


def _second_client(app) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


def test_the_list_shows_and_filters_by_cohort(client, make, academies):
    home, other = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    member = make.user(Role.CADET, home, username="in.cohort")
    outsider = make.user(Role.CADET, home, username="not.in.cohort")
    intake = make.cohort(home, "Intake 2026", members=[member])
    theirs = make.cohort(other, "Their intake", members=[make.user(Role.CADET, other, username="their.cadet")])
    client.login(admin.username)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Intake 2026" in page and "Their intake" not in page
    page = client.get(f"/admin/users?cohort={intake.id}").get_data(as_text=True)
    assert member.username in page and outsider.username not in page
    # Another academy's cohort is no filter for them: ignored, and nothing of it shows.
    page = client.get(f"/admin/users?cohort={theirs.id}").get_data(as_text=True)
    assert "their.cadet" not in page and outsider.username in page


def test_suspending_ends_the_sessions_and_reactivating_lets_back_in(app, client, make, academies):
    home, _ = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    cadet = make.user(Role.CADET, home)
    cadet_client = _second_client(app)
    cadet_client.login(cadet.username)
    assert cadet_client.get("/learning").status_code == 200
    client.login(admin.username)
    response = client.submit(f"/admin/users/{cadet.id}/suspend", {"next": "/admin/users?q=x"}, page="/admin/users")
    assert response.status_code == 302 and response.location == "/admin/users?q=x"
    assert cadet_client.get("/learning").status_code == 302
    assert cadet_client.login(cadet.username).status_code == 200  # refused
    assert "Suspended" in client.get("/admin/users").get_data(as_text=True)
    client.submit(f"/admin/users/{cadet.id}/reactivate", {"next": "https://evil.example/"}, page="/admin/users")
    assert cadet_client.login(cadet.username).status_code == 302
    assert [e.target for e in _entries(app, "user.suspend")] == [cadet.username]
    assert [e.actor_id for e in _entries(app, "user.reactivate")] == [admin.id]


def test_nobody_suspends_themselves(app, client, make, academies):
    home, _ = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    client.login(admin.username)
    assert client.submit(f"/admin/users/{admin.id}/suspend", page="/admin/users").status_code == 403
    with app.app_context():
        assert db.session.get(User, admin.id).active


def test_a_reset_password_is_shown_once_and_works(app, client, make, academies):
    home, _ = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    cadet = make.user(Role.CADET, home)
    cadet_client = _second_client(app)
    cadet_client.login(cadet.username)
    client.login(admin.username)
    response = client.submit(f"/admin/users/{cadet.id}/password", page="/admin/users")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="new-password"><strong>([^<]+)</strong>', response.get_data(as_text=True)).group(1)
    assert cadet_client.get("/learning").status_code == 302  # signed out
    assert cadet_client.login(cadet.username).status_code == 200  # the old password is gone
    assert cadet_client.login(cadet.username, password).status_code == 302
    # Not kept anywhere to be shown again: not in the users list, not in a flash message.
    assert password not in client.get("/admin/users").get_data(as_text=True)
    entry = _entries(app, "user.password")[0]
    assert (entry.actor_id, entry.academy_id, entry.target) == (admin.id, home.id, cadet.username)
    assert password not in str(entry.details)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/users/{id}/edit"),
        ("post", "/admin/users/{id}/edit"),
        ("post", "/admin/users/{id}/suspend"),
        ("post", "/admin/users/{id}/reactivate"),
        ("post", "/admin/users/{id}/password"),
    ],
)
def test_academy_admins_cannot_reach_another_academys_users(app, client, make, academies, method, path):
    home, other = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    theirs = make.user(Role.CADET, other, first_name="Original", active=False)
    client.login(admin.username)
    url = path.format(id=theirs.id)
    response = client.get(url) if method == "get" else client.submit(url, {"first_name": "X"}, page="/admin/users")
    assert response.status_code == 404
    with app.app_context():
        item = db.session.get(User, theirs.id)
        assert (item.first_name, item.active, item.password_hash) == ("Original", False, theirs.password_hash)
        assert db.session.scalar(select(AuditEntry)) is None


@pytest.mark.parametrize("path", ["suspend", "password"])
def test_academy_admins_cannot_touch_a_global_admin(app, client, make, academies, path):
    home, _ = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    boss = make.user(Role.GLOBAL_ADMIN, home)
    client.login(admin.username)
    assert client.submit(f"/admin/users/{boss.id}/{path}", page="/admin/users").status_code == 403
    with app.app_context():
        item = db.session.get(User, boss.id)
        assert item.active and item.password_hash == boss.password_hash


@pytest.mark.parametrize("role", [Role.ACADEMY_ADMIN, Role.GLOBAL_ADMIN])
def test_the_list_links_only_the_users_its_reader_may_edit(client, make, academies, role):
    home, _ = academies
    reader = make.user(role, home)
    boss = make.user(Role.GLOBAL_ADMIN, home, first_name="Guna", last_name="Boss")
    cadet = make.user(Role.CADET, home, first_name="Aibek", last_name="Asanov")
    client.login(reader.username)

    page = client.get("/admin/users").get_data(as_text=True)

    edits = set(re.findall(r'href="(/admin/users/\d+/edit)"', page))
    assert f"/admin/users/{cadet.id}/edit" in edits
    assert (f"/admin/users/{boss.id}/edit" in edits) is (role is Role.GLOBAL_ADMIN)
    assert "Boss, Guna" in page
    for href in edits:  # every link opens
        assert client.get(href).status_code == 200, href
    if role is Role.ACADEMY_ADMIN:  # and nothing offered on the row it may not touch
        assert f"/admin/users/{boss.id}/" not in page


ADMIN_PAGES = [
    ("get", "/admin/"),
    ("get", "/admin/users"),
    ("post", "/admin/users/export.csv"),
    ("get", "/admin/users/new"),
    ("post", "/admin/users/new"),
    ("get", "/admin/users/{id}/edit"),
    ("post", "/admin/users/{id}/edit"),
    ("post", "/admin/users/{id}/suspend"),
    ("post", "/admin/users/{id}/reactivate"),
    ("post", "/admin/users/{id}/password"),
    ("get", "/admin/academies/{academy}"),
    ("get", "/admin/academies/{academy}/edit"),
    ("get", "/admin/academies/new"),
    ("get", "/admin/users/import"),
    ("post", "/admin/users/import"),
    ("post", "/admin/users/import/apply"),
    ("get", "/admin/users/import/example.csv"),
]


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.CADET, Role.CLASSROOM])
def test_non_administrators_are_refused_every_admin_page(app, client, make, academies, role):
    home, _ = academies
    user = make.user(role, home)
    cadet = make.user(Role.CADET, home)
    client.login(user.username)
    for method, path in ADMIN_PAGES:
        url = path.format(id=cadet.id, academy=home.id)
        response = client.get(url) if method == "get" else client.submit(url, {}, page="/learning")
        assert response.status_code == 403, (method, url)
    with app.app_context():
        assert db.session.get(User, cadet.id).active
        assert db.session.scalar(select(AuditEntry)) is None


def test_global_admins_export_the_filter_in_the_upload_layout(app, client, make, academies):
    home, other = academies
    boss = make.user(Role.GLOBAL_ADMIN, home)
    cadet = make.user(Role.CADET, other, username="a.asanov", first_name="=cmd", language="ru")
    make.cohort(other, "Intake 2026", members=[cadet])
    make.user(Role.CADET, home, username="k.berzins")
    client.login(boss.username)
    # A GET writes nothing: the export, which the audit log records, is a POST from the users page.
    assert client.get(f"/admin/users/export.csv?academy={other.id}").status_code == 405
    assert _entries(app, "user.export") == []
    response = client.submit(f"/admin/users/export.csv?academy={other.id}", page="/admin/users")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    result = read_users_csv(response.data)
    assert result.columns == ["username", "firstname", "lastname", "email", "lang", "institution", "cohort1"]
    assert [(r.username, r.first_name, r.language, r.institution, r.cohorts) for r in result.rows] == [
        ("a.asanov", "=cmd", "ru", "bishkek", ("Intake 2026",))
    ]
    assert b"'=cmd" in response.data  # written so that a spreadsheet shows it, never runs it
    entry = _entries(app, "user.export")[0]
    assert (entry.actor_id, entry.academy_id, entry.details["count"]) == (boss.id, other.id, 1)


def test_academy_admins_export_their_own_academy_only(app, client, make, academies):
    home, other = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    make.user(Role.CADET, home, username="k.berzins")
    make.user(Role.CADET, other, username="a.asanov")
    client.login(admin.username)
    for url in ("/admin/users/export.csv", f"/admin/users/export.csv?academy={other.id}"):
        usernames = {r.username for r in read_users_csv(client.submit(url, page="/admin/users").data).rows}
        assert usernames == {admin.username, "k.berzins"}
    assert {e.academy_id for e in _entries(app, "user.export")} == {home.id}


def test_user_administration_is_audited(app, client, make, academies):
    home, _ = academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    client.login(admin.username)
    new = {
        "username": "n.new",
        "first_name": "Нурлан",
        "last_name": "Новый",
        "email": "",
        "academy_id": str(home.id),
        "role": "cadet",
        "language": "",
        "password": "a long first password",
    }
    assert client.submit("/admin/users/new", new).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "n.new"))
        db.session.expunge(user)
    url = f"/admin/users/{user.id}/edit"
    changes = {"role": "instructor", "last_name": "Старый", "active": "", "password": "another long password"}
    assert client.submit(url, _user_form(user, **changes)).status_code == 302
    created, updated = _entries(app, "user.create"), _entries(app, "user.update")
    assert [(e.actor_id, e.academy_id, e.target, e.details) for e in created] == [
        (admin.id, home.id, "n.new", {"role": "cadet"})
    ]
    assert [e.details for e in updated] == [{"fields": ["last_name"]}]
    assert [e.details for e in _entries(app, "user.role")] == [{"old": "cadet", "new": "instructor"}]
    assert len(_entries(app, "user.suspend")) == 1
    assert len(_entries(app, "user.password")) == 1


def test_academy_changes_are_audited(app, client, make, academies):
    home, _ = academies
    boss = make.user(Role.GLOBAL_ADMIN, home)
    client.login(boss.username)
    data = {
        "name": "Border Troops Training Centre",
        "slug": "dushanbe",
        "city": "Dushanbe",
        "country": "TJ",
        "timezone": "Asia/Dushanbe",
        "default_language": "ru",
    }
    assert client.submit("/admin/academies/new", data).status_code == 302
    with app.app_context():
        academy_id = db.session.scalar(select(Academy.id).where(Academy.slug == "dushanbe"))
    assert client.submit(f"/admin/academies/{academy_id}/edit", {**data, "city": "Душанбе"}).status_code == 302
    assert [(e.academy_id, e.target) for e in _entries(app, "academy.create")] == [(academy_id, data["name"])]
    assert [e.actor_id for e in _entries(app, "academy.update")] == [boss.id]


def test_a_nul_character_in_any_search_box_is_not_a_server_error(client, make, academies):
    """PostgreSQL refuses NUL in text: a search box holding one is a 400 that names it (lectern.inputs), not a 500."""
    home, _other = academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    course = make.course(home.id, title="Document security")
    make.staff(course.id, admin.id)
    cohort = make.cohort(home, "Intake 2026", members=[])
    client.login(admin.username)
    for url in (
        "/admin/users",
        "/admin/audit/",
        f"/admin/cohorts/{cohort.id}",
        "/courses/",
        f"/courses/{course.id}/participants",
        f"/courses/{course.id}/questions",
    ):
        response = client.get(f"{url}?q=doc%00ument")
        assert response.status_code == 400, url
        assert "“q”" in response.get_data(as_text=True)


def test_the_new_user_form_starts_from_the_academys_language(app, client, make):
    """The form offers the academy's default language for a new user; "As my browser" stays a choice."""
    tashkent = make.academy(default_language="uz")
    admin = make.user(Role.ACADEMY_ADMIN, tashkent)
    client.login(admin.username)
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert re.search(r'<option selected value="uz">|<option value="uz" selected>', form), form
    new = {
        "username": "n.browser",
        "first_name": "Nodira",
        "last_name": "Karimova",
        "email": "",
        "academy_id": str(tashkent.id),
        "role": "cadet",
        "language": "",
        "password": "a long first password",
    }
    assert client.submit("/admin/users/new", new).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == "n.browser")) is None
