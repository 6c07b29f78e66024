"""Removals from a lecture: only those who run it may remove, nobody removes its owner, an instructor or an
administrator; removals are kept in the database, shown to the hosts, and can be undone."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from lectern.courses.models import CourseRole, CourseStaff
from lectern.extensions import db
from lectern.platform.models import Role
from lectern.webrtc import services
from lectern.webrtc.models import Lecture, LectureRemoval
from lectern.webrtc.room.state import ADMISSION_INTERVAL
from tests import factories
from tests.conftest import Client
from tests.webrtc.room.test_namespace import NS, ask, connect, inbox, joined


def test_an_assistant_may_not_remove(app: Flask, world: Any, make: factories.Factory) -> None:
    lecture, people = world
    assistant = make.user(Role.INSTRUCTOR, academy_id=people["host"].academy_id)
    make.staff(lecture.course_id, assistant.id, role="assistant")
    cadet = joined(app, world, "cadet")
    helper = connect(app, assistant.username)
    ack = ask(helper, "join", {"lecture": lecture.id})
    assert ack["ok"] and ack["part"] == "host" and ack["moderator"] is False and ack["removed"] == []
    refused = ask(helper, "remove", {"user": people["cadet"].id})
    assert refused["ok"] is False
    assert cadet.is_connected(NS)
    assert ask(helper, "readmit", {"user": people["cadet"].id})["ok"] is False
    with app.app_context():
        assert db.session.scalars(select(LectureRemoval)).all() == []


@pytest.mark.parametrize("target", ["co_instructor", "owner", "global_admin", "academy_admin"])
def test_nobody_removes_the_owner_an_instructor_or_an_administrator(
    app: Flask, world: Any, make: factories.Factory, target: str
) -> None:
    lecture, people = world
    academy_id = people["host"].academy_id
    if target == "co_instructor":
        user = make.user(Role.INSTRUCTOR, academy_id=academy_id)
        make.staff(lecture.course_id, user.id)
    elif target == "owner":  # scheduled the lecture, assists the course now
        user = make.user(Role.INSTRUCTOR, academy_id=academy_id)
        make.staff(lecture.course_id, user.id, role="assistant")
        with app.app_context():
            db.session.execute(update(Lecture).where(Lecture.id == lecture.id).values(created_by_id=user.id))
            db.session.commit()
    else:
        role = Role.GLOBAL_ADMIN if target == "global_admin" else Role.ACADEMY_ADMIN
        user = make.user(role, academy_id=academy_id)
    host = joined(app, world, "host")
    them = connect(app, user.username)
    assert ask(them, "join", {"lecture": lecture.id})["ok"]
    ack = ask(host, "remove", {"user": user.id})
    assert ack["ok"] is False
    assert them.is_connected(NS)
    assert ask(them, "chat", {"text": "still here"})["ok"]


def test_removals_are_kept_shown_to_the_host_and_undone(app: Flask, app_factory: Any, world: Any) -> None:
    lecture, people = world
    cadet_id = people["cadet"].id
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "join", {"lecture": lecture.id})["moderator"] is True
    inbox(host)
    assert ask(host, "remove", {"user": cadet_id})["ok"]
    assert not cadet.is_connected(NS)
    name = people["cadet"].full_name
    assert inbox(host)["removals"] == [[{"id": cadet_id, "name": name}]]
    # Kept in the database, not in this process: another web process (a restart) refuses the cadet too.
    other = app_factory()  # (Flask-SocketIO's server is now the other app's)
    other.test_client_class = Client
    again = connect(other, people["cadet"].username)
    refused = ask(again, "join", {"lecture": lecture.id})
    assert refused["ok"] is False and refused["final"] is True and "removed" in refused["error"]
    host = connect(other, people["host"].username)
    assert ask(host, "join", {"lecture": lecture.id})["removed"] == [{"id": cadet_id, "name": name}]
    # The host lets the cadet back in.
    inbox(host)
    assert ask(host, "readmit", {"user": cadet_id})["ok"]
    assert inbox(host)["removals"] == [[]]
    again = connect(other, people["cadet"].username)
    assert ask(again, "join", {"lecture": lecture.id})["ok"]
    with app.app_context():
        assert db.session.scalars(select(LectureRemoval)).all() == []


def test_a_host_removes_only_those_who_have_a_part_in_the_lecture(app: Flask, world: Any) -> None:
    """Removing anyone by id would store them and show the hosts their name: a way to list names across
    academies. Someone with no part in the lecture is refused as an unknown id is."""
    _lecture, people = world
    host = joined(app, world, "host")
    inbox(host)
    stranger = ask(host, "remove", {"user": people["stranger"].id})
    unknown = ask(host, "remove", {"user": 10**9})
    assert stranger["ok"] is False and stranger == unknown
    assert "removals" not in inbox(host)
    with app.app_context():
        assert db.session.scalars(select(LectureRemoval)).all() == []


def test_a_removal_committed_while_joining_closes_the_new_seat(
    app: Flask, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host removes the cadet after the join checked the removals but before the seat was taken: the removal
    found no seat to close, so the join itself must notice it."""
    lecture, people = world
    host = joined(app, world, "host")
    cadet = connect(app, people["cadet"].username)
    arrive, removed = services.arrive, []

    def arrive_while_removed(*args: Any) -> Any:
        removal = threading.Thread(target=lambda: removed.append(ask(host, "remove", {"user": people["cadet"].id})))
        removal.start()
        removal.join(5)
        return arrive(*args)

    monkeypatch.setattr(services, "arrive", arrive_while_removed)
    ack = ask(cadet, "join", {"lecture": lecture.id})
    assert removed == [{"ok": True}]
    assert ack["ok"] is False and ack["final"] is True and "removed" in ack["error"], ack
    assert not cadet.is_connected(NS)


def test_a_host_who_may_no_longer_remove_stops_hearing_of_removals(
    app: Flask, world: Any, make: factories.Factory
) -> None:
    lecture, people = world
    colleague = make.user(Role.INSTRUCTOR, academy_id=people["host"].academy_id)
    make.staff(lecture.course_id, colleague.id)
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    other = connect(app, colleague.username)
    assert ask(other, "join", {"lecture": lecture.id})["moderator"] is True
    with app.app_context():  # made an assistant (by another process: no signal)
        db.session.execute(
            update(CourseStaff).where(CourseStaff.user_id == people["host"].id).values(role=CourseRole.ASSISTANT)
        )
        db.session.commit()
    time.sleep(ADMISSION_INTERVAL)
    assert ask(host, "hand", {"raised": True})["ok"]  # still a host, as an assistant
    inbox(host)
    assert ask(other, "remove", {"user": people["cadet"].id})["ok"]
    assert not cadet.is_connected(NS)
    assert "removals" not in inbox(host)
    assert inbox(other)["removals"][-1][0]["id"] == people["cadet"].id
