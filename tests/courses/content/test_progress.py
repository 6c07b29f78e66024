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


def test_a_readers_standing_counts_as_course_progress_does(make: Any, app: Any) -> None:
    """The course and lesson pages count progress from the outline the page cache keeps and the reader's standing
    (one statement): the same figures as course_progress, drafts, quizzes and other readers' work included."""
    from lectern.courses.content.outline import course_outline
    from lectern.courses.models import CourseCompletion, Lesson

    academy = make.academy()
    course = make.course(academy.id, modules=[("Module", [{"title": "A"}, {"title": "B"}, {"title": "C"}])])
    other = make.course(academy.id, modules=[("Module", [{"title": "X"}])])
    cadet, classmate = make.user(Role.CADET, academy), make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    required = {"pass_percent": 50.0, "required_for_completion": True}
    passed = make.quiz(course.id, title="Passed", **required)
    unpublished = make.quiz(course.id, title="Unpublished", published=False, **required)
    not_required = make.quiz(course.id, title="Not required", pass_percent=50.0)
    make.quiz(course.id, title="Still to pass", **required)
    first, second, third = lesson_ids(app, course.id)
    now = utcnow()
    for lesson_id in (first, third):
        make.save(LessonCompletion(user_id=cadet.id, lesson_id=lesson_id, completed_at=now))
    make.save(LessonCompletion(user_id=cadet.id, lesson_id=lesson_ids(app, other.id)[0], completed_at=now))
    make.save(LessonCompletion(user_id=classmate.id, lesson_id=second, completed_at=now))
    for quiz in (passed, unpublished, not_required):
        make.save(QuizPass(user_id=cadet.id, quiz_id=quiz.id, passed_at=now))

    def both(user_id: int) -> tuple[progress.Progress, progress.Progress, progress.Standing]:
        with app.app_context():
            outline = course_outline(db.session, course.id)
            standing = progress.standing(db.session, user_id, course.id)
            counted = standing.progress(outline.counted, outline.required_quizzes)
            return counted, progress.course_progress(db.session, user_id, [course.id])[course.id], standing

    counted, asked, standing = both(cadet.id)
    assert counted == asked == progress.Progress(done=3, total=5)  # A, C and one quiz of A, B, C and two quizzes
    assert standing.enrolled and standing.completed_at is None
    assert standing.done == {first, third} and standing.passed == {passed.id, unpublished.id, not_required.id}
    with app.app_context():  # C goes back to draft: counted for no one, done or not
        lesson = db.session.get(Lesson, third)
        assert lesson is not None
        lesson.draft = True
        db.session.add(CourseCompletion(user_id=cadet.id, course_id=course.id, completed_at=now))
        db.session.commit()
    counted, asked, standing = both(cadet.id)
    assert counted == asked == progress.Progress(done=2, total=4)
    assert standing.completed_at is not None and standing.completed_at.tzinfo is not None
    counted, asked, standing = both(classmate.id)
    assert counted == asked == progress.Progress(done=1, total=4)
    assert not standing.enrolled and standing.done == {second} and not standing.passed
