"""Languages and timezones: the profile, then the session's choice, then the browser; times in the academy's zone."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from lectern.extensions import db
from lectern.platform.models import Role, User

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lectern" / "translations"


def _h1(response) -> str:
    page = response.get_data(as_text=True)
    return page.split("<h1>", 1)[1].split("</h1>", 1)[0].strip()


def test_login_page_follows_the_browser_language(client):
    assert "Вход" in client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "lv,en;q=0.5"}).get_data(as_text=True)
    assert "Sign in to Lectern" in page


def test_the_profile_language_beats_the_browser(client, make):
    user = make.user(Role.CADET, language="ru")
    client.login(user.username)
    response = client.get("/learning", headers={"Accept-Language": "en"})
    assert _h1(response) == "Моё обучение"
    assert '<html lang="ru">' in response.get_data(as_text=True)


def test_the_switcher_saves_the_choice_in_the_profile(client, make, app):
    user = make.user(Role.INSTRUCTOR, language=None)
    client.login(user.username)
    response = client.submit("/language", {"language": "ru", "next": "/teaching"}, page="/teaching")
    assert response.location == "/teaching"
    assert _h1(client.get("/teaching", headers={"Accept-Language": "en"})) == "Преподавание"
    with app.app_context():
        assert db.session.get(User, user.id).language == "ru"


def test_the_switcher_works_before_sign_in_and_carries_into_the_session(client, make):
    client.submit("/language", {"language": "ru", "next": "/login"})
    assert "Вход" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    user = make.user(Role.CADET, language=None)
    client.login(user.username)
    assert _h1(client.get("/learning", headers={"Accept-Language": "en"})) == "Моё обучение"


def test_the_switcher_refuses_unknown_languages_and_foreign_next(client):
    response = client.submit("/language", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.location == "/"
    assert "Sign in to Lectern" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_times_are_shown_in_the_academy_timezone(client, make, app):
    bishkek = make.academy(timezone="Asia/Bishkek")
    riga = make.academy(timezone="Europe/Riga")
    admin = make.user(Role.GLOBAL_ADMIN, riga, language="en")
    cadet = make.user(Role.CADET, bishkek)
    with app.app_context():
        db.session.get(User, cadet.id).last_login_at = datetime(2026, 1, 15, 6, 30, tzinfo=UTC)
        db.session.commit()
    # The same instant, as the administrator in Riga (UTC+2 in winter) sees it...
    client.login(admin.username)
    page = client.get(f"/admin/users?academy={bishkek.id}").get_data(as_text=True)
    assert "Jan 15, 2026, 8:30\u202fAM" in page
    # ...and as an administrator in Bishkek (UTC+6) sees it.
    client.submit("/logout", page="/admin/")
    local = make.user(Role.ACADEMY_ADMIN, bishkek, language="en")
    client.login(local.username)
    assert "Jan 15, 2026, 12:30\u202fPM" in client.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize("code", [404, 403])
def test_error_pages_in_both_languages(client, make, code):
    user = make.user(Role.CADET)
    client.login(user.username)
    path = "/no-such-page" if code == 404 else "/admin/users"
    english = client.get(path, headers={"Accept-Language": "en"})
    client.submit("/language", {"language": "ru"}, page="/learning")
    russian = client.get(path)
    assert english.status_code == russian.status_code == code
    assert _h1(english) in {"Page not found", "Access denied"}
    assert _h1(russian) in {"Страница не найдена", "Доступ запрещён"}


def test_russian_catalogue_is_complete(tmp_path):
    """Every string marked for translation in the code and templates has a Russian translation."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            str(ROOT / "lectern"),
        ],
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    assert len(wanted) > 50
    for language in ("ru", "en"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalogue = read_po(fh)
        missing = sorted(str(m) for m in wanted if m not in catalogue)
        assert not missing, f"{language}: not in the catalogue (run `make messages`): {missing[:10]}"
        if language == "ru":
            untranslated = [
                str(m.id)
                for m in catalogue
                if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
            ]
            assert not untranslated, f"ru: untranslated or fuzzy: {untranslated[:10]}"


# A %-placeholder (named or positional) or an escaped "%%"; any other "%" is a bare one.
_FORMAT = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0 +]*\d*(?:\.\d+)?(?P<kind>[diouxXeEfFgGcrsa%])")


def _format_of(text: str) -> tuple[Counter[str], int]:
    """The placeholders of `text` ("name:kind", or ":kind" when positional) and its number of bare "%" signs."""
    placeholders: Counter[str] = Counter()
    for match in _FORMAT.finditer(text):
        if match["kind"] != "%":
            placeholders[f"{match['name'] or ''}:{match['kind']}"] += 1
    return placeholders, _FORMAT.sub("", text).count("%")


def _formats_as(string: str, ids: tuple[str, ...]) -> bool:
    """Whether a translation takes the same variables as its original (`ids`: the msgid, and the plural's)."""
    placeholders, bare = _format_of(string)
    wanted, wanted_bare = _format_of(ids[-1])
    if len(ids) == 1:
        return (placeholders, bare) == (wanted, wanted_bare)
    # A plural form may leave out the number ("одна минута"), but no other placeholder, and adds none.
    names = {p for p in wanted if p != "num:d"}
    return names <= set(placeholders) and set(placeholders) <= set(wanted) and bare == wanted_bare


@pytest.mark.parametrize("catalogue", sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")), ids=lambda p: p.parts[-3])
def test_translations_format_as_their_originals(catalogue):
    """Every string is %-formatted when a template shows it (Jinja's gettext formats even without variables), and
    every string given variables in the code: a translation must hold the original's placeholders, and a bare "%"
    only where the original has one. "Результат, %" broke the quiz statistics page in Russian."""
    with catalogue.open("rb") as fh:
        messages = [m for m in read_po(fh) if m.id]
    assert len(messages) > 50
    wrong = []
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wrong += [(ids[0], s) for s in strings if s and not _formats_as(s, ids)]
    assert not wrong, "\n".join(f"{i!r} -> {s!r}" for i, s in wrong)
