"""In Chromium: a cadet unenrolled mid-quiz is told why the answer was not saved, the answer waits in the browser,
and once the cadet is enrolled again a reload sends it and the attempt goes on."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import delete

from lectern.courses.models import Enrolment
from lectern.extensions import db
from lectern.platform.models import Role
from tests import factories
from tests.browser.test_quiz import _saved_positions
from tests.browser.test_roles import sign_in


def test_an_unenrolled_cadet_keeps_the_answer_until_enrolled_again(page: Page, live_server: str, make, app) -> None:
    academy = make.academy()
    cadet = make.user(Role.CADET, academy, language=None)
    course = make.course(academy.id, title="Document security")
    make.enrol(course.id, cadet.id)
    quiz_id = make.quiz(course.id, title="Checkpoint 1").id

    sign_in(page, live_server, cadet.username, factories.PASSWORD)
    page.goto(f"{live_server}/courses/{course.id}/quizzes/{quiz_id}")
    page.get_by_role("button", name="Start the quiz").click()
    attempt_id = int(page.url.rstrip("/").split("/")[-1])
    page.locator("#question-0").get_by_role("radio", name="4", exact=True).check()
    expect(page.locator("#question-0 .save-state")).to_have_text("Saved")

    with app.app_context():
        db.session.execute(delete(Enrolment).where(Enrolment.course_id == course.id, Enrolment.user_id == cadet.id))
        db.session.commit()
        db.session.remove()
    page.locator("#question-2").get_by_role("radio", name="True").check()
    expect(page.locator(".save-summary")).to_contain_text("no longer enrolled in this course")
    expect(page.locator("#question-2 .save-state")).to_have_text("Not yet saved")
    assert _saved_positions(app, attempt_id) == {0}

    make.enrol(course.id, cadet.id)
    page.once("dialog", lambda dialog: dialog.accept())  # "leave with unsaved answers?"
    page.reload()
    expect(page.locator("#question-2").get_by_role("radio", name="True")).to_be_checked()
    expect(page.locator(".save-summary")).to_have_text("All answers saved", timeout=15_000)
    assert _saved_positions(app, attempt_id) == {0, 2}
