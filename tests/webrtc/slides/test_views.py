"""The slides' HTTP side: the page images only for those admitted to the lecture, cached for good and answered
304 when unchanged; the host's deck list; uploads checked whole, refused by name, and nothing kept of a refused one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lectern.courses.content.storage import Storage
from lectern.courses.models import StoredFile
from lectern.extensions import db
from lectern.platform.models import utcnow
from lectern.webrtc import removals
from lectern.webrtc.models import Lecture, LectureDeck
from lectern.webrtc.slides import service
from tests.conftest import Client
from tests.webrtc.slides.lessons import add_file_lesson
from tests.webrtc.slides.pdfs import pdf


def signed_in(app: Flask, username: str) -> Client:
    app.test_client_class = Client
    http: Client = app.test_client()  # type: ignore[assignment]
    http.login(username)
    return http


def show(app: Flask, lecture_id: int, file_id: int, page: int = 1) -> dict[str, Any]:
    """The host shows a deck (as the slides event does) and the slides state is returned."""
    from lectern.webrtc.slides import views

    with app.test_request_context():
        lecture = db.session.get(Lecture, lecture_id)
        storage = Storage(app.config["LECTERN_STORAGE"])
        service.show(db.session, storage, lecture, file_id, views.limits())
        service.turn(db.session, storage, lecture, page, views.limits())
        db.session.commit()
        state = views.state(lecture)
        assert state is not None
        return state


@pytest.fixture
def shown(app: Flask, world: Any) -> dict[str, Any]:
    lecture, _people = world
    file_id = add_file_lesson(app, lecture.course_id, pdf(3), "Forged passports.pdf")
    return show(app, lecture.id, file_id, page=2)


def test_an_admitted_cadet_gets_the_page_cached_for_good(app: Flask, world: Any, shown: dict[str, Any]) -> None:
    _lecture, people = world
    for who in ("cadet", "guest", "hall", "host"):
        http = signed_in(app, people[who].username)
        for url in (shown["image"]["large"], shown["image"]["small"], shown["next"]["large"]):
            response = http.get(url)
            assert response.status_code == 200, (who, url)
            assert response.mimetype == "image/webp" and response.data.startswith(b"RIFF")
            assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
            etag = response.headers["ETag"]
            response.close()
            again = http.get(url, headers={"If-None-Match": etag})
            again.close()
            assert again.status_code == 304 and again.data == b""


def test_who_is_not_admitted_gets_no_page(app: Flask, world: Any, shown: dict[str, Any]) -> None:
    lecture, people = world
    url = shown["image"]["large"]
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for who in ("stranger", "other_hall"):
        assert signed_in(app, people[who].username).get(url).status_code == 404, who
    cadet = signed_in(app, people["cadet"].username)
    with app.app_context():
        host = db.session.get(type(people["host"]), people["host"].id)
        removals.remove(db.session, host, db.session.get(Lecture, lecture.id), people["cadet"].id, utcnow())
        db.session.commit()
    assert cadet.get(url).status_code == 404


def test_only_the_deck_shown_now_and_its_pages_are_served(app: Flask, world: Any, shown: dict[str, Any]) -> None:
    lecture, people = world
    cadet = signed_in(app, people["cadet"].username)
    url = shown["image"]["large"]
    for wrong in (
        url.replace("/1280/", "/1000/"),
        url.replace("/2.webp", "/4.webp"),
        url.replace("/2.webp", "/0.webp"),
        url.replace(url.split("/")[-3], "0" * 64),
        url.replace(url.split("/")[-3], "..%2F..%2Fetc"),
    ):
        assert cadet.get(wrong).status_code == 404, wrong
    other = add_file_lesson(app, lecture.course_id, pdf(2), "Visas.pdf")
    now = show(app, lecture.id, other)
    assert cadet.get(url).status_code == 404  # the earlier deck is no longer shown
    response = cadet.get(now["image"]["small"])
    assert response.status_code == 200
    response.close()


def test_the_host_lists_the_courses_pdfs_and_the_rooms_uploads(app: Flask, world: Any) -> None:
    lecture, people = world
    first = add_file_lesson(app, lecture.course_id, pdf(2), "Passports.pdf")
    add_file_lesson(app, lecture.course_id, b"Plain notes\n", "notes.txt")
    host = signed_in(app, people["host"].username)
    page = f"/lectures/{lecture.id}"
    assert host.get(f"/lectures/{lecture.id}/slides").json == {"decks": [{"id": first, "name": "Passports.pdf"}]}
    upload = host.post(
        f"/lectures/{lecture.id}/slides",
        data={"file": (io.BytesIO(pdf(4)), "Visas.pdf"), "csrf_token": host.csrf_token(f"/lectures/{lecture.id}")},
        headers={"Accept": "application/json"},
    )
    assert upload.status_code == 201, upload.json
    deck = upload.json["deck"]
    assert deck["name"] == "Visas.pdf" and deck["pages"] == 4
    listed = host.get(f"/lectures/{lecture.id}/slides").json["decks"]
    assert listed == [{"id": first, "name": "Passports.pdf"}, {"id": deck["id"], "name": "Visas.pdf"}]
    # The same PDF uploaded again is the same deck.
    again = host.post(
        f"/lectures/{lecture.id}/slides",
        data={"file": (io.BytesIO(pdf(4)), "Visas (copy).pdf"), "csrf_token": host.csrf_token(page)},
        headers={"Accept": "application/json"},
    )
    assert again.status_code == 201 and again.json["deck"]["id"] == deck["id"]
    for who, status in (("cadet", 403), ("stranger", 404)):
        other = signed_in(app, people[who].username)
        assert other.get(f"/lectures/{lecture.id}/slides").status_code == status
        refused = other.post(
            f"/lectures/{lecture.id}/slides",
            data={"file": (io.BytesIO(pdf(1)), "Mine.pdf"), "csrf_token": other.csrf_token(f"/lectures/{lecture.id}")},
        )
        assert refused.status_code == status


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Not a PDF at all\n", "Lecture 7.pdf is not a PDF file."),
        (b"%PDF-1.4\nbroken\n", "Lecture 7.pdf cannot be read as a PDF file."),
        (pdf(2, encrypt=True), "Lecture 7.pdf is protected by a password"),
        (pdf(4), "Lecture 7.pdf has too many pages: at most 3 can be shown."),
        (pdf(3) + b"%" + b" " * 1_100_000, "Lecture 7.pdf is too large: PDF files up to 1 MB can be shown."),
        (b"", "Lecture 7.pdf is empty."),
    ],
)
def test_a_bad_upload_is_refused_by_name_and_nothing_is_kept(app: Flask, world: Any, data: bytes, message: str) -> None:
    lecture, people = world
    app.config.update(LECTERN_SLIDES_MAX_PAGES=3, LECTERN_SLIDES_MAX_BYTES=1024 * 1024)
    host = signed_in(app, people["host"].username)
    response = host.post(
        f"/lectures/{lecture.id}/slides",
        data={"file": (io.BytesIO(data), "Lecture 7.pdf"), "csrf_token": host.csrf_token(f"/lectures/{lecture.id}")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json["error"]["message"].startswith(message)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
        assert db.session.scalar(select(func.count()).select_from(LectureDeck)) == 0
    root = Path(app.config["LECTERN_STORAGE"])
    left = [p for p in root.rglob("*") if p.is_file()]
    assert left == []


def test_an_upload_without_a_file_names_the_field(app: Flask, world: Any) -> None:
    lecture, people = world
    host = signed_in(app, people["host"].username)
    response = host.post(
        f"/lectures/{lecture.id}/slides",
        data={"csrf_token": host.csrf_token(f"/lectures/{lecture.id}")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422 and response.json["error"]["message"] == "Choose a PDF file to upload."
