"""The lecture room's recording events (namespace.py's `LectureNamespace` inherits them): a host starts and stops
recording, and everyone in the room sees that it records (the join's ack says so too). The relay records each slot's
lecture (the host's `main` and the floor holder's `floor`) into a folder of the recording's own; when it stops, the
replay job is queued (recordings/replay_job.py)."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_socketio import emit

from lectern.domain import DomainError
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.models import User, utcnow
from lectern.webrtc.models import Lecture, Recording
from lectern.webrtc.recordings import services as recordings
from lectern.webrtc.recordings.replay_job import queue_replay
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.provider import relay
from lectern.webrtc.room import signalling
from lectern.webrtc.room.events import Refused, handles, hosts_of, relay_id, room_of
from lectern.webrtc.room.state import Seat
from lectern.webrtc.services import Part

logger = logging.getLogger(__name__)


def recording_state(recording: Recording | None) -> dict[str, Any]:
    """Whether the lecture records, as the room is told."""
    since = recording.started_at.isoformat() if recording is not None else None
    return {"on": recording is not None, "since": since}


def quota_bytes() -> int:
    """Each academy's recordings quota (LECTERN_RECORDING_QUOTA_MB; 0: none)."""
    return int(current_app.config.get("LECTERN_RECORDING_QUOTA_MB", 0)) * 1024 * 1024


class RecordingEvents:
    """`record`: see signalling.py."""

    def _context(self, *allowed: Part) -> tuple[Seat, Lecture, Part]:
        raise NotImplementedError  # LectureNamespace's: the sender's seat, lecture and part

    @handles("record")
    def on_record(self, msg: signalling.Record) -> dict[str, Any]:
        """A host starts or stops recording; the room is told."""
        seat, lecture, _part = self._context(Part.HOST)
        if msg.on:
            self._start_recording(lecture, db.session.get(User, seat.user_id))
        else:
            self._stop_recording(lecture)
        now = recording_state(recordings.active(db.session, lecture))
        return {"ok": True, "recording": now}

    def _start_recording(self, lecture: Lecture, user: User | None) -> None:
        """Record the lecture from now (a host's wish, or the course's setting as it goes live)."""
        if recordings.active(db.session, lecture) is not None:
            return
        recording = recordings.start(db.session, lecture, user, utcnow(), quota_bytes())
        try:
            for slot in signalling.SLOTS:
                target = relay_id(lecture.id, slot)
                relay().open_lecture(target)
                relay().record(target, f"{recording.key}/{slot}")
        except RelayError as exc:
            logger.warning("lecture %s: recording did not start: %s", lecture.id, exc)
            db.session.rollback()
            self._relay_stop(lecture)
            raise Refused(_("The recording could not start. Try again in a moment.")) from exc
        db.session.commit()
        emit("recording", recording_state(recording), to=room_of(lecture.id))

    def _record_from_the_start(self, lecture: Lecture) -> None:
        """The course records every lecture: this one from now. A recording that cannot start (the academy's quota is
        full, the relay refuses) never keeps the lecture from going live: its hosts are told why instead."""
        try:
            self._start_recording(lecture, None)
        except (DomainError, Refused) as exc:
            db.session.rollback()
            text = exc.message if isinstance(exc, DomainError) else str(exc)
            logger.warning("lecture %s: the course's recording did not start: %s", lecture.id, text)
            message = text or _("The recording could not start. Try again in a moment.")
            emit("error", {"event": "record", "message": message}, to=hosts_of(lecture.id))

    def _stop_recording(self, lecture: Lecture) -> None:
        """Stop recording the lecture (nothing if it does not record); its replay job is queued."""
        recording = recordings.active(db.session, lecture)
        if recording is None:
            return
        self._relay_stop(lecture)
        recordings.stop(db.session, recording, utcnow())
        queue_replay(db.session, recording, lecture.course.academy_id, recording.started_by_id)
        db.session.commit()
        emit("recording", recording_state(None), to=room_of(lecture.id))

    @staticmethod
    def _relay_stop(lecture: Lecture) -> None:
        for slot in signalling.SLOTS:
            try:
                relay().record(relay_id(lecture.id, slot), None)
            except RelayError as exc:  # the relay is gone: what it wrote stays playable (relay/record.py)
                logger.warning("lecture %s: recording of %s did not stop cleanly: %s", lecture.id, slot, exc)
