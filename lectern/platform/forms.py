"""Forms of the platform area. Every field has a length cap the database can hold."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from lectern.config import LANGUAGES
from lectern.i18n import lazy_gettext as _l
from lectern.platform.rules import MIN_PASSWORD_LENGTH, USERNAME_RE

TIMEZONES = sorted(zoneinfo.available_timezones())


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)], filters=[_strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in on this computer"))
    submit = SubmitField(_l("Sign in"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l("Use between %(min)d and %(max)d characters.", min=MIN_PASSWORD_LENGTH, max=256),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


def _language_choices(with_browser: bool) -> list[SelectChoice]:
    choices = [SelectChoice(code, name) for code, name in LANGUAGES.items()]
    if with_browser:
        choices.insert(0, SelectChoice("", str(_l("As my browser"))))
    return choices


class ProfileForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    language = SelectField(_l("Language"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = _language_choices(with_browser=True)


class LanguageForm(FlaskForm):
    """The header's language switcher."""

    language = SelectField(_l("Language"), validators=[DataRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = _language_choices(with_browser=False)


class AcademyForm(FlaskForm):
    name = StringField(_l("Academy name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    slug = StringField(
        _l("Short name in addresses"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use lower-case Latin letters, digits and hyphens.")),
        ],
        filters=[_strip],
    )
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    country = StringField(
        _l("Country code"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Za-z]{2}$", message=_l("Two letters, as in ISO 3166 (LV, KG, UZ, TJ, KZ).")),
        ],
        filters=[_strip],
    )
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()], choices=[SelectChoice(tz) for tz in TIMEZONES])
    default_language = SelectField(_l("Default language"), validators=[DataRequired()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_language.choices = _language_choices(with_browser=False)


class UserForm(FlaskForm):
    """Create or edit a user; the views fill the academy and role choices the administrator may use."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(
                USERNAME_RE.pattern + "$",
                flags=re.IGNORECASE,
                message=_l("Use Latin letters, digits, dots, hyphens and underscores."),
            ),
        ],
        filters=[_strip],
    )
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    email = StringField(
        _l("E-mail"),
        validators=[Optional(), Length(max=254), Email(check_deliverability=False)],
        filters=[_strip],
    )
    academy_id = SelectField(_l("Academy"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    language = SelectField(_l("Language"), validators=[Optional()])
    active = BooleanField(_l("Active (can sign in)"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=256)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, require_password: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = _language_choices(with_browser=True)
        if require_password:
            self.password.validators = [
                DataRequired(message=_l("A new user needs a password.")),
                *self.password.validators[1:],
            ]


class CohortForm(FlaskForm):
    """Create or edit a cohort; the view fills the academies the administrator may use."""

    academy_id = SelectField(_l("Academy"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)], filters=[_strip])
    submit = SubmitField(_l("Save"))


class CohortPasteForm(FlaskForm):
    """Members to add: usernames or e-mail addresses, one a line or separated by commas, semicolons or spaces."""

    identifiers = TextAreaField(
        _l("Usernames or e-mail addresses"),
        validators=[
            DataRequired(message=_l("Paste at least one username or e-mail address.")),
            Length(max=200_000, message=_l("The list is too long: add it in several parts.")),
        ],
    )


class CohortCsvForm(FlaskForm):
    """Members to add from a CSV file with a username (or email) column."""

    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))])
