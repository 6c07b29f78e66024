"""What the lectures area adds to other areas' pages: upcoming lectures on home and course pages, a header link."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from flask import Flask

from lectern.courses.content.visibility import LESSON_GUARDS
from lectern.courses.templating import COURSE_PANELS, LESSON_PANELS
from lectern.extensions import db
from lectern.i18n import lazy_gettext as _l
from lectern.platform import cache, jobs
from lectern.platform.admin.views import ACADEMY_PANELS
from lectern.platform.cache import WATCHED
from lectern.platform.home import HOME_PANELS, HomePanel
from lectern.platform.models import Role, utcnow
from lectern.platform.templating import NAV_LINKS, NavItem, NavLink
from lectern.registry import registry
from lectern.webrtc import services
from lectern.webrtc.models import Lecture, LectureStatus, RecordingStatus
from lectern.webrtc.recordings import services as recordings
from lectern.webrtc.recordings.replay_job import make_replay
from lectern.webrtc.views import home_lectures


def init_app(app: Flask) -> None:
    """What the lectures area adds to the platform's and the courses' pages, and its template helpers."""
    added = registry(app)
    attendees = (Role.CADET, Role.INSTRUCTOR, Role.CLASSROOM)
    for role in attendees:
        added.add(HOME_PANELS, HomePanel(role, "webrtc/_now.html"), first=True)
        added.add(HOME_PANELS, HomePanel(role, "webrtc/_upcoming.html"))
    added.add(COURSE_PANELS, "webrtc/_course_lectures.html")
    added.add(LESSON_PANELS, "webrtc/_lesson_replay.html")
    added.add(ACADEMY_PANELS, "webrtc/_academy_recordings.html")
    added.add(LESSON_GUARDS, recordings.lesson_guard)
    added.add(jobs.JOB_TASKS, make_replay)
    added.add(NAV_LINKS, NavLink(frozenset(attendees), NavItem("lectures.calendar_page", _l("Lectures"))))

    # A course page lists its course's lectures, the same for every reader: kept in the page cache, which a change
    # to any lecture makes stale (a lecture starting, ending, rescheduled or cancelled).
    added.add(WATCHED, cast(type[Any], Lecture))

    def course_lectures(course: Any) -> Sequence[Any]:
        """The course's lectures for its page's panel (`course`: the page's row of it)."""
        return cache.shared(
            ("course-lectures", course.id), lambda: tuple(services.course_lectures(db.session, course.id))
        )

    def recordings_storage(academy: Any) -> dict[str, Any]:
        """What the academy's recordings take of its quota, for its administrators' page."""
        used = recordings.academy_usage(db.session, academy.id)
        quota = int(app.config.get("LECTERN_RECORDING_QUOTA_MB", 0)) * 1024 * 1024
        share = min(used / quota, 1.0) if quota else None
        return {"used": used, "quota": quota, "share": share, "count": recordings.academy_count(db.session, academy.id)}

    def lesson_recording(lesson: Any) -> Any:
        """The recording a lesson shows, for the lesson page's replay panel."""
        return recordings.of_lesson(db.session, lesson.id) if lesson.kind.value == "video" else None

    app.jinja_env.globals.update(
        home_lectures=home_lectures,
        lecture_joinable=lambda lecture: services.joinable(lecture, utcnow()),
        course_lectures=course_lectures,
        lesson_recording=lesson_recording,
        recording_published=lambda recording: recordings.published(db.session, recording),
        recordings_storage=recordings_storage,
        RecordingStatus=RecordingStatus,
        LectureStatus=LectureStatus,
        lecture_ends_at=services.ends_at,
        now_utc=utcnow,
    )
