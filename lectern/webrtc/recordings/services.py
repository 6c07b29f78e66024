"""Recordings of live lectures: started and stopped by a host (or by the course's setting), their chapters, who may
watch them, what they take of the academy's quota, and deleting them. Session and plain values in, never the request.

The relay writes the tracks (relay/record.py) under the recordings root, in `key`; the replay job (replay_job.py)
makes the replay's files (replay.py) in the same folder and the draft lesson.
"""

from __future__ import annotations

import enum
import shutil
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, event, func, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session, object_session

from lectern.courses.content.storage import Storage
from lectern.courses.models import Course, Lesson, LessonKind, StoredFile
from lectern.domain import Conflict, Forbidden, NotFound
from lectern.extensions import DbSession, db
from lectern.i18n import gettext as _
from lectern.platform.models import User
from lectern.webrtc import services as lectures
from lectern.webrtc.models import Lecture, LectureStatus, Recording, RecordingChapter, RecordingStatus
from lectern.webrtc.services import Part

# The replay's versions, as a viewer picks them: the file each is kept in.
VERSIONS = {"main": "replay.webm", "low": "low.webm", "audio": "audio.webm"}
MAX_CHAPTER_TITLE = 300


class RecordingReason(enum.StrEnum):
    """Why the recordings' services refuse (the reason of a `lectern.domain` error)."""

    NO_RECORDING = "no_recording"  # NotFound: no such recording, or the user may not watch it
    NOT_HOST = "not_host"  # Forbidden: only the lecture's hosts start, stop and delete recordings
    NOT_LIVE = "not_live"  # Conflict: a lecture is recorded only while it is live
    OVER_QUOTA = "over_quota"  # Conflict: the academy's recordings fill its quota


def key_of(recording: Recording) -> str:
    """The recording's folder under the recordings root (the relay's name for it, record.KEY)."""
    return f"lecture-{recording.lecture_id}/rec-{recording.id}"


def active(session: DbSession, lecture: Lecture) -> Recording | None:
    """The recording being made of the lecture now, if any."""
    return session.scalar(
        select(Recording).where(Recording.lecture_id == lecture.id, Recording.status == RecordingStatus.RECORDING)
    )


def academy_usage(session: DbSession, academy_id: int) -> int:
    """What the academy's recordings take on disk, in bytes."""
    total = session.scalar(
        select(func.coalesce(func.sum(Recording.size_bytes), 0))
        .join(Lecture, Lecture.id == Recording.lecture_id)
        .join(Course, Course.id == Lecture.course_id)
        .where(Course.academy_id == academy_id)
    )
    return int(total or 0)


def start(session: DbSession, lecture: Lecture, user: User | None, now: datetime, quota_bytes: int) -> Recording:
    """Begin recording a live lecture (the one being made, if there is one). Conflict when the lecture is not live
    or the academy's recordings fill its quota (`quota_bytes`, 0: none). The caller tells the relay (`key_of`)."""
    if lecture.status is not LectureStatus.LIVE:
        raise Conflict(RecordingReason.NOT_LIVE, _("A lecture is recorded only while it is live."))
    current = active(session, lecture)
    if current is not None:
        return current
    if quota_bytes and academy_usage(session, lecture.course.academy_id) >= quota_bytes:
        raise Conflict(
            RecordingReason.OVER_QUOTA,
            _("The academy's recordings fill its storage quota: delete old recordings before recording another."),
        )
    recording = Recording(
        lecture_id=lecture.id,
        key="",
        status=RecordingStatus.RECORDING,
        started_at=now,
        started_by_id=user.id if user else None,
        versions={},
    )
    session.add(recording)
    session.flush()
    recording.key = key_of(recording)
    return recording


def stop(session: DbSession, recording: Recording, now: datetime) -> None:
    """The recording ends: its replay is to be made (the caller queues the job once this is committed)."""
    if recording.status is RecordingStatus.RECORDING:
        recording.status = RecordingStatus.PROCESSING
        recording.stopped_at = now


def mark(session: DbSession, lecture: Lecture, title: str, now: datetime) -> RecordingChapter | None:
    """A chapter of the lecture's recording at this moment (a slide shown, the floor changing hands); nothing when
    the lecture is not being recorded."""
    recording = active(session, lecture)
    if recording is None:
        return None
    chapter = RecordingChapter(
        recording_id=recording.id,
        at=max((now - recording.started_at).total_seconds(), 0.0),
        title=title[:MAX_CHAPTER_TITLE],
    )
    session.add(chapter)
    return chapter


def published(session: DbSession, recording: Recording) -> bool:
    """Whether the recording's lesson is published (its replay is a draft until an instructor publishes it)."""
    lesson = session.get(Lesson, recording.lesson_id) if recording.lesson_id is not None else None
    return lesson is not None and not lesson.draft


def may_watch(session: DbSession, user: User, recording: Recording) -> bool:
    """Whether `user` may watch or download the recording: whoever could attend the lecture (its course's and its
    invited courses' cadets, its halls) once its lesson is published; the course's staff and the administrators who
    observe the lecture from the start."""
    part = lectures.part_of(session, user, recording.lecture)
    if part is None:
        return False
    return part in (Part.HOST, Part.OBSERVER) or published(session, recording)


def watchable(session: DbSession, user: User, recording_id: int) -> Recording:
    """The recording if `user` may watch it and its replay is made; NotFound otherwise (as if it did not exist)."""
    recording = session.get(Recording, recording_id)
    if recording is None or recording.status is not RecordingStatus.READY or not may_watch(session, user, recording):
        raise NotFound(RecordingReason.NO_RECORDING)
    return recording


def of_lesson(session: DbSession, lesson_id: int) -> Recording | None:
    """The recording whose replay the lesson shows, if it is one."""
    return session.scalar(select(Recording).where(Recording.lesson_id == lesson_id))


def hosted(session: DbSession, user: User, recording_id: int) -> Recording:
    """The recording if `user` hosts its lecture (NotFound for one they may not see, Forbidden for one they may
    watch but not manage)."""
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(RecordingReason.NO_RECORDING)
    part = lectures.part_of(session, user, recording.lecture)
    if part is None:
        raise NotFound(RecordingReason.NO_RECORDING)
    if part is not Part.HOST:
        raise Forbidden(RecordingReason.NOT_HOST)
    return recording


def of_lecture(session: DbSession, lecture: Lecture, part: Part | None = None) -> list[Recording]:
    """The lecture's recordings, oldest first: all of them for its hosts (`part` None too), for anyone else those
    they may watch (made, and published for its cadets and halls)."""
    found = session.scalars(select(Recording).where(Recording.lecture_id == lecture.id).order_by(Recording.id)).all()
    if part is None or part is Part.HOST:
        return list(found)
    ready = [r for r in found if r.status is RecordingStatus.READY]
    return ready if part is Part.OBSERVER else [r for r in ready if published(session, r)]


def delete(session: DbSession, recording: Recording, root: Path, store: Storage) -> None:
    """Delete a recording: its files, and its lesson with it. One being made now cannot be (stop it first)."""
    if recording.status is RecordingStatus.RECORDING:
        raise Conflict(RecordingReason.NOT_LIVE, _("Stop the recording before deleting it."))
    file = None
    if recording.lesson_id is not None:
        lesson = session.get(Lesson, recording.lesson_id)
        if lesson is not None:
            file = lesson.file
            session.delete(lesson)
    session.delete(recording)
    session.flush()
    if file is not None:
        session.delete(file)
        session.flush()
        if not session.scalar(select(func.count()).where(StoredFile.sha256 == file.sha256)):
            store.path(file.sha256).unlink(missing_ok=True)
    remove_files(root, recording.key)


def remove_files(root: Path, key: str) -> None:
    """Remove a recording's folder (its tracks and its replay), if it is one under `root`."""
    if not key:
        return
    folder = (root / key).resolve()
    if root.resolve() in folder.parents:
        shutil.rmtree(folder, ignore_errors=True)


def lesson_guard(session: DbSession, user: User, lesson: Lesson) -> bool:
    """The courses area's LESSON_GUARDS: a recorded lecture's lesson exists only for those who may watch it. One
    query per course and request finds its course's recordings (kept in `session.info`)."""
    if lesson.kind is not LessonKind.VIDEO:
        return True
    cache: dict[tuple[str, int], dict[int, Recording]] = session.info.setdefault("lectern.recording_lessons", {})
    course_id = lesson.module.course_id
    found = cache.get(("course", course_id))
    if found is None:
        rows = session.scalars(
            select(Recording)
            .join(Lecture, Lecture.id == Recording.lecture_id)
            .where(Lecture.course_id == course_id, Recording.lesson_id.is_not(None))
        ).all()
        found = cache[("course", course_id)] = {r.lesson_id: r for r in rows if r.lesson_id is not None}
    recording = found.get(lesson.id)
    return recording is None or may_watch(session, user, recording)


# Deleting a course deletes its lectures' recordings in the database (foreign keys); their folders go once that
# commits (`remove_with_course`), and the replays' main files leave the file store.
_DOOMED = "lectern.doomed_recordings"


def _doom_course_recordings(_mapper: object, connection: Connection, course: Course) -> None:
    session = object_session(course)
    if session is None:
        return
    rows = connection.execute(
        select(Recording.key, Recording.versions)
        .join(Lecture, Lecture.id == Recording.lecture_id)
        .where(Lecture.course_id == course.id)
    ).all()
    doomed = session.info.setdefault(_DOOMED, [])
    for key, versions in rows:
        main = (versions or {}).get("main") or {}
        doomed.append((key, main.get("file_id"), main.get("sha256")))


def _remove_doomed(session: Session) -> None:
    """After the commit (the session may not query now: a connection of its own removes the replays' file rows)."""
    doomed = session.info.pop(_DOOMED, None)
    if not doomed:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    root = Path(app.config["LECTERN_STORAGE"]) / "recordings"
    store = Storage(app.config["LECTERN_STORAGE"])
    engine = db.engine
    for key, file_id, sha in doomed:
        remove_files(root, key)
        if not file_id or not sha:
            continue
        with engine.begin() as connection:
            used = select(Lesson.file_id).where(Lesson.file_id == file_id)
            connection.execute(sql_delete(StoredFile).where(StoredFile.id == file_id, ~StoredFile.id.in_(used)))
            left = connection.scalar(select(func.count()).where(StoredFile.sha256 == sha))
        if not left:
            store.path(sha).unlink(missing_ok=True)


def remove_with_course() -> None:
    """Delete the recordings' files of the courses deleted (once, for every session of the process)."""
    if not event.contains(Course, "before_delete", _doom_course_recordings):
        event.listen(Course, "before_delete", _doom_course_recordings)
        event.listen(Session, "after_commit", _remove_doomed)
        event.listen(Session, "after_rollback", lambda session: session.info.pop(_DOOMED, None))


def academy_count(session: DbSession, academy_id: int) -> int:
    """How many recordings the academy keeps."""
    return int(
        session.scalar(
            select(func.count(Recording.id))
            .join(Lecture, Lecture.id == Recording.lecture_id)
            .join(Course, Course.id == Lecture.course_id)
            .where(Course.academy_id == academy_id)
        )
        or 0
    )
