"""The slides' HTTP side: the page images (for everyone admitted to the lecture, cached for good: their addresses
carry the PDF's hash), the host's list of decks and uploads; and the slides state the room's events carry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from lectern.courses.models import StoredFile
from lectern.courses.requested import storage
from lectern.domain import Forbidden, Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.models import utcnow
from lectern.platform.roles import login_required, signed_in_user
from lectern.webrtc import services
from lectern.webrtc.models import Lecture
from lectern.webrtc.services import LectureReason, Part
from lectern.webrtc.slides import service
from lectern.webrtc.slides.render import LARGE, SMALL, WIDTHS, Deck

bp = Blueprint("slides", __name__)
YEAR = 365 * 24 * 3600


def limits() -> service.Limits:
    return service.Limits(
        current_app.config["LECTERN_SLIDES_MAX_BYTES"], current_app.config["LECTERN_SLIDES_MAX_PAGES"]
    )


def _image(lecture: Lecture, sha256: str, page: int) -> dict[str, str]:
    return {
        "large": url_for("slides.image", lecture_id=lecture.id, sha256=sha256, width=LARGE, page=page),
        "small": url_for("slides.image", lecture_id=lecture.id, sha256=sha256, width=SMALL, page=page),
    }


def deck_entry(file: StoredFile) -> dict[str, Any]:
    return {"id": file.id, "name": file.original_name}


def state(lecture: Lecture) -> dict[str, Any] | None:
    """What the room shows: the deck, the page, its image at both widths and the next page's (to load ahead);
    None when no slides are shown."""
    shown = service.current(db.session, storage(), lecture, limits())
    if shown is None:
        return None
    file, deck = shown
    page = min(max(lecture.slides_page, 1), deck.pages)
    return {
        **deck_entry(file),
        "page": page,
        "pages": deck.pages,
        "image": _image(lecture, deck.sha256, page),
        "next": _image(lecture, deck.sha256, page + 1) if page < deck.pages else None,
    }


def _hosted(lecture_id: int) -> Lecture:
    lecture, part = services.get_lecture(db.session, signed_in_user(), lecture_id)
    if part is not Part.HOST:
        raise Forbidden(LectureReason.NOT_STAFF)
    return lecture


@bp.route("/lectures/<id:lecture_id>/slides")
@login_required
def decks(lecture_id: int) -> ResponseReturnValue:
    """The host's deck picker: the course's PDFs and the room's uploads."""
    lecture = _hosted(lecture_id)
    return {"decks": [deck_entry(f) for f in service.decks(db.session, lecture)]}


@bp.route("/lectures/<id:lecture_id>/slides", methods=["POST"])
@login_required
def upload(lecture_id: int) -> ResponseReturnValue:
    """A PDF uploaded in the room by a host: kept and rendered, then offered as a deck (the host shows it over
    Socket.IO). A file that cannot be shown is a 422 naming it, and nothing of it is kept."""
    lecture = _hosted(lecture_id)
    upload = request.files.get("file")
    if not isinstance(upload, FileStorage) or not upload.filename:
        raise Invalid(message=_("Choose a PDF file to upload."), field="file")
    file, deck = service.upload(
        db.session, storage(), lecture, signed_in_user(), upload.stream, upload.filename, limits(), utcnow()
    )
    db.session.commit()
    return {"deck": {**deck_entry(file), "pages": deck.pages}}, 201


@bp.route("/lectures/<id:lecture_id>/slides/<sha256>/<int:width>/<int:page>.webp")
@login_required
def image(lecture_id: int, sha256: str, width: int, page: int) -> ResponseReturnValue:
    """A page of the deck the lecture shows now, to those admitted to the lecture (as its room admits them: a
    removed participant is not). Immutable: a new PDF has a new hash, so a new address."""
    found = services.admission_of(db.session, signed_in_user(), lecture_id)
    if found is None:
        abort(404)
    lecture = found[0]
    file = lecture.slides_file
    if file is None or file.sha256 != sha256 or width not in WIDTHS:
        abort(404)
    deck: Deck | None = service.cache(storage()).deck(sha256)
    if deck is None or not 1 <= page <= deck.pages:
        abort(404)
    response = send_file(
        service.cache(storage()).image(sha256, width, page),
        mimetype="image/webp",
        conditional=True,
        etag=f"{sha256}-{width}-{page}",
        max_age=YEAR,
    )
    response.headers["Cache-Control"] = f"private, max-age={YEAR}, immutable"
    return response
