"""Languages and timezones: the profile, then the session's choice, then the browser; times in the academy's zone."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from lectern.config import LANGUAGES
from lectern.extensions import db
from lectern.platform.models import Role, User

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lectern" / "translations"


def _h1(response) -> str:
    page = response.get_data(as_text=True)
    return page.split("<h1>", 1)[1].split("</h1>", 1)[0].strip()


def test_login_page_follows_the_browser_language(client):
    assert "Вход" in client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "de,en;q=0.5"}).get_data(as_text=True)
    assert "Sign in to Lectern" in page
    for browser, language in (("lv-LV,lv;q=0.9", "lv"), ("kk", "kk"), ("ky-KG", "ky"), ("tg", "tg"), ("uz", "uz")):
        page = client.get("/login", headers={"Accept-Language": browser}).get_data(as_text=True)
        assert f'<html lang="{language}">' in page and "Sign in to Lectern" not in page


def test_the_switcher_offers_every_language_named_in_itself(client):
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    switcher = page.split('class="lang-switch"', 1)[1].split("</form>", 1)[0]
    names = re.findall(r'<option[^>]*value="(\w+)"[^>]*>([^<]+)</option>', switcher)
    assert names == [
        ("en", "English"),
        ("ru", "Русский"),
        ("lv", "Latviešu"),
        ("kk", "Қазақша"),
        ("ky", "Кыргызча"),
        ("tg", "Тоҷикӣ"),
        ("uz", "O‘zbekcha"),
    ]


def test_a_user_who_chose_no_language_gets_the_browsers_then_the_academys(client, make):
    bishkek = make.academy(default_language="ky")
    cadet = make.user(Role.CADET, bishkek, language=None)
    client.login(cadet.username)
    assert '<html lang="ru">' in client.get("/learning", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    # A browser that asks for no language Lectern has: the academy's.
    assert '<html lang="ky">' in client.get("/learning", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_a_lecture_hall_screen_shows_its_academys_language_before_the_browsers(client, make):
    """The hall's computer is set up in English; the screen is the academy's, in its language."""
    tashkent = make.academy(default_language="uz")
    hall = make.user(Role.CLASSROOM, tashkent, language=None)
    client.login(hall.username)
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}, follow_redirects=True)
    assert '<html lang="uz">' in page.get_data(as_text=True)


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


@pytest.fixture(scope="module")
def wanted(tmp_path_factory) -> set[str | tuple[str, ...]]:
    """Every string marked for translation in the code and templates, extracted afresh."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
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
            "-k",
            "N_",
            "-o",
            str(pot),
            str(ROOT / "lectern"),
        ],
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        found = {m.id for m in read_po(fh) if m.id}
    assert len(found) > 50
    return found


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def test_every_language_offered_has_a_catalogue_and_every_catalogue_is_offered(app):
    offered = set(app.config["LANGUAGES"])
    assert {"en", "ru", "lv", "kk", "ky", "tg", "uz"} <= offered
    assert {p.parts[-3] for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")} == offered


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_catalogue_is_complete(wanted, language):
    """Every string marked for translation in the code and templates is in the catalogue and, in every language
    but the source's, translated: no message missing, empty or fuzzy, every plural form filled."""
    catalogue = _catalogue(language)
    missing = sorted(str(m) for m in wanted if m not in catalogue)
    assert not missing, f"{language}: not in the catalogue (run `make messages`): {missing[:10]}"
    if language != "en":
        untranslated = [
            str(m.id)
            for m in catalogue
            if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
        ]
        assert not untranslated, f"{language}: untranslated or fuzzy: {untranslated[:10]}"
        forms = catalogue.num_plurals
        short = [str(m.id) for m in catalogue if isinstance(m.string, tuple) and len(m.string) != forms]
        assert not short, f"{language}: plurals without their {forms} forms: {short[:10]}"


GLOSSARY = tomllib.loads((TRANSLATIONS / "glossary.toml").read_text(encoding="utf-8"))


def _uses(text: str, stems: list[str], source: bool = False) -> bool:
    # A source term as a word of its own, not an XML element's name ("<quiz>"); a translated term as a word's start.
    before = r"(?<![\w<])" if source else r"\b"
    return any(re.search(before + re.escape(stem), text, re.IGNORECASE) for stem in stems)


def test_the_glossary_covers_its_terms_in_every_language():
    assert len(GLOSSARY) >= 10
    for key, term in GLOSSARY.items():
        assert set(term) == set(LANGUAGES), f"{key}: {sorted(set(LANGUAGES) ^ set(term))}"
        for language, entry in term.items():
            assert entry["term"] and entry["match"], (key, language)
            assert _uses(entry["term"], entry["match"]), f"{key} in {language}: the term does not match its stems"


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_translation_uses_the_glossarys_terms(language):
    """Where the source uses a domain term (cadet, cohort, floor, quiz...), the translation uses the glossary's."""
    wrong = []
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for key, term in GLOSSARY.items():
            if any(_uses(i, term["en"]["match"], source=True) for i in ids):
                wrong += [(key, ids[0], s) for s in strings if s and not _uses(s, term[language]["match"])]
    assert not wrong, "\n".join(f"{k} ({GLOSSARY[k][language]['term']}): {i!r} -> {s!r}" for k, i, s in wrong[:20])


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
