"""Cohort administration: the pages, their academy scoping, and adding members one by one, pasted or from CSV."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from lectern.domain import Invalid
from lectern.extensions import db
from lectern.platform.cohorts import member_lists
from lectern.platform.cohorts.member_lists import ListReason, list_problems, parse_csv, parse_text
from lectern.platform.models import AuditEntry, Cohort, CohortMember, Role


@pytest.fixture
def world(make):
    home = make.academy(name="State Border Guard College")
    other = make.academy(name="Border Service Training Centre")
    admin = make.user(Role.ACADEMY_ADMIN, home)
    cadets = [
        make.user(Role.CADET, home, username=f"cadet.{n}", email=f"cadet.{n}@rs.lv", last_name=f"Ozola {n}")
        for n in range(4)
    ]
    stranger = make.user(Role.CADET, other, username="a.asanov", email="asanov@kg.example", last_name="Asanov")
    cohort = make.cohort(home, "Intake 2026", members=cadets[:1])
    theirs = make.cohort(other, "Bishkek intake", members=[stranger])
    return {
        "home": home,
        "other": other,
        "admin": admin,
        "cadets": cadets,
        "stranger": stranger,
        "cohort": cohort,
        "theirs": theirs,
    }


def _members(app, cohort_id):
    with app.app_context():
        return set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))


def _actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --- pure parsing ------------------------------------------------------------------------------------------------


def test_pasted_lists_split_on_lines_commas_semicolons_and_spaces():
    text = 'cadet.1, cadet.2;cadet.3\n\n  Cadet.4@RS.lv  cadet.5\r\n"cadet.6"\n'
    found = parse_text(text)
    assert [(i.line, i.value) for i in found] == [
        (1, "cadet.1"),
        (1, "cadet.2"),
        (1, "cadet.3"),
        (3, "Cadet.4@RS.lv"),
        (3, "cadet.5"),
        (4, "cadet.6"),
    ]
    assert found[3].is_email and not found[0].is_email
    assert parse_text("  \n ,; \n") == []


def test_too_many_identifiers_are_refused(monkeypatch):
    monkeypatch.setattr(member_lists, "MAX_IDENTIFIERS", 3)
    with pytest.raises(Invalid) as caught:
        parse_text("a b c d")
    assert caught.value.reason is ListReason.UNUSABLE_LIST
    assert list_problems(caught.value)[0].code == "too_many"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"username\ncadet.1\ncadet.2\n", [(2, "cadet.1"), (3, "cadet.2")]),
        ("\ufeffUserName;FirstName\ncadet.1;Līga\n".encode(), [(2, "cadet.1")]),
        (b"firstname\temail\nLiga\tcadet.1@rs.lv\n", [(2, "cadet.1@rs.lv")]),
        (b"username,email\ncadet.1,\n,cadet.2@rs.lv\n\n", [(2, "cadet.1"), (3, "cadet.2@rs.lv")]),
        (b"username\n'=cadet.1\n", [(2, "=cadet.1")]),
    ],
)
def test_csv_files_give_identifiers_by_line(data, expected):
    assert [(i.line, i.value) for i in parse_csv(data)] == expected


@pytest.mark.parametrize(
    ("data", "filename", "code", "line"),
    [
        (b"", "list.csv", "empty", None),
        (b"name,city\nx,y\n", "list.csv", "no_column", 1),
        (b"username\n", "list.csv", "no_rows", None),
        (b"username\ncadet.1\n\xc0\xe1\n", "list.csv", "encoding", 3),
        (b"PK\x03\x04....", "list.xlsx", "spreadsheet", None),
        (b"username,firstname\ncadet.1,Liga\n,Anna\n,;\n", "list.csv", "missing", 3),
        (b"\xff\xfeu\x00", "list.csv", "encoding", None),
    ],
)
def test_unusable_csv_files_are_named(data, filename, code, line):
    with pytest.raises(Invalid) as caught:
        parse_csv(data, filename)
    problem = list_problems(caught.value)[0]
    assert (problem.code, problem.line) == (code, line)


# --- who may do what ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.CADET, Role.CLASSROOM])
def test_non_administrators_get_403(client, make, world, role):
    user = make.user(role, world["home"])
    client.login(user.username)
    cohort = world["cohort"].id
    for url in ("/admin/cohorts/", "/admin/cohorts/new", f"/admin/cohorts/{cohort}", f"/admin/cohorts/{cohort}/edit"):
        assert client.get(url).status_code == 403, url
    response = client.submit(f"/admin/cohorts/{cohort}/members/paste", {"identifiers": "cadet.2"}, page="/courses/")
    assert response.status_code == 403


def test_academy_administrators_see_only_their_academy(client, app, make, world):
    client.login(world["admin"].username)
    html = client.get("/admin/cohorts/").get_data(as_text=True)
    assert "Intake 2026" in html and "Bishkek intake" not in html
    assert f"?academy={world['other'].id}" not in html  # no academy filter for one academy
    theirs = world["theirs"].id
    page = "/admin/cohorts/"
    for url in (f"/admin/cohorts/{theirs}", f"/admin/cohorts/{theirs}/edit", f"/admin/cohorts/{theirs}/delete"):
        assert client.get(url).status_code == 404, url
    posts = {
        f"/admin/cohorts/{theirs}/edit": {"academy_id": str(world["other"].id), "name": "Taken over"},
        f"/admin/cohorts/{theirs}/delete": {},
        f"/admin/cohorts/{theirs}/members": {"user_ids": [str(world["cadets"][1].id)]},
        f"/admin/cohorts/{theirs}/members/paste": {"identifiers": "cadet.1"},
        f"/admin/cohorts/{theirs}/members/remove": {"user_ids": [str(world["stranger"].id)]},
        f"/admin/cohorts/{theirs}/members/{world['stranger'].id}/remove": {},
    }
    for url, data in posts.items():
        assert client.submit(url, data, page=page).status_code == 404, url
    response = client.submit(
        f"/admin/cohorts/{theirs}/members/csv",
        {"file": (io.BytesIO(b"username\ncadet.1\n"), "list.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    # Nor may they create a cohort in the other academy.
    response = client.submit("/admin/cohorts/new", {"academy_id": str(world["other"].id), "name": "Mine now"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Cohort).where(Cohort.name.in_(["Mine now", "Taken over"]))) is None
    assert _members(app, theirs) == {world["stranger"].id}


def test_another_academy_user_cannot_be_added_by_a_forged_tick(client, app, world):
    client.login(world["admin"].username)
    cohort = world["cohort"].id
    url = f"/admin/cohorts/{cohort}/members"
    response = client.submit(url, {"user_ids": [str(world["cadets"][1].id), str(world["stranger"].id)]})
    assert response.status_code == 403
    assert client.submit(url, {"user_ids": ["999999"]}).status_code == 404
    assert _members(app, cohort) == {world["cadets"][0].id}


def test_global_administrators_filter_by_academy(client, make, world):
    root = make.user(Role.GLOBAL_ADMIN, world["home"])
    client.login(root.username)
    html = client.get("/admin/cohorts/").get_data(as_text=True)
    assert "Intake 2026" in html and "Bishkek intake" in html and "Border Service Training Centre" in html
    html = client.get(f"/admin/cohorts/?academy={world['other'].id}").get_data(as_text=True)
    assert "Intake 2026" not in html and "Bishkek intake" in html
    assert client.get("/admin/cohorts/?academy=nonsense").status_code == 200
    assert client.get(f"/admin/cohorts/{world['theirs'].id}").status_code == 200


def test_the_header_links_cohorts_and_the_audit_log_for_administrators(client, make, world):
    client.login(world["admin"].username)
    html = client.get("/admin/cohorts/").get_data(as_text=True)
    assert 'href="/admin/cohorts/"' in html and 'href="/admin/audit/"' in html
    client.submit("/logout", page="/courses/")
    client.login(world["cadets"][0].username)
    html = client.get("/courses/").get_data(as_text=True)
    assert 'href="/admin/cohorts/"' not in html


# --- create, edit, delete ----------------------------------------------------------------------------------------


def test_create_edit_and_delete_a_cohort(client, app, world):
    client.login(world["admin"].username)
    response = client.submit(
        "/admin/cohorts/new",
        {"academy_id": str(world["home"].id), "name": "  Customs   officers 2026 ", "description": "Spring intake"},
    )
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Customs officers 2026"))
        assert cohort is not None and cohort.description == "Spring intake"
        cohort_id = cohort.id
    # A second cohort of the same name (any case) in the same academy is refused.
    response = client.submit("/admin/cohorts/new", {"academy_id": str(world["home"].id), "name": "intake 2026"})
    assert "already has a cohort of this name" in response.get_data(as_text=True)
    response = client.submit(
        f"/admin/cohorts/{cohort_id}/edit", {"academy_id": str(world["home"].id), "name": "Customs 2026"}
    )
    assert response.status_code == 302
    client.submit(f"/admin/cohorts/{cohort_id}/members/paste", {"identifiers": "cadet.1 cadet.2"})
    html = client.get(f"/admin/cohorts/{cohort_id}/delete").get_data(as_text=True)
    assert "It has 2 members." in html and "grades are kept" in html
    response = client.submit(f"/admin/cohorts/{cohort_id}/delete", {}, follow_redirects=True)
    assert "The cohort Customs 2026 has been deleted." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cohort, cohort_id) is None
    assert _actions(app) == ["cohort.create", "cohort.update", "cohort.add", "cohort.delete"]


def test_the_index_counts_members(client, world):
    client.login(world["admin"].username)
    html = client.get("/admin/cohorts/").get_data(as_text=True)
    assert '<td class="num">1</td>' in html


# --- members -----------------------------------------------------------------------------------------------------


def test_search_and_tick_users_to_add(client, app, world):
    client.login(world["admin"].username)
    cohort, cadets = world["cohort"].id, world["cadets"]
    html = client.get(f"/admin/cohorts/{cohort}?q=ozola").get_data(as_text=True)
    assert f'value="{cadets[1].id}"' in html
    assert "a.asanov" not in html  # other academies' users are never offered
    response = client.submit(
        f"/admin/cohorts/{cohort}/members", {"user_ids": [str(cadets[1].id), str(cadets[2].id)]}, follow_redirects=True
    )
    assert "2 members added." in response.get_data(as_text=True)
    assert _members(app, cohort) == {cadets[0].id, cadets[1].id, cadets[2].id}
    response = client.submit(f"/admin/cohorts/{cohort}/members", {}, follow_redirects=True)
    assert "Choose at least one user." in response.get_data(as_text=True)


def test_paste_usernames_and_e_mails(client, app, world):
    client.login(world["admin"].username)
    cohort, cadets = world["cohort"].id, world["cadets"]
    response = client.submit(
        f"/admin/cohorts/{cohort}/members/paste",
        {"identifiers": "cadet.0, CADET.1\ncadet.2@rs.lv; cadet.1@rs.lv"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "2 members added." in html and "1 user was a member already." in html
    assert _members(app, cohort) == {cadets[0].id, cadets[1].id, cadets[2].id}
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cohort.add"))
        assert entry.details == {"usernames": ["cadet.1", "cadet.2"]} and entry.actor_id == world["admin"].id


def test_a_wrong_name_in_a_pasted_list_adds_nobody(client, app, world):
    client.login(world["admin"].username)
    cohort = world["cohort"].id
    response = client.submit(
        f"/admin/cohorts/{cohort}/members/paste", {"identifiers": "cadet.1\ncadet.2 nobody.here\na.asanov\n"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nobody was added." in html
    assert "Line 2: no user has the username or e-mail nobody.here." in html
    assert "Line 3: a.asanov is a user of another academy." in html
    assert "cadet.2 nobody.here" in html  # the list is kept for correcting
    assert _members(app, cohort) == {world["cadets"][0].id}
    assert "cohort.add" not in _actions(app)
    # An empty list is an error too, never a 500.
    response = client.submit(f"/admin/cohorts/{cohort}/members/paste", {"identifiers": " ,; "})
    assert response.status_code == 422 and "Paste at least one username" in response.get_data(as_text=True)


def _upload(client, cohort_id, data, name="list.csv"):
    return client.submit(
        f"/admin/cohorts/{cohort_id}/members/csv",
        {"file": (io.BytesIO(data), name)},
        page=f"/admin/cohorts/{cohort_id}",
        content_type="multipart/form-data",
    )


def test_add_members_from_a_csv_file(client, app, world):
    client.login(world["admin"].username)
    cohort, cadets = world["cohort"].id, world["cadets"]
    data = "\ufeffusername;firstname;email\ncadet.1;Līga;\n;Anna;cadet.3@rs.lv\n".encode()
    response = _upload(client, cohort, data)
    assert response.status_code == 302
    assert _members(app, cohort) == {cadets[0].id, cadets[1].id, cadets[3].id}


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"username\ncadet.1\nghost\n", "list.csv", "Line 3: no user has the username or e-mail ghost."),
        (b"email\ncadet.1@rs.lv\nasanov@kg.example\n", "list.csv", "Line 3: asanov@kg.example is a user of another"),
        (b"name\ncadet.1\n", "list.csv", "needs a column named username or email"),
        (b"username\ncadet.1\n\xe0\xe1\n", "list.csv", "The file is not UTF-8"),
        (b"PK\x03\x04", "list.xlsx", "This is a spreadsheet"),
        (b"username,name\ncadet.1,Liga\n,Anna\n", "list.csv", "Line 3: no username or e-mail address."),
        (b"", "list.csv", "The file is empty."),
    ],
)
def test_a_bad_csv_file_adds_nobody(client, app, world, data, name, message):
    client.login(world["admin"].username)
    cohort = world["cohort"].id
    response = _upload(client, cohort, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _members(app, cohort) == {world["cadets"][0].id}


def test_a_missing_or_huge_file_is_a_clear_error(client, app, world, monkeypatch):
    from lectern.platform.cohorts import views as cohort_views

    client.login(world["admin"].username)
    cohort = world["cohort"].id
    response = client.submit(
        f"/admin/cohorts/{cohort}/members/csv", {}, page=f"/admin/cohorts/{cohort}", content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "Choose a CSV file." in response.get_data(as_text=True)
    monkeypatch.setattr(cohort_views, "CSV_MAX_BYTES", 10)
    response = _upload(client, cohort, b"username\ncadet.1\ncadet.2\n")
    assert response.status_code == 413 and "The file is too large" in response.get_data(as_text=True)
    assert _members(app, cohort) == {world["cadets"][0].id}


def test_remove_one_member_or_several(client, app, world):
    client.login(world["admin"].username)
    cohort, cadets = world["cohort"].id, world["cadets"]
    client.submit(f"/admin/cohorts/{cohort}/members/paste", {"identifiers": "cadet.1 cadet.2 cadet.3"})
    page = client.get(f"/admin/cohorts/{cohort}").get_data(as_text=True)
    assert "cadet.2@rs.lv" in page and f"/admin/cohorts/{cohort}/members/{cadets[2].id}/remove" in page
    response = client.submit(f"/admin/cohorts/{cohort}/members/{cadets[2].id}/remove", {}, follow_redirects=True)
    assert "1 member removed." in response.get_data(as_text=True)
    assert _members(app, cohort) == {cadets[0].id, cadets[1].id, cadets[3].id}
    response = client.submit(
        f"/admin/cohorts/{cohort}/members/remove",
        {"user_ids": [str(cadets[0].id), str(cadets[3].id), str(world["stranger"].id)]},
        follow_redirects=True,
    )
    assert "2 members removed." in response.get_data(as_text=True)
    assert _members(app, cohort) == {cadets[1].id}
    assert _members(app, world["theirs"].id) == {world["stranger"].id}
    with app.app_context():
        removals = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cohort.remove")).all()
        assert [e.details["usernames"] for e in removals] == [["cadet.2"], ["cadet.0", "cadet.3"]]


def test_the_cohort_page_has_a_panel_hook(app):
    from lectern.platform.cohorts.views import COHORT_PANELS
    from lectern.registry import registry

    registry(app).add(COHORT_PANELS, "courses/_cohort_panel.html")  # added once, however often asked
    assert registry(app).items(COHORT_PANELS).count("courses/_cohort_panel.html") == 1
