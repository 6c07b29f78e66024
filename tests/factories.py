"""Model factories for tests: one way to make each thing.

Each call commits in its own application context and returns a detached object with its columns loaded, so the
test never shares a session (and its identity map) with the requests it makes. Users share one precomputed
password hash (see _HASH). Bank questions are written in GIFT; attempts go through the services a
cadet's browser calls (start, save each answer, finish).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Flask
from werkzeug.security import generate_password_hash

from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.models import Attempt, BankQuestion, QuestionCategory, Quiz, QuizSlot
from lectern.courses.quizzes.questions import to_data
from lectern.extensions import db
from lectern.platform.models import Academy, Cohort, CohortMember, Role, User, utcnow
from lectern.webrtc.models import Lecture, LectureHall, LectureInvite

PASSWORD = "correct horse battery"
# Signing in checks a password at the cost written in its stored hash. The test users' hash is scrypt at a 32nd of
# the default cost (N = 2**10, not 2**15), so each of the suite's sign-ins takes a millisecond rather than a fifth
# of a second. The application's own hashing (hash_password: every password it stores) keeps Werkzeug's default,
# and the tests that set or change passwords go through it.
_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
_seq = itertools.count(1)

# One question of each graded type, then an essay; marks 1 each. Right answers by position (RIGHT): 4, [a, b],
# true, Riga, 3.14 +- 0.01, (one->1, two->2), any essay.
SAMPLE_GIFT = """::Sum:: 2 + 2 = ? {=4 ~3 ~5}

::Pick:: Which are letters? {~%50%a ~%50%b ~%-100%1}

::Sky:: The sky is blue. {T}

::Capital:: Capital of Latvia? {=Riga =Рига}

::Pi:: Pi to two decimals? {#3.14:0.01}

::Match:: Match the numbers. {=one -> 1 =two -> 2}

::Essay:: Describe a passport check. {}
"""
RIGHT: dict[int, Any] = {0: 0, 1: [0, 1], 2: True, 3: "riga", 4: "3,145", 5: {"0": 0, "1": 1}, 6: "Check the photo."}


def true_or_false(count: int) -> str:
    """GIFT text of `count` true/false questions T1, T2 ..., each of them true."""
    return "\n\n".join(f"::T{n}:: Statement {n}. {{T}}" for n in range(1, count + 1))


T = TypeVar("T")


class Factory:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def save(self, obj: T) -> T:
        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
        return obj

    def academy(self, **kw: Any) -> Academy:
        n = next(_seq)
        values: dict[str, Any] = {
            "slug": f"academy-{n}",
            "name": f"Academy {n}",
            "city": "Rezekne",
            "country": "LV",
            "timezone": "Europe/Riga",
            "default_language": "en",
        }
        values.update(kw)
        return self.save(Academy(**values))

    def user(self, role: Role = Role.CADET, academy: Academy | None = None, **kw: Any) -> User:
        n = next(_seq)
        values: dict[str, Any] = {
            "username": f"user{n}",
            "first_name": "Test",
            "last_name": f"User {n}",
            "email": f"user{n}@example.org",
            "role": role,
            "password_hash": _HASH,
            "academy_id": (academy or self.academy()).id,
        }
        values.update(kw)
        return self.save(User(**values))

    def cohort(self, academy: Academy, name: str | None = None, members: Sequence[User] = (), **kw: Any) -> Cohort:
        """A cohort with these members, added as rows (no enrolment sync: enrol cohorts through the services)."""
        with self.app.app_context():
            item = Cohort(academy_id=academy.id, name=name or f"Cohort {next(_seq)}", description="", **kw)
            db.session.add(item)
            db.session.flush()
            for member in members:
                db.session.add(CohortMember(cohort_id=item.id, user_id=member.id))
            db.session.commit()
            db.session.refresh(item)
            db.session.expunge(item)
        return item

    def course(self, academy_id: int, **kw: Any) -> Any:
        return _course(self, academy_id, **kw)

    def enrol(self, course_id: int, user_id: int) -> None:
        from lectern.courses.models import Enrolment

        self.save(Enrolment(course_id=course_id, user_id=user_id))

    def staff(self, course_id: int, user_id: int, role: str = "instructor") -> None:
        from lectern.courses.models import CourseRole, CourseStaff

        self.save(CourseStaff(course_id=course_id, user_id=user_id, role=CourseRole(role)))

    def bank(self, course_id: int, gift: str = SAMPLE_GIFT, category: str = "Top/Default") -> list[int]:
        """Add the GIFT questions to the course's bank in `category` (made if missing); their ids in file order."""
        result = parse_gift(gift)
        assert not result.problems, result.problems
        with self.app.app_context():
            cat = db.session.query(QuestionCategory).filter_by(course_id=course_id, name=category).one_or_none()
            if cat is None:
                cat = QuestionCategory(course_id=course_id, name=category)
                db.session.add(cat)
                db.session.flush()
            rows = [
                BankQuestion(course_id=course_id, category_id=cat.id, name=q.name, type=q.type, data=to_data(q))
                for q in result.questions
            ]
            db.session.add_all(rows)
            db.session.commit()
            return [r.id for r in rows]

    def quiz(self, course_id: int, questions: Sequence[int] | str = SAMPLE_GIFT, **settings: Any) -> Quiz:
        """A published quiz with one slot (mark 1) per question, answers in file order; `questions` are bank
        question ids, or GIFT text added to the bank first. `settings` are Quiz columns."""
        ids = self.bank(course_id, questions) if isinstance(questions, str) else list(questions)
        values: dict[str, Any] = {"course_id": course_id, "title": "Quiz", "published": True, "shuffle_answers": False}
        values.update(settings)
        quiz = Quiz(**values)
        quiz.slots = [QuizSlot(position=i, question_id=qid, mark=1.0) for i, qid in enumerate(ids)]
        return self.save(quiz)

    def attempt(
        self,
        quiz_id: int,
        user_id: int,
        answers: Mapping[int, Any] | Sequence[Any] = (),
        *,
        finish: bool = True,
        at: datetime | None = None,
    ) -> Attempt:
        """The cadet's attempt, through the services a cadet's browser calls: started (or the one in progress),
        `answers` saved (position -> response; a sequence answers positions 0, 1 ...), then finished unless
        `finish` is False. Raises QuizRefused as the start page would."""
        now = at or utcnow()
        saved = answers.items() if isinstance(answers, Mapping) else enumerate(answers)
        with self.app.app_context():
            quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, user_id)
            assert quiz is not None and user is not None
            attempt = quiz_attempts.start(db.session, quiz, user, now)
            for position, value in saved:
                quiz_attempts.save_answer(db.session, attempt.id, user, position, value, 1, now)
            if finish:
                quiz_attempts.finish(db.session, attempt, now)
            db.session.refresh(attempt)
            db.session.expunge(attempt)
        return attempt

    def lecture(
        self, course_id: int, *, invited_courses: Sequence[int] = (), halls: Sequence[int] = (), **kw: Any
    ) -> Lecture:
        """A lecture of the course (by default scheduled for tomorrow, 90 minutes), with the cadets of
        `invited_courses` and the lecture-hall accounts `halls` (user ids) invited. `kw` are Lecture columns."""
        values: dict[str, Any] = {
            "course_id": course_id,
            "title": f"Lecture {next(_seq)}",
            "starts_at": utcnow().replace(microsecond=0) + timedelta(days=1),
            "duration_minutes": 90,
        }
        values.update(kw)
        lecture = Lecture(**values)
        lecture.invited_courses = [LectureInvite(course_id=c) for c in invited_courses]
        lecture.invited_halls = [LectureHall(user_id=u) for u in halls]
        return self.save(lecture)


def _course(factory: Factory, academy_id: int, **kw: Any) -> Any:
    """A course with the given columns (and `modules`: a list of (title, [lesson kwargs])) committed at once."""
    from lectern.courses.models import Course, Lesson, LessonKind, Module, Visibility

    modules = kw.pop("modules", [])
    values: dict[str, Any] = {
        "title": f"Course {next(_seq)}",
        "summary": "",
        "language": "en",
        "tags": "",
        "visibility": Visibility.ALL,
        "academy_id": academy_id,
    }
    values.update(kw)
    item = Course(**values)
    for m, (title, lessons) in enumerate(modules, start=1):
        module = Module(title=title, position=m)
        for n, lesson in enumerate(lessons, start=1):
            module.lessons.append(Lesson(position=n, **{"kind": LessonKind.TEXT, "title": f"L{n}", **lesson}))
        item.modules.append(module)
    return factory.save(item)
