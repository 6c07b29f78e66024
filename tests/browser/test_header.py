"""The site header at 1366 px fits one line for every role, in English and in Russian, and "Sign out" is in view,
not hidden in a menu; the account menu says whose it is."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from playwright.sync_api import Browser, expect

from lectern.platform.models import Role
from tests import factories
from tests.browser.test_roles import ru, russian, sign_in  # noqa: F401  (ru: the catalogue fixture)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_the_header_is_one_line_with_sign_out_in_view(
    role: Role,
    live_server: str,
    browser: Browser,
    make: factories.Factory,
    ru: Catalog,  # noqa: F811
) -> None:
    academy = make.academy(name="Border Service Training Centre")
    user = make.user(role=role, academy=academy, first_name="Aleksandrs", last_name="Kuzņecovs-Bērziņš", language="en")
    for language, width, height in (("en", 1366, 768), ("ru", 1366, 768), ("ru", 390, 844)):
        context = browser.new_context(locale="en-US", viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in(page, live_server, user.username, factories.PASSWORD)
        if language == "ru" and page.locator("html").get_attribute("lang") != "ru":  # then it stays the user's
            page.get_by_label("Language").select_option("ru")
            expect(page.locator("html")).to_have_attribute("lang", "ru")
        sign_out = "Sign out" if language == "en" else russian(ru, "Sign out")
        header = page.locator("header.top")

        # Sign out is a button in view, not inside a closed menu, and the account menu names its user.
        expect(header.get_by_role("button", name=sign_out)).to_be_visible()
        account = header.locator("details.user-menu summary")
        expect(account).to_contain_text(user.full_name)
        label = "Account" if language == "en" else russian(ru, "Account")
        expect(account).to_have_attribute("title", label)

        if width == 1366:
            # One line: every link and tool sits on the brand's line.
            brand = header.locator(".brand").bounding_box()
            assert brand is not None
            middle = brand["y"] + brand["height"] / 2
            for item in header.locator(".main-nav a, .top-tools > *").all():
                box = item.bounding_box()
                assert box is not None
                assert box["y"] <= middle <= box["y"] + box["height"], f"{item.inner_text()!r} is on another line"
                assert box["x"] + box["width"] <= width
        context.close()
