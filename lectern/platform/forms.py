"""What the platform's forms share: the trimming filter, the language choices, and the header's language switcher
(on every page). The forms of each feature live beside its views (`accounts.forms`, `admin.forms`, `cohorts.forms`);
every field has a length cap the database can hold."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import DataRequired

from lectern.config import LANGUAGES
from lectern.i18n import lazy_gettext as _l


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
