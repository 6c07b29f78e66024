"""The slides of a lecture: which PDFs its hosts may show (the course's own PDF lessons and what was uploaded in the
room), the deck and page shown now, and uploads checked whole before anything is kept. Session and plain values in,
never the request; the caller commits.

Every refusal is a `lectern.domain` error whose message names the file, for the room to show as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO

from sqlalchemy import select

from lectern.courses.content import services as content
from lectern.courses.content.storage import CHUNK, Storage, UploadReason
from lectern.courses.models import Lesson, Module, StoredFile
from lectern.domain import Conflict, DomainError, Invalid, NotFound
from lectern.extensions import DbSession
from lectern.i18n import gettext as _
from lectern.platform.models import User
from lectern.webrtc.models import Lecture, LectureDeck
from lectern.webrtc.slides.render import Deck, SlideCache, SlidesReason

PDF = "application/pdf"


class DeckReason(StrEnum):
    """Why a change of slides is refused (besides `render.SlidesReason` and `storage.UploadReason`)."""

    NO_DECK = "no_deck"  # NotFound: not a PDF of the course nor one uploaded in this lecture
    NOT_SHOWING = "not_showing"  # Conflict: no slides are shown, so there is no page to turn to
    NO_PAGE = "no_page"  # Invalid: the deck has no such page (field "page")


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pages: int


def cache(storage: Storage) -> SlideCache:
    """Rendered decks live beside the files they come from, in the same store."""
    return SlideCache(storage.root / "slides")


def wording(exc: DomainError, name: str) -> str:
    """What the room says when a file cannot be shown as slides."""
    if exc.reason is UploadReason.TOO_LARGE:
        mb = int(exc.params["limit"]) // 2**20
        return _("%(name)s is too large: PDF files up to %(mb)d MB can be shown.", name=name, mb=mb)
    if exc.reason is UploadReason.EMPTY:
        return _("%(name)s is empty.", name=name)
    if exc.reason in (UploadReason.WRONG_TYPE, SlidesReason.NOT_PDF):
        return _("%(name)s is not a PDF file.", name=name)
    if exc.reason is SlidesReason.ENCRYPTED:
        return _("%(name)s is protected by a password: save it without one and upload it again.", name=name)
    if exc.reason is SlidesReason.TOO_MANY_PAGES:
        return _("%(name)s has too many pages: at most %(limit)d can be shown.", name=name, limit=exc.params["limit"])
    return _("%(name)s cannot be read as a PDF file.", name=name)


@contextmanager
def _named(name: str) -> Iterator[None]:
    """Refusals of the store and the renderer, worded for the room with the file's name."""
    try:
        yield
    except Invalid as exc:
        if exc.message is not None:
            raise
        raise Invalid(exc.reason, wording(exc, name), **exc.params) from exc


def course_pdfs(session: DbSession, lecture: Lecture) -> list[StoredFile]:
    """The PDF files of the lecture's course lessons, in the course's order."""
    rows = session.scalars(
        select(StoredFile)
        .join(Lesson, Lesson.file_id == StoredFile.id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Module.course_id == lecture.course_id, StoredFile.content_type == PDF)
        .order_by(Module.position, Module.id, Lesson.position, Lesson.id)
    )
    return list(dict.fromkeys(rows))


def uploaded(session: DbSession, lecture: Lecture) -> list[StoredFile]:
    """The PDFs uploaded in the lecture's room, oldest first."""
    return list(
        session.scalars(
            select(StoredFile)
            .join(LectureDeck, LectureDeck.file_id == StoredFile.id)
            .where(LectureDeck.lecture_id == lecture.id)
            .order_by(LectureDeck.added_at, StoredFile.id)
        )
    )


def decks(session: DbSession, lecture: Lecture) -> list[StoredFile]:
    """What the lecture's hosts may show: the course's PDFs, then the room's uploads."""
    return list(dict.fromkeys([*course_pdfs(session, lecture), *uploaded(session, lecture)]))


def deck_file(session: DbSession, lecture: Lecture, file_id: int) -> StoredFile:
    """One of `decks`; NotFound otherwise."""
    for file in decks(session, lecture):
        if file.id == file_id:
            return file
    raise NotFound(DeckReason.NO_DECK, _("This file is not among the slides of this lecture."))


def prepare(storage: Storage, file: StoredFile, limits: Limits) -> Deck:
    """The file's rendered deck, rendered now if it was not before."""
    source = storage.path(file.sha256)
    if cache(storage).deck(file.sha256) is None and not source.exists():
        raise NotFound(DeckReason.NO_DECK, _("%(name)s is no longer stored.", name=file.original_name))
    with _named(file.original_name):
        return cache(storage).prepare(source, file.sha256, file.original_name, limits.max_pages)


def current(session: DbSession, storage: Storage, lecture: Lecture, limits: Limits) -> tuple[StoredFile, Deck] | None:
    """The deck shown now, or None (none is, or it can no longer be rendered)."""
    file = lecture.slides_file
    if file is None:
        return None
    try:
        return file, prepare(storage, file, limits)
    except DomainError:
        return None


def show(session: DbSession, storage: Storage, lecture: Lecture, file_id: int, limits: Limits) -> None:
    """Show one of the lecture's decks from its first page."""
    file = deck_file(session, lecture, file_id)
    prepare(storage, file, limits)
    lecture.slides_file_id, lecture.slides_page = file.id, 1
    session.flush()
    session.refresh(lecture, ["slides_file"])


def turn(session: DbSession, storage: Storage, lecture: Lecture, page: int, limits: Limits) -> None:
    """Go to a page of the deck shown now."""
    shown = current(session, storage, lecture, limits)
    if shown is None:
        raise Conflict(DeckReason.NOT_SHOWING, _("No slides are shown."))
    if not 1 <= page <= shown[1].pages:
        raise Invalid(DeckReason.NO_PAGE, _("There is no such page."), field="page")
    lecture.slides_page = page
    session.flush()


def stop(session: DbSession, lecture: Lecture) -> None:
    """Show no slides."""
    lecture.slides_file_id, lecture.slides_page = None, 1
    session.flush()
    session.refresh(lecture, ["slides_file"])


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def upload(
    session: DbSession,
    storage: Storage,
    lecture: Lecture,
    user: User,
    stream: IO[bytes],
    name: str,
    limits: Limits,
    now: datetime,
) -> tuple[StoredFile, Deck]:
    """Keep an uploaded PDF as one of the lecture's decks, rendered. The file is held aside and rendered whole
    first: one that is too large, empty, not a PDF, encrypted, unreadable or too long leaves nothing behind."""
    name = (name or "slides.pdf")[-255:]
    with _named(name):
        held = storage.held(storage.hold(stream, limits.max_bytes))
        assert held is not None  # just held
        try:
            with held.open("rb") as fh:
                sha = _sha256(fh)
            deck = cache(storage).prepare(held, sha, name, limits.max_pages)
            known = next((f for f in decks(session, lecture) if f.sha256 == sha), None)
            if known is None:
                with held.open("rb") as fh:
                    known = content.store_file(session, storage, fh, name, {PDF}, limits.max_bytes, user.id)
        finally:
            held.unlink(missing_ok=True)
    if session.get(LectureDeck, (lecture.id, known.id)) is None and known not in course_pdfs(session, lecture):
        session.add(LectureDeck(lecture_id=lecture.id, file_id=known.id, added_by_id=user.id, added_at=now))
        session.flush()
    return known, deck
