"""An academy administrator enrols a new intake from a CSV file in Chromium, and a new cadet finds the course."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from lectern.courses.models import Visibility
from lectern.platform.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_roles import sign_in
from tests.conftest import Database

INTAKE = (
    "username;firstname;lastname;email;lang\n"
    "k.osmonov;Канат;Осмонов;k.osmonov@bishkek.example.org;ru\n"
    "a.mamatova;Айпери;Маматова;a.mamatova@bishkek.example.org;ru\n"
    "t.sadykov;Тимур;Садыков;t.sadykov@bishkek.example.org;ru\n"
)
COHORT = "Border guards intake 2026, Bishkek"


def test_academy_admin_enrols_an_intake_from_csv(
    page: Page, live_server: str, make: factories.Factory, tmp_path: Path, database: Database
) -> None:
    bishkek = make.academy(name="Border Service Training Centre", timezone="Asia/Bishkek")
    other = make.academy(name="State Border Guard College")
    admin = make.user(Role.ACADEMY_ADMIN, bishkek, language="en")
    make.course(
        bishkek.id,
        title="Пограничный контроль: основы",
        visibility=Visibility.ACADEMY,
        modules=[("Введение", [{"title": "Документы", "body": "Паспорт"}])],
    )
    make.course(other.id, title="Someone else's course", visibility=Visibility.ACADEMY)  # not offered to Bishkek
    intake = tmp_path / "intake-2026.csv"
    intake.write_text(INTAKE, encoding="utf-8-sig")

    # The administrator uploads the intake and reads the preview of every row...
    sign_in(page, live_server, admin.username, factories.PASSWORD)
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="Upload users from CSV").click()
    page.get_by_label("Users file (CSV)").set_input_files(str(intake))
    page.get_by_role("button", name="Preview the import").click()
    for username in ("k.osmonov", "a.mamatova", "t.sadykov"):
        expect(page.get_by_role("row", name=re.compile(username))).to_contain_text("will be created")
    page.screenshot(path=ARTIFACTS / f"admin-import-preview-{database.backend}.png", full_page=True)
    # ...creates the users, and takes the generated passwords, offered once.
    page.get_by_role("button", name="Create 3 users").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the passwords (CSV)").click()
    saved = tmp_path / "passwords.csv"
    download.value.save_as(saved)
    passwords = dict(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert set(passwords) == {"username", "k.osmonov", "a.mamatova", "t.sadykov"}
    page.screenshot(path=ARTIFACTS / f"admin-import-done-{database.backend}.png", full_page=True)

    # The cohort of the intake: created, filled by pasting the usernames, enrolled in the course.
    page.get_by_role("link", name="Cohorts", exact=True).click()
    page.get_by_role("link", name="New cohort").click()
    page.get_by_label("Cohort name").fill(COHORT)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text(COHORT)
    page.get_by_label("Usernames or e-mail addresses").fill("k.osmonov\na.mamatova, t.sadykov")
    page.get_by_role("button", name="Add these users").click()
    for name in ("Осмонов", "Маматова", "Садыков"):
        expect(page.get_by_role("row", name=re.compile(name))).to_be_visible()
    course_choice = page.get_by_label("Enrol the cohort in a course")
    expect(course_choice.locator("option", has_text="Someone else's course")).to_have_count(0)
    course_choice.select_option(label="Пограничный контроль: основы")
    page.get_by_role("button", name="Enrol cohort").click()
    expect(page.get_by_role("link", name="Пограничный контроль: основы")).to_be_visible()
    page.screenshot(path=ARTIFACTS / f"admin-cohort-{database.backend}.png", full_page=True)

    # A new cadet of the intake signs in with the generated password and finds the course.
    page.context.clear_cookies()
    sign_in(page, live_server, "a.mamatova", passwords["a.mamatova"])
    expect(page.get_by_role("link", name="Пограничный контроль: основы")).to_be_visible()
    page.get_by_role("link", name="Пограничный контроль: основы").first.click()
    expect(page.locator("h1")).to_contain_text("Пограничный контроль: основы")
    page.screenshot(path=ARTIFACTS / f"admin-new-cadet-{database.backend}.png", full_page=True)
