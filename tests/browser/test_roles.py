"""Every site role signs in through Chromium, lands on its home page, switches to Russian and signs out."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from lectern.platform.models import Academy, Role, User
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.conftest import Database

RU_PO = Path(__file__).resolve().parents[2] / "lectern" / "translations" / "ru" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def ru() -> Catalog:
    with RU_PO.open("rb") as f:
        return read_po(f, locale="ru")


def russian(catalog: Catalog, msgid: str, **values: str) -> str:
    """The Russian for `msgid` from the catalogue the app is built from; fails if it is missing or untranslated."""
    message = catalog.get(msgid)
    assert message is not None, f"{msgid!r} is not in {RU_PO}"
    assert message.string and not message.fuzzy, f"{msgid!r} has no Russian translation"
    return str(message.string) % values if values else str(message.string)


def home_heading(role: Role, user: User, academy: Academy, catalog: Catalog | None) -> str:
    """The h1 of `role`'s home page, in English (no catalog) or Russian."""

    def t(msgid: str, **values: str) -> str:
        if catalog is not None:
            return russian(catalog, msgid, **values)
        return msgid % values if values else msgid

    return {
        Role.GLOBAL_ADMIN: t("Academies"),
        Role.ACADEMY_ADMIN: academy.name,
        Role.INSTRUCTOR: t("Teaching"),
        Role.CADET: t("My learning"),
        Role.CLASSROOM: t("Lecture hall: %(name)s", name=user.full_name),
    }[role]


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():  # the next page, or the login page again, has loaded: no locator sees the old one
        page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_signs_in_switches_to_russian_and_signs_out(
    role: Role, live_server: str, page: Page, make: factories.Factory, database: Database, ru: Catalog
) -> None:
    academy = make.academy()
    user = make.user(role=role, academy=academy, language=None)

    sign_in(page, live_server, user.username, factories.PASSWORD)
    heading = page.locator("main h1")
    expect(heading).to_have_text(home_heading(role, user, academy, None))
    if role is Role.CLASSROOM:
        expect(heading).to_have_text(re.compile(r"^Lecture hall"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    home_path = urlsplit(page.url).path

    # The language select submits its form on change (static/js/lectern.js) and comes back to the same page.
    # The script also hides the form's button: once it is hidden, the select's listener is in place.
    expect(page.locator(".lang-switch").get_by_role("button", name="Change", include_hidden=True)).to_be_hidden()
    page.get_by_label("Language").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(heading).to_have_text(home_heading(role, user, academy, ru))
    assert urlsplit(page.url).path == home_path
    page.screenshot(path=str(ARTIFACTS / f"{database.backend}-{role.value}-ru.png"), full_page=True)

    # Sign out is in view in the header, beside the account menu that names the user.
    expect(page.locator("details.user-menu summary")).to_contain_text(user.full_name)
    page.locator("header.top").get_by_role("button", name=russian(ru, "Sign out")).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    # Signing out ends the session's user, not its chosen language.
    expect(page.locator("main h1")).to_have_text(russian(ru, "Sign in to Lectern"))
    expect(page.locator(".flash-info")).to_have_text(russian(ru, "You have signed out."))
    expect(page.locator("details.user-menu")).to_have_count(0)


def test_wrong_password_is_refused_on_the_login_page(live_server: str, page: Page, make: factories.Factory) -> None:
    user = make.user(role=Role.CADET, language=None)

    sign_in(page, live_server, user.username, "not the password")

    expect(page.locator(".flash-error")).to_have_text("Wrong username or password.")
    expect(page.locator("main h1")).to_have_text("Sign in to Lectern")
    assert urlsplit(page.url).path == "/login"
    expect(page.get_by_label("Username", exact=True)).to_have_value(user.username)
    expect(page.locator("details.user-menu")).to_have_count(0)
