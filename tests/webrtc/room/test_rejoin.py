"""Attendance across a dropped link: a participant back within services.REJOIN_GRACE continues their last stay,
a second socket of the same user shares the open stay, and a stay closes only when its last socket leaves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from lectern.extensions import db
from lectern.platform.models import User, utcnow
from lectern.webrtc import services
from lectern.webrtc.models import Attendance, Lecture
from tests.webrtc.room.test_namespace import NS, ask, connect, joined


def stays(app: Flask, user_id: int) -> list[Attendance]:
    with app.app_context():
        found = db.session.scalars(
            select(Attendance).where(Attendance.user_id == user_id).order_by(Attendance.id)
        ).all()
        db.session.expunge_all()
        return list(found)


def test_arrive_continues_a_stay_left_within_the_grace(app: Flask, world: Any) -> None:
    lecture, people = world
    now = utcnow()
    with app.app_context():
        lecture = db.session.get(Lecture, lecture.id)
        cadet = db.session.get(User, people["cadet"].id)
        first = services.arrive(db.session, lecture, cadet, now - timedelta(minutes=10))
        services.depart(db.session, first.id, now - services.REJOIN_GRACE + timedelta(seconds=1))
        db.session.commit()
        again = services.arrive(db.session, lecture, cadet, now)
        db.session.commit()
        assert again.id == first.id and again.left_at is None
        # Left longer ago than the grace: a new stay.
        services.depart(db.session, again.id, now - services.REJOIN_GRACE - timedelta(seconds=1))
        db.session.commit()
        later = services.arrive(db.session, lecture, cadet, now)
        db.session.commit()
        assert later.id != first.id
        # Another user's recent stay is never theirs.
        guest = db.session.get(User, people["guest"].id)
        services.depart(db.session, later.id, now)
        db.session.commit()
        assert services.arrive(db.session, lecture, guest, now).user_id == guest.id


def test_arrive_shares_an_open_stay_only_when_held(app: Flask, world: Any) -> None:
    lecture, people = world
    now = utcnow()
    with app.app_context():
        lecture = db.session.get(Lecture, lecture.id)
        cadet = db.session.get(User, people["cadet"].id)
        first = services.arrive(db.session, lecture, cadet, now)
        db.session.commit()
        assert services.arrive(db.session, lecture, cadet, now, [first.id]).id == first.id
        # An open stay no socket here holds (another instance's): a stay of this socket's own.
        assert services.arrive(db.session, lecture, cadet, now).id != first.id


def test_a_reconnect_within_the_grace_keeps_one_stay(app: Flask, world: Any) -> None:
    _lecture, people = world
    cadet = joined(app, world, "cadet")
    cadet.disconnect(NS)
    [stay] = stays(app, people["cadet"].id)
    assert stay.left_at is not None
    back = joined(app, world, "cadet")
    assert [(s.id, s.left_at) for s in stays(app, people["cadet"].id)] == [(stay.id, None)]
    back.disconnect(NS)
    [stay] = stays(app, people["cadet"].id)
    assert stay.left_at is not None


def test_a_rejoin_before_the_old_socket_is_gone_keeps_one_stay(app: Flask, world: Any) -> None:
    """The link dropped and the browser is back on a new socket while the server still holds the old one (its loss
    is noticed only at the next ping): both are in one stay, which closes when the last of them leaves."""
    lecture, people = world
    old = joined(app, world, "cadet")
    new = connect(app, people["cadet"].username)
    assert ask(new, "join", {"lecture": lecture.id})["ok"]
    [stay] = stays(app, people["cadet"].id)
    old.disconnect(NS)  # noticed at last
    assert [(s.id, s.left_at) for s in stays(app, people["cadet"].id)] == [(stay.id, None)]
    new.disconnect(NS)
    [stay] = stays(app, people["cadet"].id)
    assert stay.left_at is not None
