"""Which language and timezone a request is shown in."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str | None:
    """The user's profile, then the choice made in this session, then the browser's preference."""
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    chosen = session.get("language")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(list(languages))


def select_timezone() -> str | None:
    """Times are shown in the timezone of the user's academy."""
    if current_user.is_authenticated:
        return str(current_user.academy.timezone)
    return None
