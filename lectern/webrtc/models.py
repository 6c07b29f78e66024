"""Live lectures: their schedule, invitations, attendance, chat and recordings."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lectern.courses.models import Course, StoredFile
from lectern.extensions import Model
from lectern.platform.jobs.models import Job
from lectern.platform.models import User, UTCDateTime, created_at, intpk, string_enum, timestamp


class LectureStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Lecture(Model):
    """A live lecture of a course, at a set time."""

    __tablename__ = "lecture"

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=90)
    status: Mapped[LectureStatus] = mapped_column(string_enum(LectureStatus), default=LectureStatus.SCHEDULED)
    started_at: Mapped[timestamp | None]
    ended_at: Mapped[timestamp | None]
    # Who may publish besides the host (a cadet or a lecture hall given the floor); None: nobody.
    floor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]
    # The slides shown now (a PDF of the course or one uploaded in the room; slides/service.py), and the page.
    slides_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    slides_page: Mapped[int] = mapped_column(default=1, server_default="1")

    course: Mapped[Course] = relationship()
    slides_file: Mapped[StoredFile | None] = relationship()
    invited_courses: Mapped[list[LectureInvite]] = relationship(cascade="all, delete-orphan")
    invited_halls: Mapped[list[LectureHall]] = relationship(cascade="all, delete-orphan")


class LectureInvite(Model):
    """The cadets of another course are invited too."""

    __tablename__ = "lecture_invite"

    lecture_id: Mapped[int] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)

    course: Mapped[Course] = relationship()


class LectureHall(Model):
    """A lecture-hall (classroom) account invited to join, usually at another academy."""

    __tablename__ = "lecture_hall"

    lecture_id: Mapped[int] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)

    user: Mapped[User] = relationship()


class Attendance(Model):
    """One stay of a participant in a lecture room: from joining to leaving (a rejoin soon after leaving, or a
    second tab, continues it: services.arrive)."""

    __tablename__ = "lecture_attendance"

    id: Mapped[intpk]
    lecture_id: Mapped[int] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[timestamp | None]

    user: Mapped[User] = relationship()


class ChatMessage(Model):
    __tablename__ = "lecture_chat"

    id: Mapped[intpk]
    lecture_id: Mapped[int] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LectureRemoval(Model):
    """Someone a host sent out of a lecture: they cannot come back until a host lets them (the row is deleted)."""

    __tablename__ = "lecture_removal"

    lecture_id: Mapped[int] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LectureDeck(Model):
    """A PDF uploaded in the lecture room to be shown as slides: the lecture's hosts may show it again."""

    __tablename__ = "lecture_deck"

    lecture_id: Mapped[int] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())

    file: Mapped[StoredFile] = relationship()


class RecordingStatus(enum.StrEnum):
    RECORDING = "recording"  # the relay writes it now
    PROCESSING = "processing"  # stopped; the replay job makes its files
    READY = "ready"  # its replay is a lesson of the course
    FAILED = "failed"  # the replay job gave up: `problem` says why


class Recording(Model):
    """A lecture recorded by its relay (relay/record.py), and the replay made of it afterwards (recordings/)."""

    __tablename__ = "lecture_recording"

    id: Mapped[intpk]
    lecture_id: Mapped[int] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"), index=True)
    # The folder under the recordings root (LECTERN_STORAGE/recordings) that holds its tracks and its replay.
    key: Mapped[str] = mapped_column(String(200))
    status: Mapped[RecordingStatus] = mapped_column(string_enum(RecordingStatus), default=RecordingStatus.RECORDING)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[timestamp | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The video lesson its replay became (a draft until an instructor publishes it).
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("course_lesson.id", ondelete="SET NULL"))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    # What it takes on disk (its tracks while they are kept, then its replay's files): the academy's quota counts it.
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # The replay's files, by version ("main", "low", "audio"): name, bytes, bits per second.
    versions: Mapped[dict[str, dict[str, object]]] = mapped_column(JSON, default=dict)
    problem: Mapped[str | None] = mapped_column(Text)
    # The replay job (lectern.platform.jobs): its status, attempts and progress, while the replay is being made.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))

    lecture: Mapped[Lecture] = relationship()
    job: Mapped[Job | None] = relationship()
    chapters: Mapped[list[RecordingChapter]] = relationship(
        order_by="RecordingChapter.at", cascade="all, delete-orphan"
    )


class RecordingChapter(Model):
    """A moment of a recording worth jumping to: a slide shown, the floor given or taken back."""

    __tablename__ = "lecture_recording_chapter"

    id: Mapped[intpk]
    recording_id: Mapped[int] = mapped_column(ForeignKey("lecture_recording.id", ondelete="CASCADE"), index=True)
    at: Mapped[float] = mapped_column(Float)  # seconds from the recording's start
    title: Mapped[str] = mapped_column(String(300))
    # The slide shown from then on (the replay shows it beside the video), for a chapter a slide began.
    slide_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    slide_page: Mapped[int | None] = mapped_column(Integer)
