"""Courses, their modules and lessons, stored files, enrolments and completion."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lectern.extensions import Model
from lectern.platform.jobs.models import JobStatus as JobStatus  # an import's status: the jobs' own
from lectern.platform.models import Academy, Cohort, User, UTCDateTime, created_at, intpk, string_enum, timestamp


class Visibility(enum.StrEnum):
    DRAFT = "draft"  # its instructors and its academy's administrators only
    ACADEMY = "academy"  # everyone in its own academy
    SHARED = "shared"  # its own academy and the academies it is shared with
    ALL = "all"  # every academy


class LessonKind(enum.StrEnum):
    TEXT = "text"
    FILE = "file"
    VIDEO = "video"
    LINK = "link"


class CourseRole(enum.StrEnum):
    INSTRUCTOR = "instructor"  # edits the course
    ASSISTANT = "assistant"  # sees it all and grades, does not edit


class EnrolmentMethod(enum.StrEnum):
    MANUAL = "manual"
    SELF = "self"
    COHORT = "cohort"


class Category(Model):
    """A node of the catalogue's category tree, shared by all academies."""

    __tablename__ = "course_category"

    id: Mapped[intpk]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("course_category.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side="Category.id", back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")


class Course(Model):
    __tablename__ = "course"

    id: Mapped[intpk]
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("course_category.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Normalised: lower-case, comma-separated, with a comma at each end so that ",tag," matches whole tags.
    tags: Mapped[str] = mapped_column(String(500), default="")
    visibility: Mapped[Visibility] = mapped_column(string_enum(Visibility), default=Visibility.DRAFT, index=True)
    self_enrol: Mapped[bool] = mapped_column(Boolean, default=False)
    enrol_key: Mapped[str | None] = mapped_column(String(64))
    enrol_cap: Mapped[int | None] = mapped_column(Integer)
    enrol_opens_at: Mapped[timestamp | None]
    enrol_closes_at: Mapped[timestamp | None]
    # Every live lecture of the course is recorded from the moment it goes live (lectern.webrtc.room.recording).
    record_lectures: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]
    updated_at: Mapped[timestamp | None]

    academy: Mapped[Academy] = relationship()
    category: Mapped[Category | None] = relationship()
    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    shares: Mapped[list[CourseShare]] = relationship(cascade="all, delete-orphan")
    staff: Mapped[list[CourseStaff]] = relationship(back_populates="course", cascade="all, delete-orphan")

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class CourseShare(Model):
    """A SHARED course is offered to the cadets of these academies too."""

    __tablename__ = "course_share"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id"), primary_key=True)

    academy: Mapped[Academy] = relationship()


class CourseStaff(Model):
    """A user's role in one course (beside their site role)."""

    __tablename__ = "course_staff"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)
    role: Mapped[CourseRole] = mapped_column(string_enum(CourseRole), default=CourseRole.INSTRUCTOR)

    course: Mapped[Course] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


class Module(Model):
    __tablename__ = "course_module"

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )


class StoredFile(Model):
    """An uploaded file: its bytes live under LECTERN_STORAGE, named by their SHA-256."""

    __tablename__ = "stored_file"

    id: Mapped[intpk]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]
    # A video's length, read from the file the first time a viewing needs it (None: not read yet, or unreadable).
    duration_seconds: Mapped[float | None] = mapped_column(Float)


class Lesson(Model):
    __tablename__ = "course_lesson"

    id: Mapped[intpk]
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[LessonKind] = mapped_column(string_enum(LessonKind))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown: the lesson (text) or its introduction
    url: Mapped[str | None] = mapped_column(String(2000))  # LINK lessons
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"), index=True)
    # A draft exists only for those who teach the course (content/visibility.py): not listed, opened or counted for
    # its cadets until an editor publishes it.
    draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), nullable=False)

    module: Mapped[Module] = relationship(back_populates="lessons")
    file: Mapped[StoredFile | None] = relationship()


class Enrolment(Model):
    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    method: Mapped[EnrolmentMethod] = mapped_column(string_enum(EnrolmentMethod), default=EnrolmentMethod.MANUAL)
    created_at: Mapped[created_at]

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship()


class CourseCohort(Model):
    """A cohort enrolled in a course: its members are enrolled (method COHORT) and stay in step with it."""

    __tablename__ = "course_cohort"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[created_at]

    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort] = relationship()


class LessonCompletion(Model):
    """A lesson a user has done. Kept when the user is unenrolled: their history stays."""

    __tablename__ = "lesson_completion"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("course_lesson.id", ondelete="CASCADE"), primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LessonViewing(Model):
    """How much of a video lesson a user has played (lectern.courses.content.viewing): the parts of the video played,
    merged, in seconds; the seconds credited, which grow no faster than the wall clock allows; and the time up to
    which credit has been given."""

    __tablename__ = "lesson_viewing"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("course_lesson.id", ondelete="CASCADE"), primary_key=True)
    played: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    credited_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CourseCompletion(Model):
    """When a user met the course's completion rule."""

    __tablename__ = "course_completion"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ImportJob(Model):
    """A course package being imported by a background job (`job_id`, lectern.platform.jobs); the browser polls its
    progress here. Its status is the import's own: a job retried after an error is queued here again meanwhile."""

    __tablename__ = "course_import_job"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id"))
    target_course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[JobStatus] = mapped_column(string_enum(JobStatus), default=JobStatus.QUEUED)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))  # the job that runs it
    progress: Mapped[int] = mapped_column(default=0)  # percent
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
