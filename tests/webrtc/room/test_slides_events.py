"""Slides over the /lecture namespace: only the host shows decks, turns pages and points; everyone in the room hears
of it; a participant who joins late or comes back gets the page shown now with the join's ack."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from lectern.extensions import db
from lectern.webrtc.models import Lecture
from tests import factories
from tests.webrtc.room.test_namespace import NS, ask, connect, joined, received
from tests.webrtc.slides.lessons import add_file_lesson
from tests.webrtc.slides.pdfs import pdf


@pytest.fixture
def decks(app: Flask, world: Any, make: factories.Factory) -> dict[str, int]:
    """The lecture's course has a 3-page PDF, an encrypted PDF and a text file; another course has a PDF."""
    lecture, people = world
    other = make.course(people["host"].academy_id)

    def add_lesson_file(course_id: int, data: bytes, name: str) -> int:
        return add_file_lesson(app, course_id, data, name)

    return {
        "deck": add_lesson_file(lecture.course_id, pdf(3), "Forged passports.pdf"),
        "locked": add_lesson_file(lecture.course_id, pdf(2, encrypt=True), "Locked.pdf"),
        "text": add_lesson_file(lecture.course_id, b"Just some notes\n", "notes.txt"),
        "elsewhere": add_lesson_file(other.id, pdf(2), "Other course.pdf"),
    }


def test_the_host_shows_a_deck_and_turns_its_pages_for_the_room(app: Flask, world: Any, decks: Any) -> None:
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    cadet.get_received(NS)
    ack = ask(host, "slides", {"deck": decks["deck"]})
    assert ack["ok"], ack
    shown = received(cadet, "slides")
    assert shown == [ack["slides"]]
    first = shown[0]
    assert (first["id"], first["name"], first["page"], first["pages"]) == (decks["deck"], "Forged passports.pdf", 1, 3)
    assert first["image"]["large"].endswith("/1280/1.webp") and first["image"]["small"].endswith("/640/1.webp")
    assert first["next"]["large"].endswith("/1280/2.webp")

    assert ask(host, "slides", {"page": 3})["ok"]
    last = received(cadet, "slides")[-1]
    assert last["page"] == 3 and last["image"]["small"].endswith("/640/3.webp") and last["next"] is None
    # The cadet fetches the page the event names.
    http = app.test_client()
    http.login(world[1]["cadet"].username)  # type: ignore[attr-defined]
    image = http.get(last["image"]["small"])
    assert image.status_code == 200 and image.mimetype == "image/webp"
    image.close()


def test_a_late_joiner_and_a_reconnected_cadet_see_the_page_shown_now(app: Flask, world: Any, decks: Any) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "slides", {"deck": decks["deck"]})["ok"]
    assert ask(host, "slides", {"page": 2})["ok"]
    guest = connect(app, people["guest"].username)
    now = ask(guest, "join", {"lecture": lecture.id})["slides"]
    assert (now["id"], now["page"], now["pages"]) == (decks["deck"], 2, 3)
    cadet.disconnect(NS)
    again = connect(app, people["cadet"].username)
    assert ask(again, "join", {"lecture": lecture.id})["slides"]["page"] == 2
    with app.app_context():
        kept = db.session.get(Lecture, lecture.id)
        assert (kept.slides_file_id, kept.slides_page) == (decks["deck"], 2)
    # Stopped: the room is told, and a newcomer's ack says none.
    assert ask(host, "slides", {"stop": True}) == {"ok": True, "slides": None}
    assert received(again, "slides")[-1] is None
    assert ask(connect(app, people["hall"].username), "join", {"lecture": lecture.id})["slides"] is None


def test_only_the_host_changes_slides_or_points(app: Flask, world: Any, decks: Any) -> None:
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "slides", {"deck": decks["deck"]})["ok"]
    host.get_received(NS)
    for event, payload in [("slides", {"page": 2}), ("slides", {"stop": True}), ("pointer", {"x": 0.5, "y": 0.5})]:
        assert ask(cadet, event, payload) == {"ok": False, "error": "not allowed"}, event
    assert received(host, "slides") == [] and received(host, "pointer") == []


def test_the_hosts_pointer_reaches_the_room(app: Flask, world: Any, decks: Any) -> None:
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    cadet.get_received(NS)
    assert ask(host, "pointer", {"x": 0.5, "y": 0.25})["ok"]
    assert ask(host, "pointer", {})["ok"]
    assert received(cadet, "pointer") == [{"x": 0.5, "y": 0.25}, {}]


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("slides", {}),
        ("slides", {"deck": 1, "page": 2}),
        ("slides", {"page": 0}),
        ("slides", {"page": "2"}),
        ("slides", {"stop": False}),
        ("slides", {"next": True}),
        ("pointer", {"x": 1.5, "y": 0.5}),
        ("pointer", {"x": 0.5}),
    ],
)
def test_malformed_slides_messages_are_refused(app: Flask, world: Any, decks: Any, event: str, payload: Any) -> None:
    host = joined(app, world, "host")
    ack = ask(host, event, payload)
    assert ack["ok"] is False and ack["error"]
    assert received(host, "error") == [{"event": event, "message": ack["error"]}]


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("locked", "Locked.pdf is protected by a password"),
        ("text", "not among the slides"),
        ("elsewhere", "not among the slides"),
    ],
)
def test_a_deck_that_cannot_be_shown_is_refused_by_name(
    app: Flask, world: Any, decks: Any, which: str, message: str
) -> None:
    lecture, _people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    cadet.get_received(NS)
    ack = ask(host, "slides", {"deck": decks[which]})
    assert ack["ok"] is False and message in ack["error"]
    assert received(cadet, "slides") == []
    with app.app_context():
        assert db.session.get(Lecture, lecture.id).slides_file_id is None


def test_pages_beyond_the_deck_and_pages_of_no_deck_are_refused(app: Flask, world: Any, decks: Any) -> None:
    host = joined(app, world, "host")
    assert ask(host, "slides", {"page": 1})["error"] == "No slides are shown."
    assert ask(host, "slides", {"deck": decks["deck"]})["ok"]
    assert ask(host, "slides", {"page": 4})["error"] == "There is no such page."
    assert ask(host, "slides", {"page": 3})["slides"]["page"] == 3
