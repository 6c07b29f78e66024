"""The replay job: once a recording stops, the worker makes its replay (replay.py: one encode per recording, never
per viewer) and the draft video lesson that shows it.

The relay recorded each slot of the lecture (the host's `main`, the floor holder's `floor`) into a folder of its own
under the recording's, each with its manifest (relay/record.py). The job puts their tracks on one timeline, whose
zero is the earliest of the relays' starts (the recording's `started_at` moves there, and its chapters with it, so
the chat and the chapters stay at their moments), composes the replay, moves its main version into the file store as
the lesson's file, keeps the low and audio versions in the recording's folder, and removes the tracks.

It is safe to run again (a retry, a resume after a restart): a recording already made into a lesson is left as it is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from lectern.courses.content import services as content
from lectern.courses.content.storage import CHUNK
from lectern.courses.models import StoredFile
from lectern.courses.requested import storage
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform import jobs
from lectern.webrtc.models import Recording, RecordingStatus
from lectern.webrtc.recordings.services import VERSIONS
from lectern.webrtc.relay.provider import recordings_root

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SLOT_FOLDERS = ("main", "floor")


def combine(folder: Path) -> dict[str, Any]:
    """The manifest of the whole recording, from those of its slots' folders (written to `folder`): each track's file
    moved into `folder` (named by its slot), its start moved onto the common timeline, whose zero is the earliest
    slot's start. Safe to run again: a file already moved stays where it is."""
    parts: list[tuple[str, dict[str, Any]]] = []
    for slot in SLOT_FOLDERS:
        path = folder / slot / MANIFEST
        if path.is_file():
            parts.append((slot, json.loads(path.read_text())))
    if not parts:
        raise jobs.JobFailed(_("Nothing was recorded."))
    base = min(float(m["started_at"]) for _slot, m in parts)
    tracks = []
    for slot, manifest in parts:
        shift = float(manifest["started_at"]) - base
        for track in manifest.get("tracks", []):
            if track.get("start") is None or not track.get("frames"):
                continue  # a track that never carried a frame
            # The composer reads the tracks from one folder: each moves up beside the manifest, named by its slot.
            name = f"{slot}-{track['file']}"
            source = folder / slot / str(track["file"])
            if source.is_file():
                os.replace(source, folder / name)
            moved = dict(track, file=name, start=round(track["start"] + shift, 4))
            if track.get("end") is not None:
                moved["end"] = round(track["end"] + shift, 4)
            tracks.append(moved)
    if not tracks:
        raise jobs.JobFailed(_("Nothing was recorded."))
    stops = [float(m["stopped_at"]) for _slot, m in parts if m.get("stopped_at") is not None]
    combined = {
        "version": 1,
        "started_at": base,
        "stopped_at": max(stops) if len(stops) == len(parts) else None,
        "tracks": tracks,
    }
    temporary = folder / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(combined, indent=1))
    os.replace(temporary, folder / MANIFEST)
    return combined


def _store(path: Path, name: str, duration: float) -> StoredFile:
    """Move a file into the file store (content-addressed, as uploads are) as a StoredFile."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    sha = digest.hexdigest()
    size = path.stat().st_size
    final = storage().path(sha)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, final)
    stored = StoredFile(
        sha256=sha, size=size, content_type="video/webm", original_name=name[:255], duration_seconds=duration
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def _failed(session: Session, job: Any) -> None:
    """The job gave up: the recording says why (its instructor sees it on the lecture's page)."""
    args = (job.payload or {}).get("args") or [None]
    recording = session.get(Recording, args[0])
    if recording is not None and recording.status is not RecordingStatus.READY:
        recording.status = RecordingStatus.FAILED
        recording.problem = (job.error or "")[:2000]


@jobs.task(retries=2, retry_delay=30, name="webrtc.make_replay", on_failure=_failed)
def make_replay(recording_id: int) -> int | None:
    """Make a stopped recording's replay and its draft lesson; the lesson's id (None: the recording is gone)."""
    recording = db.session.get(Recording, recording_id)
    if recording is None:
        return None
    if recording.status is RecordingStatus.READY:
        return recording.lesson_id
    folder = Path(recordings_root(current_app)) / recording.key
    manifest = combine(folder)
    # Imported here: PyAV and the composer load in the worker that runs the job, not in every web process.
    from lectern.webrtc.recordings import replay

    try:
        made = replay.compose(folder, folder, progress=lambda done: jobs.progress(int(done * 100)))
    except replay.ReplayError as exc:
        raise jobs.JobFailed(str(exc)) from exc
    # The replay's first second is where its first track begins: the chat and the chapters are placed from there.
    base = datetime.fromtimestamp(float(manifest["started_at"]) + made.offset, UTC)
    shift = (base - recording.started_at).total_seconds()
    lecture = recording.lecture
    course = lecture.course
    with force_locale(course.language):
        # The date tells the recordings of one lecture apart (a lecture recorded twice, a lecture's reruns).
        zone = ZoneInfo(course.academy.timezone)
        when = format_datetime(base, "d MMMM y, HH:mm", tzinfo=zone, locale=course.language)
        title = _("%(title)s (recorded %(date)s)", title=lecture.title, date=when)
    outputs = {"main": made.replay, "low": made.low, "audio": made.audio}
    versions: dict[str, dict[str, object]] = {}
    for version, output in outputs.items():
        versions[version] = {"name": VERSIONS[version], "bytes": output.size, "bps": output.bitrate}
    main = _store(made.replay.path, f"{lecture.title}.webm", made.replay.duration)
    versions["main"].update(sha256=main.sha256, file_id=main.id)
    lesson = content.add_video_lesson(db.session, course, title, main, body=lecture.description, draft=True)
    recording.started_at = base
    for chapter in recording.chapters:
        chapter.at = max(chapter.at - shift, 0.0)
    recording.lesson_id = lesson.id
    recording.versions = versions
    recording.duration_seconds = made.replay.duration
    recording.size_bytes = sum(output.size for output in outputs.values())
    recording.status = RecordingStatus.READY
    recording.problem = None
    db.session.commit()
    for slot in SLOT_FOLDERS:  # the tracks: the replay is what is kept
        shutil.rmtree(folder / slot, ignore_errors=True)
        for track in folder.glob(f"{slot}-*.webm"):
            track.unlink(missing_ok=True)
    logger.info("recording %s: replay made, lesson %s", recording.id, lesson.id)
    return lesson.id


def queue_replay(session: Any, recording: Recording, academy_id: int, user_id: int | None) -> None:
    """Queue the recording's replay job (its message leaves when `session` commits)."""
    job = make_replay.enqueue(session, recording.id, academy_id=academy_id, user_id=user_id)
    recording.job_id = job.id
