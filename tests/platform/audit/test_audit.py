"""The audit log: entries written with the action, read only by those who administer what they concern."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lectern.extensions import db
from lectern.platform.audit import services as audit
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import AuditEntry, Cohort, Role, User


@pytest.fixture
def academies(make):
    home = make.academy(name="State Border Guard College", slug="rezekne")
    other = make.academy(name="Border Service Training Centre", slug="bishkek", timezone="Asia/Bishkek")
    return home, other


def _entry(app, actor, action, academy_id, target, when=None, **details):
    with app.app_context():
        user = db.session.get(User, actor.id) if actor else None
        entry = audit.record(db.session, user, action, academy_id=academy_id, target=target, details=details)
        if when is not None:
            entry.created_at = when
        db.session.commit()


def test_an_entry_is_written_in_the_transaction_of_its_action(app, make, academies):
    home, _ = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    cadet = make.user(Role.CADET, home)
    cohort = make.cohort(home, "Intake 2026")
    with app.app_context():
        actor, item = db.session.get(User, admin.id), db.session.get(Cohort, cohort.id)
        cohorts.add_members(db.session, actor, item, [db.session.get(User, cadet.id)])
        db.session.rollback()  # the action is undone: so is its entry
        assert db.session.scalar(select(AuditEntry)) is None
        cohorts.add_members(db.session, actor, item, [db.session.get(User, cadet.id)])
        db.session.commit()
        entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.academy_id, entry.target) == (
        "cohort.add",
        admin.id,
        home.id,
        cohort.name,
    )
    assert entry.details == {"usernames": [cadet.username]}


def test_academy_admins_read_only_their_academy(client, app, make, academies):
    home, other = academies
    admin = make.user(Role.ACADEMY_ADMIN, home, username="l.kalnina")
    _entry(app, admin, "user.suspend", home.id, "user k.berzins")
    _entry(app, None, "user.suspend", other.id, "user a.asanov")
    _entry(app, None, "academy.create", None, "academy new-one")
    client.login(admin.username)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "user k.berzins" in page
    assert "user a.asanov" not in page
    assert "academy new-one" not in page  # site-wide entries are the global administrators'
    # Asking for the other academy by filter shows nothing of it.
    page = client.get(f"/admin/audit/?academy={other.id}").get_data(as_text=True)
    assert "user a.asanov" not in page
    assert "user k.berzins" in page


def test_global_admins_read_everything_and_filter_by_academy(client, app, make, academies):
    home, other = academies
    admin = make.user(Role.GLOBAL_ADMIN, home)
    _entry(app, admin, "user.suspend", home.id, "user k.berzins")
    _entry(app, None, "user.suspend", other.id, "user a.asanov")
    _entry(app, None, "academy.create", None, "academy new-one")
    client.login(admin.username)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert all(t in page for t in ("user k.berzins", "user a.asanov", "academy new-one"))
    assert "command line" in page
    page = client.get(f"/admin/audit/?academy={other.id}").get_data(as_text=True)
    assert "user a.asanov" in page and "user k.berzins" not in page


def test_search_by_text_actor_action_and_dates(client, app, make, academies):
    home, _ = academies
    admin = make.user(Role.GLOBAL_ADMIN, home, username="j.ozols", first_name="Jānis", last_name="Ozols")
    other_admin = make.user(Role.ACADEMY_ADMIN, home, username="l.kalnina")
    now = datetime.now(UTC)
    _entry(app, admin, "user.suspend", home.id, "user k.berzins", now - timedelta(days=10))
    _entry(app, other_admin, "user.import", home.id, "intake-2026.csv", now, file="intake-2026.csv", count=3)
    _entry(app, other_admin, "cohort.create", home.id, "Пограничники 2026", now)
    client.login(admin.username)

    def shown(query):
        page = client.get(f"/admin/audit/?{query}").get_data(as_text=True)
        return {t for t in ("user k.berzins", "intake-2026.csv", "Пограничники 2026") if t in page}

    assert shown("q=BERZINS") == {"user k.berzins"}
    assert shown("q=пограничники") == {"Пограничники 2026"}  # Unicode case folding, on SQLite too
    assert shown("q=kalnina") == {"intake-2026.csv", "Пограничники 2026"}  # the actor's username
    assert shown("q=ozols") == {"user k.berzins"}
    assert shown("action=user.import") == {"intake-2026.csv"}
    today = now.date().isoformat()
    assert shown(f"since={today}") == {"intake-2026.csv", "Пограничники 2026"}
    assert shown(f"until={(now - timedelta(days=5)).date().isoformat()}") == {"user k.berzins"}
    # What cannot be a filter is ignored, never an error.
    assert shown("since=yesterday&until=99999-01-01&action=drop+table&page=-3") == {
        "user k.berzins",
        "intake-2026.csv",
        "Пограничники 2026",
    }


def test_details_are_shown(client, app, make, academies):
    home, _ = academies
    admin = make.user(Role.ACADEMY_ADMIN, home)
    _entry(app, admin, "user.import", home.id, "intake.csv", file="intake.csv", count=42, usernames=["a.b", "c.d"])
    client.login(admin.username)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "42" in page and "a.b, c.d" in page


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.CADET, Role.CLASSROOM])
def test_others_may_not_read_the_log(client, make, academies, role):
    user = make.user(role, academies[0])
    client.login(user.username)
    assert client.get("/admin/audit/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
