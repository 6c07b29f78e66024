"""Demo courses for a first look at Lectern: a category tree, seven training topics in English and Russian (with a
video and a PDF), quizzes in six of the courses, and a few cadets enrolled with some progress and finished quiz
attempts.

Runs right after lectern.platform.demo.load() in the same session, so the academies and users exist. Each course is
a course package (demo/packages/<slug>/, read by demo/package_files.py) imported through the packages service, as
an upload is; what a package cannot say (catalogue category, owning academy, enrolment, the cadets and their
attempts) comes from demo/catalogue.py, applied through the courses services. The quiz attempts go through
quizzes/attempts/services.py, as a cadet's would, and that service commits each step: the loading is still guarded
by the database being empty (`flask lectern demo-data`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select

from lectern.courses.content import progress
from lectern.courses.content import services as content_services
from lectern.courses.content.storage import Storage
from lectern.courses.demo import package_files
from lectern.courses.demo.catalogue import (
    ATTEMPTS,
    CATEGORIES,
    COHORT_ENROLMENTS,
    COURSES,
    ENROLMENTS,
    ESSAYS,
    INSTRUCTORS,
    PROGRESS,
    WRONG_SHORT,
    Placement,
)
from lectern.courses.enrolment import cohort_sync
from lectern.courses.enrolment import services as enrolment_services
from lectern.courses.models import (
    Category,
    Course,
    CourseRole,
    CourseStaff,
    EnrolmentMethod,
    Lesson,
    Module,
    Visibility,
)
from lectern.courses.packages import service as package_service
from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.models import Attempt, Quiz
from lectern.courses.quizzes.questions import Question, QuestionType
from lectern.extensions import DbSession
from lectern.platform.models import Academy, Cohort, Role, User, utcnow


def load(session: DbSession, storage: Storage) -> list[Course]:
    """Create the demo categories, then import the demo courses with their files, bank and quiz, then enrol cadets
    and let them attempt the quizzes; return the courses in creation order."""
    academies = {a.slug: a for a in session.scalars(select(Academy))}
    users = {u.username: u for u in session.scalars(select(User))}
    categories = _categories(session)
    courses = {
        slug: _course(session, storage, slug, placement, academies, users, categories)
        for slug, placement in COURSES.items()
    }
    _enrol(session, courses, users)
    _attempts(session, courses, users)
    return list(courses.values())


# --- categories and courses --------------------------------------------------------------------------------------


def _categories(session: DbSession) -> dict[str, Category]:
    """The category tree, by name; categories that already exist (same name, same parent) are reused."""
    found: dict[str, Category] = {}
    for position, (name, children) in enumerate(CATEGORIES, 1):
        parent = _category(session, name, None, position)
        found[name] = parent
        for child_position, child in enumerate(children, 1):
            found[child] = _category(session, child, parent, child_position)
    return found


def _category(session: DbSession, name: str, parent: Category | None, position: int) -> Category:
    parent_id = parent.id if parent else None
    existing = session.scalar(
        select(Category).where(
            Category.name == name,
            Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
        )
    )
    if existing is not None:
        return existing
    category = Category(name=name, parent_id=parent_id, position=position)
    session.add(category)
    session.flush()
    return category


def _course(
    session: DbSession,
    storage: Storage,
    slug: str,
    placement: Placement,
    academies: dict[str, Academy],
    users: dict[str, User],
    categories: dict[str, Category],
) -> Course:
    """Import the course's package, then place it in the catalogue and open its enrolment."""
    academy = academies[placement.academy]
    with package_files.read(slug) as package:
        instructor = users[INSTRUCTORS[package.course.language]]
        actor = instructor
        if instructor.academy_id != academy.id:
            # Another academy's course: imported by the global administrator, taught by the partner academy's
            # instructor.
            actor = next(u for u in users.values() if u.role is Role.GLOBAL_ADMIN)
        course = package_service.import_package(session, actor, package, storage, academy_id=academy.id)
        visibility = Visibility(package.course.visibility or Visibility.DRAFT)
    fields = content_services.CourseFields(
        title=course.title,
        summary=course.summary,
        language=course.language,
        tags=course.tags,
        category_id=categories[placement.category].id,
        visibility=visibility,
        shared_with=[academies[a].id for a in placement.shared_with],
        self_enrol=placement.self_enrol,
        enrol_key=placement.enrol_key,
        enrol_cap=placement.enrol_cap,
        enrol_opens_at=None,
        enrol_closes_at=None,
    )
    content_services.update_course(session, actor, course, fields)
    if actor is not instructor:
        course.staff.append(CourseStaff(user_id=instructor.id, role=CourseRole.INSTRUCTOR))
        session.flush()
    return course


def _enrol(session: DbSession, courses: dict[str, Course], users: dict[str, User]) -> None:
    for key, usernames in ENROLMENTS.items():
        enrolment_services.enrol(session, courses[key], [users[u] for u in usernames], EnrolmentMethod.MANUAL)
    for key, names in COHORT_ENROLMENTS.items():
        for name in names:
            cohort = session.scalars(select(Cohort).where(Cohort.name == name)).one()
            cohort_sync.enrol_cohort(session, None, courses[key], cohort)
    now = utcnow()
    for username, key, done in PROGRESS:
        lessons = session.scalars(
            select(Lesson)
            .join(Module, Module.id == Lesson.module_id)
            .where(Module.course_id == courses[key].id)
            .order_by(Module.position, Lesson.position)
            .limit(done)
        )
        for lesson in lessons:
            progress.mark_done(session, users[username].id, lesson, now)


# --- quiz attempts -----------------------------------------------------------------------------------------------


def _answer(question: Question, right: bool, language: str) -> object:
    """A response as a browser sends it: right, or wrong (partly right, for a multiple-answer question)."""
    kind = question.type
    if kind is QuestionType.SINGLE:
        fractions = [c.fraction for c in question.choices]
        return fractions.index(max(fractions)) if right else fractions.index(min(fractions))
    if kind is QuestionType.MULTIPLE:
        good = [n for n, c in enumerate(question.choices) if c.fraction > 0]
        bad = [n for n, c in enumerate(question.choices) if c.fraction <= 0]
        return good if right else [good[0], bad[0]]
    if kind is QuestionType.TRUE_FALSE:
        return question.correct if right else not question.correct
    if kind is QuestionType.SHORT:
        return question.answers[0].text if right else WRONG_SHORT[language]
    if kind is QuestionType.NUMERICAL:
        value = question.numeric[0].value
        return str(int(value) if value.is_integer() else value) if right else str(int(value) + 3)
    if kind is QuestionType.MATCHING:
        options = quiz_grading.matching_options(question)
        stems = quiz_grading.matching_stems(question)
        chosen = {n: options.index(pair.right) for n, pair in enumerate(stems)}
        if not right:  # the first two left items swapped
            chosen[0], chosen[1] = chosen[1], chosen[0]
        return {str(k): v for k, v in chosen.items()}
    return ESSAYS[language]


def _attempts(session: DbSession, courses: dict[str, Course], users: dict[str, User]) -> None:
    """Finished attempts of a few cadets, a few days ago, answered question by question as in the browser; the
    instructor has marked the essays of some of them. The course of each attempt has one quiz, from its package."""
    now = utcnow()
    for day, (username, key, skills) in enumerate(ATTEMPTS):
        quiz = session.scalars(select(Quiz).where(Quiz.course_id == courses[key].id)).one()
        cadet = users[username]
        language = quiz.course.language
        for number, skill in enumerate(skills):
            began = now - timedelta(days=len(ATTEMPTS) - day, hours=2 * (len(skills) - number))
            attempt = quiz_attempts.start(session, quiz, cadet, began)
            for answer in attempt.answers:
                seed = hashlib.sha256(f"{username}:{number}:{answer.position}".encode()).digest()
                right = seed[0] / 256 < skill
                response = _answer(answer.question, right, language)
                at = began + timedelta(minutes=1 + answer.position)
                quiz_attempts.save_answer(session, attempt.id, cadet, answer.position, response, 1, at)
            quiz_attempts.finish(session, attempt, began + timedelta(minutes=13))
            if number == 0 and skill >= 0.7:
                _mark_essays(session, attempt.id, users[INSTRUCTORS[language]], began + timedelta(days=1))


def _mark_essays(session: DbSession, attempt_id: int, instructor: User, at: datetime) -> None:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        return
    for answer in attempt.answers:
        if answer.state == "needs_grading":
            quiz_attempts.grade_by_hand(session, answer, 0.75 * answer.max_mark, "", instructor, at)
