"""A cadet takes a timed quiz in Chromium, loses the connection, answers, gets it back, reloads and finds every
answer, submits and sees the review; the instructor sees the grade and the statistics chart."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from lectern.courses.quizzes.models import AttemptAnswer, ReviewWhen
from lectern.extensions import db
from lectern.platform.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_roles import sign_in
from tests.conftest import Database


def _saved_positions(app, attempt_id: int) -> set[int]:
    with app.app_context():
        rows = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)).all()
        result = {a.position for a in rows if a.response is not None}
        db.session.remove()
        return result


def test_a_cadet_takes_a_timed_quiz_through_a_lost_connection(
    browser: Browser, page: Page, live_server: str, make, app, database: Database
) -> None:
    academy = make.academy(name="State Border Guard College")
    teacher = make.user(Role.INSTRUCTOR, academy, language=None)
    cadet = make.user(Role.CADET, academy, language=None, first_name="Aibek", last_name="Asanov")
    course = make.course(academy.id, title="Document security")
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    quiz_id = make.quiz(
        course.id,
        title="Checkpoint 1",
        time_limit_minutes=20,
        pass_percent=50.0,
        shuffle_answers=True,
        review_correct=ReviewWhen.AFTER_ATTEMPT,
    ).id

    sign_in(page, live_server, cadet.username, factories.PASSWORD)
    page.goto(f"{live_server}/courses/{course.id}")
    page.get_by_role("link", name="Checkpoint 1").click()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.locator("h1")).to_have_text("Attempt 1")
    attempt_id = int(page.url.rstrip("/").split("/")[-1])
    expect(page.locator(".timer-value")).to_have_text(re.compile(r"^(20:00|19:[0-5][0-9])$"))

    # Online: the first answer is saved at once.
    q0 = page.locator("#question-0")
    q0.get_by_role("radio", name="4", exact=True).check()
    expect(q0.locator(".save-state")).to_have_text("Saved")
    assert _saved_positions(app, attempt_id) == {0}

    # The connection drops: answers wait in the browser, marked as not saved.
    page.context.set_offline(True)
    page.locator("#question-1").get_by_role("checkbox", name="a", exact=True).check()
    page.locator("#question-1").get_by_role("checkbox", name="b", exact=True).check()
    page.locator("#question-2").get_by_role("radio", name="True").check()
    page.locator("#question-3").get_by_label("Answer").fill("Рига")
    page.locator("#question-4").get_by_label("Answer").fill("3,14")
    page.locator("#question-5 tr", has_text="one").locator("select").select_option(label="1")
    page.locator("#question-5 tr", has_text="two").locator("select").select_option(label="2")
    page.locator("#question-6 textarea").fill("Compare the photo, then the MRZ.")
    page.locator("#question-6 textarea").blur()
    expect(page.locator("#question-3 .save-state")).to_have_text("Not yet saved")
    expect(page.locator(".save-summary")).to_contain_text("kept in this browser")
    page.screenshot(path=str(ARTIFACTS / f"quiz-offline-{database.backend}.png"), full_page=True)
    assert _saved_positions(app, attempt_id) == {0}  # nothing reached the server

    # Back online: the queue is sent by itself.
    page.context.set_offline(False)
    expect(page.locator(".save-summary")).to_have_text("All answers saved", timeout=15_000)
    assert _saved_positions(app, attempt_id) == set(range(7))

    # A reload shows every answer, from the server.
    page.reload()
    expect(page.locator("#question-0").get_by_role("radio", name="4", exact=True)).to_be_checked()
    expect(page.locator("#question-1").get_by_role("checkbox", name="a", exact=True)).to_be_checked()
    expect(page.locator("#question-1").get_by_role("checkbox", name="b", exact=True)).to_be_checked()
    expect(page.locator("#question-2").get_by_role("radio", name="True")).to_be_checked()
    expect(page.locator("#question-3").get_by_label("Answer")).to_have_value("Рига")
    expect(page.locator("#question-4").get_by_label("Answer")).to_have_value("3,14")
    expect(page.locator("#question-6 textarea")).to_have_value("Compare the photo, then the MRZ.")
    page.screenshot(path=str(ARTIFACTS / f"quiz-attempt-{database.backend}.png"), full_page=True)

    # Submit, and the review.
    page.get_by_role("button", name="Submit all and finish").click()
    expect(page.locator("h1")).to_have_text("Review of attempt 1")
    expect(page.get_by_text("Waiting for your instructor to grade an essay")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"quiz-review-{database.backend}.png"), full_page=True)

    # The instructor grades the essay, then sees the grade in the gradebook and the statistics chart.
    teacher_page = browser.new_context(locale="en-US").new_page()
    sign_in(teacher_page, live_server, teacher.username, factories.PASSWORD)
    teacher_page.goto(f"{live_server}/courses/{course.id}/quizzes/{quiz_id}/grading")
    teacher_page.get_by_label("Mark").first.fill("1")
    teacher_page.get_by_role("button", name="Save").first.click()
    teacher_page.goto(f"{live_server}/courses/{course.id}/gradebook")
    expect(teacher_page.get_by_text("Asanov")).to_be_visible()
    expect(teacher_page.locator("table")).to_contain_text("100")
    teacher_page.screenshot(path=str(ARTIFACTS / f"quiz-gradebook-{database.backend}.png"), full_page=True)
    teacher_page.goto(f"{live_server}/courses/{course.id}/quizzes/{quiz_id}/statistics")
    expect(teacher_page.locator("svg").first).to_be_visible()
    teacher_page.screenshot(path=str(ARTIFACTS / f"quiz-statistics-{database.backend}.png"), full_page=True)
    teacher_page.context.close()
