"""What the platform's forms share: a page's CSRF token, the trimming filter, the language choices, and the header's
language switcher (on every page). The forms of each feature live beside its views (`accounts.forms`,
`admin.forms`, `cohorts.forms`); every field has a length cap the database can hold."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from wtforms import SelectChoice, SelectField
from wtforms.validators import DataRequired

from lectern.config import LANGUAGES
from lectern.i18n import lazy_gettext as _l
from lectern.platform.cache import Lru

# Signed CSRF tokens by (secret key, the session's raw token), for a second: see `csrf_token`.
_SIGNED_TOKENS = Lru(size=8192, max_age=1.0)


def csrf_token() -> str:
    """Flask-WTF's `generate_csrf()` for this request, signing the session's token at most once a second.

    A signed token is the session's raw token, a timestamp in seconds and an HMAC of both, so every page a browser
    loads within the same second gets the same one anyway; it is kept under the raw token, which only that session
    holds. It is set where Flask-WTF keeps the request's token, so the forms rendered after it use it too (a form
    that a view builds first has signed one already, and that one is returned)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field)
    if field in g or not isinstance(raw, str):
        return str(generate_csrf())  # made for this request already, or a new session whose raw token it makes
    key = (current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw)
    token = _SIGNED_TOKENS.get(key)
    if not isinstance(token, str):
        token = str(generate_csrf())
        _SIGNED_TOKENS.put(key, token)
    setattr(g, field, token)
    return token


def strip(value: Any) -> Any:
    """A field filter: text without its surrounding spaces (other values as they are)."""
    return value.strip() if isinstance(value, str) else value


def language_choices(with_browser: bool) -> list[SelectChoice]:
    """The interface languages, first "As my browser" (the empty value) when `with_browser`."""
    choices = [SelectChoice(code, name) for code, name in LANGUAGES.items()]
    if with_browser:
        choices.insert(0, SelectChoice("", str(_l("As my browser"))))
    return choices


class LanguageForm(FlaskForm):
    """The header's language switcher."""

    language = SelectField(_l("Language"), validators=[DataRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(with_browser=False)
