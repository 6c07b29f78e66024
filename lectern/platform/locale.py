"""Which language and timezone a request is shown in."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

from lectern.platform import academy_facts
from lectern.platform.models import Role


def select_locale() -> str | None:
    """The user's profile, then the choice made in this session, then the browser's preference, then the default
    language of the user's academy. A lecture hall's screen shows its academy's language before the browser's (the
    hall's computer is often set up in English)."""
    languages = current_app.config["LANGUAGES"]
    signed_in = current_user.is_authenticated
    if signed_in and current_user.language in languages:
        return str(current_user.language)
    chosen = session.get("language")
    if chosen in languages:
        return str(chosen)
    if signed_in and current_user.role is Role.CLASSROOM and _academy_language() in languages:
        return _academy_language()
    browser = request.accept_languages.best_match(list(languages))
    if browser is not None or not signed_in:
        return browser
    academy = _academy_language()
    return academy if academy in languages else None


def _academy_language() -> str:
    return academy_facts.of(current_user.academy_id).default_language


def select_timezone() -> str | None:
    """Times are shown in the timezone of the user's academy."""
    facts = academy_facts.signed_in()
    return facts.timezone if facts is not None else None
