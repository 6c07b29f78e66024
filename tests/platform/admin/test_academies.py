"""User and academy administration, and above all its academy scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lectern.extensions import db
from lectern.platform.models import Academy, Role, User


@pytest.fixture
def two_academies(make):
    home = make.academy(name="State Border Guard College", slug="rezekne")
    other = make.academy(name="Border Service Training Centre", slug="bishkek", timezone="Asia/Bishkek")
    return home, other


def _user_form(user: User, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email or "",
        "academy_id": str(user.academy_id),
        "role": user.role.value,
        "language": user.language or "",
        "active": "y" if user.active else "",
        "password": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k in {"email", "language", "password"}}


def test_global_admin_sees_every_academy_with_counts(client, make, two_academies):
    home, other = two_academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    make.user(Role.CADET, other)
    make.user(Role.CADET, other)
    client.login(admin.username)
    page = client.get("/admin/").get_data(as_text=True)
    assert "State Border Guard College" in page
    assert "Border Service Training Centre" in page


def test_academy_admin_lists_only_own_academy_users(client, make, two_academies):
    home, other = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    mine = make.user(Role.CADET, home, last_name="Ozola")
    theirs = make.user(Role.CADET, other, last_name="Asanov")
    client.login(admin.username)
    page = client.get("/admin/users").get_data(as_text=True)
    assert mine.username in page
    assert theirs.username not in page
    # Asking for the other academy by filter changes nothing.
    page = client.get(f"/admin/users?academy={other.id}").get_data(as_text=True)
    assert theirs.username not in page
    assert mine.username in page


def test_user_list_filters_by_search_role_and_academy(client, make, two_academies):
    home, other = two_academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    cadet = make.user(Role.CADET, other, first_name="Азамат", last_name="Асанов")
    instructor = make.user(Role.INSTRUCTOR, home, first_name="Jānis", last_name="Ozols")
    client.login(admin.username)
    page = client.get("/admin/users?q=асанов").get_data(as_text=True)
    assert cadet.username in page and instructor.username not in page
    page = client.get("/admin/users?role=instructor").get_data(as_text=True)
    assert instructor.username in page and cadet.username not in page
    page = client.get(f"/admin/users?academy={other.id}").get_data(as_text=True)
    assert cadet.username in page and instructor.username not in page
    # Nonsense filters are ignored, not errors.
    assert client.get("/admin/users?role=emperor&academy=abc&page=-3").status_code == 200


def test_user_list_runs_a_constant_number_of_queries(client, make, two_academies, app):
    from sqlalchemy import event

    home, _ = two_academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    client.login(admin.username)

    def count_queries() -> int:
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/users").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    few = count_queries()
    for _ in range(15):
        make.user(Role.CADET, make.academy())
    assert count_queries() == few


def test_academy_admin_creates_a_cadet_in_own_academy(client, make, two_academies, app):
    home, _ = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    client.login(admin.username)
    response = client.submit(
        "/admin/users/new",
        {
            "username": "n.new",
            "first_name": "Нурлан",
            "last_name": "Новый",
            "email": "n.new@example.org",
            "academy_id": str(home.id),
            "role": "cadet",
            "language": "ru",
            "password": "a long first password",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "n.new"))
        assert user.academy_id == home.id and user.role is Role.CADET and user.language == "ru"
    assert client.submit("/logout", page="/admin/users").status_code == 302
    assert client.login("n.new", "a long first password").status_code == 302


def _user_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(User)).all())


@pytest.mark.parametrize(
    ("role", "academy"),
    [("cadet", "other"), ("global_admin", "home")],
    ids=["into-other-academy", "as-global-admin"],
)
def test_academy_admin_cannot_create_outside_their_powers(client, make, two_academies, app, role, academy):
    home, other = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    client.login(admin.username)
    before = _user_count(app)
    target = other if academy == "other" else home
    response = client.submit(
        "/admin/users/new",
        {
            "username": "intruder",
            "first_name": "A",
            "last_name": "B",
            "academy_id": str(target.id),
            "role": role,
            "password": "a long first password",
        },
    )
    # The choice is not offered, so the form refuses it as an invalid choice.
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _user_count(app) == before


@pytest.mark.parametrize("view", ["get-edit", "post-edit"])
def test_academy_admin_cannot_see_or_change_another_academys_user(client, make, two_academies, app, view):
    home, other = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    theirs = make.user(Role.CADET, other, first_name="Original")
    client.login(admin.username)
    url = f"/admin/users/{theirs.id}/edit"
    if view == "get-edit":
        response = client.get(url)
    else:
        response = client.submit(url, _user_form(theirs, first_name="Changed"), page="/admin/users")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(User, theirs.id).first_name == "Original"


@pytest.mark.parametrize("view", ["get-academy", "get-edit", "post-edit"])
def test_academy_admin_cannot_see_or_change_another_academy(client, make, two_academies, app, view):
    home, other = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    client.login(admin.username)
    if view == "get-academy":
        response = client.get(f"/admin/academies/{other.id}")
    elif view == "get-edit":
        response = client.get(f"/admin/academies/{other.id}/edit")
    else:
        response = client.submit(
            f"/admin/academies/{other.id}/edit",
            {
                "name": "Taken over",
                "slug": "bishkek",
                "city": "X",
                "country": "KG",
                "timezone": "UTC",
                "default_language": "en",
            },
            page="/admin/users",
        )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Academy, other.id).name == "Border Service Training Centre"


def test_academy_admin_cannot_edit_a_global_admin_of_own_academy(client, make, two_academies, app):
    home, _ = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    boss = make.user(Role.GLOBAL_ADMIN, home)
    client.login(admin.username)
    assert client.get(f"/admin/users/{boss.id}/edit").status_code == 403
    response = client.submit(f"/admin/users/{boss.id}/edit", _user_form(boss, role="cadet"), page="/admin/users")
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, boss.id).role is Role.GLOBAL_ADMIN


def test_academy_admin_edits_own_academy(client, make, two_academies, app):
    home, _ = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    client.login(admin.username)
    response = client.submit(
        f"/admin/academies/{home.id}/edit",
        {
            "name": "State Border Guard College of Latvia",
            "slug": "rezekne",
            "city": "Rēzekne",
            "country": "lv",
            "timezone": "Europe/Riga",
            "default_language": "en",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        academy = db.session.get(Academy, home.id)
        assert academy.name == "State Border Guard College of Latvia"
        assert academy.country == "LV"


def test_admin_suspends_a_user_and_their_session_ends(app, make, two_academies):
    from tests.conftest import Client

    home, _ = two_academies
    app.test_client_class = Client
    admin_client, cadet_client = app.test_client(), app.test_client()
    admin = make.user(Role.ACADEMY_ADMIN, home)
    cadet = make.user(Role.CADET, home)
    admin_client.login(admin.username)
    cadet_client.login(cadet.username)
    assert cadet_client.get("/learning").status_code == 200
    response = admin_client.submit(f"/admin/users/{cadet.id}/edit", _user_form(cadet, active=""))
    assert response.status_code == 302
    assert cadet_client.get("/learning").status_code == 302
    assert cadet_client.login(cadet.username).status_code == 200  # refused, with the same words as a wrong password


def test_admin_sets_a_new_password(client, make, two_academies, app):
    home, _ = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    cadet = make.user(Role.CADET, home)
    client.login(admin.username)
    client.submit(f"/admin/users/{cadet.id}/edit", _user_form(cadet, password="a brand new password"))
    client.submit("/logout", page="/admin/users")
    assert client.login(cadet.username, "a brand new password").status_code == 302


def test_admin_cannot_demote_or_suspend_themselves(client, make, two_academies, app):
    home, _ = two_academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    client.login(admin.username)
    response = client.submit(f"/admin/users/{admin.id}/edit", _user_form(admin, role="cadet"))
    assert response.status_code == 200
    assert "cannot change your own role" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).role is Role.ACADEMY_ADMIN


def test_duplicate_username_and_email_are_form_errors(client, make, two_academies, app):
    home, _ = two_academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    taken = make.user(Role.CADET, home, email="taken@example.org")
    other = make.user(Role.CADET, home)
    client.login(admin.username)
    for field, value in (("username", taken.username.upper()), ("email", "TAKEN@example.org")):
        response = client.submit(f"/admin/users/{other.id}/edit", _user_form(other, **{field: value}))
        assert response.status_code == 200
        assert "Another user already has this." in response.get_data(as_text=True)


def test_global_admin_creates_an_academy(client, make, two_academies, app):
    home, _ = two_academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    client.login(admin.username)
    data = {
        "name": "Border Troops Training Centre",
        "slug": "dushanbe",
        "city": "Dushanbe",
        "country": "TJ",
        "timezone": "Asia/Dushanbe",
        "default_language": "ru",
    }
    response = client.submit("/admin/academies/new", data)
    assert response.status_code == 302
    duplicate = client.submit("/admin/academies/new", data)
    assert "Another academy already uses this short name." in duplicate.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Academy).where(Academy.slug == "dushanbe")).timezone == "Asia/Dushanbe"
