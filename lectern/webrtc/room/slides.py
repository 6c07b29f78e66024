"""The lecture room's slides events (namespace.py's `LectureNamespace` inherits them): the host shows a deck, turns
its pages, stops, and points; everyone in the room hears of it. The state is kept with the lecture, so a
participant who joins later (or comes back after a reconnect) gets the page shown now with the join's ack."""

from __future__ import annotations

from typing import Any

from flask_socketio import emit

from lectern.courses.requested import storage
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.models import utcnow
from lectern.webrtc.models import Lecture
from lectern.webrtc.recordings import services as recordings
from lectern.webrtc.room import signalling
from lectern.webrtc.room.events import handles, room_of
from lectern.webrtc.room.state import Seat
from lectern.webrtc.services import Part
from lectern.webrtc.slides import service, views


class SlidesEvents:
    """`slides` and `pointer`: see signalling.py."""

    def _context(self, *allowed: Part) -> tuple[Seat, Lecture, Part]:
        raise NotImplementedError  # LectureNamespace's: the sender's seat, lecture and part

    def _slides_now(self, lecture: Lecture) -> dict[str, Any] | None:
        """The slides shown now, as the join's ack carries them."""
        return views.state(lecture)

    @handles("slides")
    def on_slides(self, msg: signalling.Slides) -> dict[str, Any]:
        """The host shows a deck, turns to a page or stops showing slides; the room is told."""
        _seat, lecture, _part = self._context(Part.HOST)
        if msg.stop:
            service.stop(db.session, lecture)
        elif msg.deck is not None:
            service.show(db.session, storage(), lecture, msg.deck, views.limits())
        elif msg.page is not None:
            service.turn(db.session, storage(), lecture, msg.page, views.limits())
        now = views.state(lecture)
        if now is not None:
            title = _("%(deck)s: slide %(page)d of %(pages)d", deck=now["name"], page=now["page"], pages=now["pages"])
            chapter = recordings.mark(db.session, lecture, title, utcnow())
            if chapter is not None:
                chapter.slide_file_id, chapter.slide_page = lecture.slides_file_id, lecture.slides_page
        db.session.commit()
        emit("slides", now, to=room_of(lecture.id))
        if now is None:
            emit("pointer", {}, to=room_of(lecture.id))
        return {"ok": True, "slides": now}

    @handles("pointer")
    def on_pointer(self, msg: signalling.Pointer) -> dict[str, Any]:
        """The host points at the slide (or stops pointing); not kept: a newcomer sees the next one."""
        _seat, lecture, _part = self._context(Part.HOST)
        where = {} if msg.x is None else {"x": msg.x, "y": msg.y}
        emit("pointer", where, to=room_of(lecture.id))
        return {"ok": True}
