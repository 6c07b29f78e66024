"""The reports: who completed what, with which grades, and who attended which live lecture; by course and by
cohort. Takes a session and plain values, never the request; reads the other areas through their services.

The figures are the other pages' own: progress as the course's participants page counts it
(`courses.progress.participants_progress`: lessons done and required quizzes passed), grades from the gradebook
(`courses.quiz_reports.gradebook`), present minutes from the lecture's attendance page
(`webrtc.services.attendance`). A report runs a fixed number of queries whatever the number of cadets: about ten
for a course, plus one per lecture that has been live (a cohort's report: that for each of its courses, each
lecture read once).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select

from lectern.courses.content.progress import Progress, participants_progress
from lectern.courses.models import Course, CourseCohort, CourseCompletion, Enrolment
from lectern.courses.quizzes.gradebook import services as quiz_reports
from lectern.courses.quizzes.models import Quiz
from lectern.extensions import DbSession
from lectern.platform.cohorts import services as platform_cohorts
from lectern.platform.models import Cohort, CohortMember, User
from lectern.webrtc import services as lecture_services
from lectern.webrtc.models import Lecture, LectureInvite, LectureStatus

COMPLETED, IN_PROGRESS, NOT_STARTED = "completed", "in_progress", "not_started"


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None, rounded to 2 decimals; None when there are none."""
    found = [v for v in values if v is not None]
    return round(math.fsum(found) / len(found), 2) if found else None


def rate(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, rounded to 1 decimal; None for an empty whole."""
    return round(100 * part / whole, 1) if whole else None


# --- a course -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CadetRow:
    """One enrolled cadet in a course."""

    user: User
    cohorts: list[Cohort]
    progress: Progress
    completed_at: datetime | None
    grades: list[quiz_reports.GradeCell]  # in the order of `CourseReport.quizzes`
    minutes: list[int]  # present minutes, in the order of `CourseReport.lectures`; 0: absent

    @property
    def status(self) -> str:
        """COMPLETED (the course recorded it), IN_PROGRESS (something done) or NOT_STARTED."""
        if self.completed_at is not None:
            return COMPLETED
        return IN_PROGRESS if self.progress.done else NOT_STARTED

    @property
    def quiz_average(self) -> float | None:
        """The mean of the cadet's grades in the quizzes that have one; a quiz not attempted is left out."""
        return mean(cell.percent for cell in self.grades)

    @property
    def graded(self) -> int:
        return sum(1 for cell in self.grades if cell.percent is not None)

    @property
    def attendance_minutes(self) -> int:
        return sum(self.minutes)

    @property
    def lectures_attended(self) -> int:
        return sum(1 for m in self.minutes if m > 0)


@dataclass(frozen=True)
class QuizSummary:
    quiz: Quiz
    average: float | None  # over the cadets with a grade
    graded: int
    passed: int
    failed: int


@dataclass(frozen=True)
class LectureSummary:
    lecture: Lecture
    guest: bool  # a lecture of another course that invited this one's cadets
    attended: int  # cadets of the report present at least a minute
    average_minutes: float | None  # over those present
    total_minutes: int


@dataclass(frozen=True)
class CourseReport:
    course: Course
    rows: list[CadetRow]
    quizzes: list[QuizSummary]
    lectures: list[LectureSummary]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def enrolled(self) -> int:
        return len(self.rows)

    @property
    def completed(self) -> int:
        return self.count(COMPLETED)

    @property
    def completion_rate(self) -> float | None:
        return rate(self.completed, self.enrolled)

    @property
    def average_grade(self) -> float | None:
        """The mean of the cadets' quiz averages (cadets without any grade left out)."""
        return mean(row.quiz_average for row in self.rows)

    @property
    def attendance_minutes(self) -> int:
        return sum(row.attendance_minutes for row in self.rows)


def report_lectures(session: DbSession, course: Course) -> list[tuple[Lecture, bool]]:
    """The lectures that count for the course, oldest first: its own and those it was invited to, that are live
    or have ended; each with whether it is another course's (a guest lecture)."""
    invited = exists().where(LectureInvite.lecture_id == Lecture.id, LectureInvite.course_id == course.id)
    lectures = session.scalars(
        select(Lecture)
        .where(
            or_(Lecture.course_id == course.id, invited),
            Lecture.status.in_([LectureStatus.LIVE, LectureStatus.ENDED]),
        )
        .order_by(Lecture.starts_at, Lecture.id)
    )
    return [(lecture, lecture.course_id != course.id) for lecture in lectures]


def course_report(
    session: DbSession,
    course: Course,
    now: datetime,
    user_ids: Collection[int] | None = None,
    *,
    with_cohorts: bool = True,
    presence: dict[int, dict[int, int]] | None = None,
) -> CourseReport:
    """The course's enrolled cadets (those of `user_ids` only, when given: a cohort's members) with their progress,
    completion, grades and present minutes, and the course's figures over them. `now` ends the stays of a lecture
    still live. `with_cohorts` False leaves each row's cohorts empty (and saves their query). `presence`, shared by
    the reports of several courses, keeps each lecture's present minutes by user, so that a lecture given to
    several of them is read once."""
    book = quiz_reports.gradebook(session, course, user_ids)
    ids = [row.user.id for row in book.rows]
    progress = participants_progress(session, course.id, ids) if ids else {}
    completions: dict[int, datetime] = {}
    if ids:
        found = session.execute(
            select(CourseCompletion.user_id, CourseCompletion.completed_at).where(
                CourseCompletion.course_id == course.id, CourseCompletion.user_id.in_(ids)
            )
        )
        completions = {user_id: at for user_id, at in found}
    memberships = platform_cohorts.cohorts_of(session, ids) if with_cohorts and ids else {}
    lectures = report_lectures(session, course)
    if presence is None:
        presence = {}
    present: list[dict[int, int]] = []
    for lecture, _guest in lectures:
        if not ids:
            present.append({})
            continue
        if lecture.id not in presence:
            presence[lecture.id] = {p.user.id: p.minutes for p in lecture_services.attendance(session, lecture, now)}
        present.append(presence[lecture.id])
    rows = [
        CadetRow(
            user=row.user,
            cohorts=memberships.get(row.user.id, []),
            progress=progress[row.user.id],
            completed_at=completions.get(row.user.id),
            grades=row.cells,
            minutes=[by_user.get(row.user.id, 0) for by_user in present],
        )
        for row in book.rows
    ]
    return CourseReport(
        course=course,
        rows=rows,
        quizzes=[_quiz_summary(quiz, [row.grades[n] for row in rows]) for n, quiz in enumerate(book.quizzes)],
        lectures=[
            _lecture_summary(lecture, guest, [row.minutes[n] for row in rows])
            for n, (lecture, guest) in enumerate(lectures)
        ],
    )


def _quiz_summary(quiz: Quiz, cells: Sequence[quiz_reports.GradeCell]) -> QuizSummary:
    return QuizSummary(
        quiz=quiz,
        average=mean(c.percent for c in cells),
        graded=sum(1 for c in cells if c.percent is not None),
        passed=sum(1 for c in cells if c.passed is True),
        failed=sum(1 for c in cells if c.passed is False),
    )


def _lecture_summary(lecture: Lecture, guest: bool, minutes: Sequence[int]) -> LectureSummary:
    present = [m for m in minutes if m > 0]
    return LectureSummary(
        lecture=lecture,
        guest=guest,
        attended=len(present),
        average_minutes=mean(float(m) for m in present),
        total_minutes=sum(present),
    )


# --- a cohort -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRow:
    user: User
    cells: list[CadetRow | None]  # in the order of `CohortReport.courses`; None: not enrolled


@dataclass(frozen=True)
class CohortCourse:
    """One of the cohort's courses: its report over the members enrolled in it."""

    report: CourseReport
    linked: bool  # the cohort is enrolled in it (False: only some members are, each on their own)


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    courses: list[CohortCourse]
    rows: list[CohortRow]


def cohort_courses(session: DbSession, cohort: Cohort, *, members_courses: bool = True) -> list[tuple[Course, bool]]:
    """The courses a cohort's report covers, by title, each with whether the cohort is enrolled in it: the courses
    the cohort is enrolled in and (`members_courses`) every other course a member is enrolled in. A cohort goes
    only into its own academy's courses, but its cadets also take other academies' shared courses one by one: an
    administrator asking who completed what needs those too. One query."""
    linked = select(CourseCohort.course_id).where(CourseCohort.cohort_id == cohort.id)
    condition: ColumnElement[bool] = Course.id.in_(linked)
    if members_courses:
        taken = (
            select(Enrolment.course_id)
            .join(CohortMember, CohortMember.user_id == Enrolment.user_id)
            .where(CohortMember.cohort_id == cohort.id)
        )
        condition = or_(condition, Course.id.in_(taken))
    rows = session.execute(select(Course, Course.id.in_(linked)).where(condition).order_by(Course.title, Course.id))
    return [(course, bool(is_linked)) for course, is_linked in rows]


def cohort_report(
    session: DbSession,
    cohort: Cohort,
    now: datetime,
    courses: Sequence[tuple[Course, bool]] | None = None,
) -> CohortReport:
    """Every member of the cohort by each of `courses` (default: every course of `cohort_courses`): progress,
    completion, quiz average and present minutes; and each course's figures over the members enrolled in it."""
    people = platform_cohorts.members(session, cohort)
    ids = [u.id for u in people]
    if courses is None:
        courses = cohort_courses(session, cohort)
    presence: dict[int, dict[int, int]] = {}
    reports = [
        course_report(session, course, now, ids, with_cohorts=False, presence=presence) for course, _linked in courses
    ]
    by_user = [{row.user.id: row for row in report.rows} for report in reports]
    rows = [CohortRow(user, [of_course.get(user.id) for of_course in by_user]) for user in people]
    summaries = [CohortCourse(report, linked) for report, (_course, linked) in zip(reports, courses, strict=True)]
    return CohortReport(cohort=cohort, courses=summaries, rows=rows)
