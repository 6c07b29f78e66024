"""Hosting a lecture follows the host's current site role and academy: an instructor demoted to cadet, or moved to
another academy, can no longer run the lecture from an open socket, nor join it again as host, nor reschedule it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from lectern.extensions import db
from lectern.platform.models import Role, User
from lectern.webrtc.models import Lecture, LectureStatus
from tests import factories
from tests.webrtc.room.test_namespace import NS, ask, connect, joined, received

CHANGES = ["demoted to cadet", "moved to another academy"]


def _change(app: Flask, user_id: int, change: str, make: factories.Factory) -> None:
    elsewhere = make.academy()
    with app.app_context():
        user = db.session.get(User, user_id)
        if change == "demoted to cadet":
            user.role = Role.CADET
        else:
            user.academy_id = elsewhere.id
        db.session.commit()


@pytest.mark.parametrize("change", CHANGES)
def test_a_demoted_or_moved_host_no_longer_runs_the_lecture(
    app: Flask, world: Any, make: factories.Factory, change: str
) -> None:
    lecture, people = world
    offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    events = [
        ("start", {}),
        ("floor", {"user": people["cadet"].id}),
        ("mute", {"user": people["cadet"].id}),
        ("remove", {"user": people["cadet"].id}),
        ("publish", {"slot": "main", "sdp": offer}),
        ("end", {}),
    ]
    # One open socket per event: a refused event closes the socket it came on (and frees its seat).
    hosts = [joined(app, world, "host") for _ in events]
    cadet = joined(app, world, "cadet")
    assert ask(hosts[0], "mute", {"user": people["cadet"].id})["ok"]
    http = app.test_client()
    http.login(people["host"].username)  # type: ignore[attr-defined]
    feed = re.search(r"/lectures/calendar\.ics\?token=[^\"<&]+", http.get("/lectures/calendar").get_data(as_text=True))
    assert feed is not None
    assert f"lecture-{lecture.id}@" in http.get(feed.group(0)).get_data(as_text=True)

    _change(app, people["host"].id, change, make)

    for host, (event, payload) in zip(hosts, events, strict=True):
        ack = ask(host, event, payload)
        assert ack["ok"] is False, (event, ack)
        assert not host.is_connected(NS), event
    assert cadet.is_connected(NS) and received(cadet, "removed") == []
    with app.app_context():
        assert db.session.get(Lecture, lecture.id).status is LectureStatus.SCHEDULED

    again = connect(app, people["host"].username)
    ack = ask(again, "join", {"lecture": lecture.id})
    assert ack["ok"] is False or ack["part"] != "host", ack

    assert http.get(f"/lectures/{lecture.id}/edit").status_code in (403, 404)
    assert http.get(f"/courses/{lecture.course_id}/lectures/new").status_code in (403, 404)
    assert f"lecture-{lecture.id}@" not in http.get(feed.group(0)).get_data(as_text=True)
