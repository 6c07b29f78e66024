"""Which language and timezone a request is shown in.

Every page asks once (Flask-Babel keeps the answer for the request), so the choice reads the signed-in user once,
the academy's facts from the page cache (`academy_facts`), and hands Flask-Babel a `Locale` made once per process
rather than a code it would parse again on every request."""

from __future__ import annotations

from collections.abc import Container
from functools import cache

from babel import Locale
from flask import current_app, request, session
from flask_login import current_user

from lectern.platform import academy_facts
from lectern.platform.models import Role


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def select_locale() -> Locale | None:
    """The user's profile, then the choice made in this session, then the browser's preference, then the default
    language of the user's academy. A lecture hall's screen shows its academy's language before the browser's (the
    hall's computer is often set up in English)."""
    languages = current_app.config["LANGUAGES"]
    user = current_user._get_current_object()
    signed_in = user.is_authenticated
    if signed_in and user.language in languages:
        return _locale(user.language)
    chosen = session.get("language")
    if chosen in languages:
        return _locale(chosen)
    if signed_in and user.role is Role.CLASSROOM and (academy := _academy_language(languages)) is not None:
        return _locale(academy)
    browser = request.accept_languages.best_match(list(languages))
    if browser is not None:
        return _locale(browser)
    academy = _academy_language(languages) if signed_in else None  # looked up only when nothing else decides
    return _locale(academy) if academy is not None else None


def _academy_language(languages: Container[str]) -> str | None:
    """The default language of the signed-in user's academy, if it is one of `languages`."""
    facts = academy_facts.signed_in()
    return facts.default_language if facts is not None and facts.default_language in languages else None


def select_timezone() -> str | None:
    """Times are shown in the timezone of the user's academy."""
    facts = academy_facts.signed_in()
    return facts.timezone if facts is not None else None
