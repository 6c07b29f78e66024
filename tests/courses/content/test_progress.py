"""Course progress: lessons done and required quizzes passed, the same whether one course is asked for (every
course and lesson page, one statement) or several (the cadet's home)."""

from __future__ import annotations

from typing import Any

from lectern.courses.content import progress
from lectern.courses.models import LessonCompletion
from lectern.courses.quizzes.models import QuizPass
from lectern.extensions import db
from lectern.platform.models import Role, utcnow
from tests.courses.helpers import lesson_ids


def test_one_course_counts_as_it_does_among_several(make: Any, app: Any) -> None:
    academy = make.academy()
    course = make.course(academy.id, modules=[("Module", [{"title": "A"}, {"title": "B"}, {"title": "C"}])])
    other = make.course(academy.id, modules=[("Module", [{"title": "X"}])])
    cadet, classmate = make.user(Role.CADET, academy), make.user(Role.CADET, academy)
    for user in (cadet, classmate):
        make.enrol(course.id, user.id)
        make.enrol(other.id, user.id)
    required = {"pass_percent": 50.0, "required_for_completion": True}
    passed = make.quiz(course.id, title="Passed", **required)
    make.quiz(course.id, title="Still to pass", **required)
    make.quiz(course.id, title="Not required", pass_percent=50.0)
    make.quiz(other.id, title="Other course's", **required)
    first, second, _ = lesson_ids(app, course.id)
    now = utcnow()
    make.save(LessonCompletion(user_id=cadet.id, lesson_id=first, completed_at=now))
    make.save(LessonCompletion(user_id=classmate.id, lesson_id=second, completed_at=now))  # another's: not counted
    make.save(QuizPass(user_id=cadet.id, quiz_id=passed.id, passed_at=now))
    with app.app_context():
        alone = progress.course_progress(db.session, cadet.id, [course.id])[course.id]
        among = progress.course_progress(db.session, cadet.id, [course.id, other.id])
        nothing = progress.course_progress(db.session, cadet.id, [other.id])[other.id]
    assert alone == among[course.id] == progress.Progress(done=2, total=5)
    assert nothing == among[other.id] == progress.Progress(done=0, total=2)
