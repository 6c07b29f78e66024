"""Forms of academy and user administration."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from lectern.i18n import lazy_gettext as _l
from lectern.platform.forms import language_choices, strip
from lectern.platform.rules import MIN_PASSWORD_LENGTH, USERNAME_RE

TIMEZONES = sorted(zoneinfo.available_timezones())


class AcademyForm(FlaskForm):
    name = StringField(_l("Academy name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    slug = StringField(
        _l("Short name in addresses"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use lower-case Latin letters, digits and hyphens.")),
        ],
        filters=[strip],
    )
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)], filters=[strip])
    country = StringField(
        _l("Country code"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Za-z]{2}$", message=_l("Two letters, as in ISO 3166 (LV, KG, UZ, TJ, KZ).")),
        ],
        filters=[strip],
    )
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()], choices=[SelectChoice(tz) for tz in TIMEZONES])
    default_language = SelectField(_l("Default language"), validators=[DataRequired()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_language.choices = language_choices(with_browser=False)


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
        filters=[strip],
    )
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)], filters=[strip])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)], filters=[strip])
    email = StringField(
        _l("E-mail"),
        validators=[Optional(), Length(max=254), Email(check_deliverability=False)],
        filters=[strip],
    )
    academy_id = SelectField(_l("Academy"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    language = SelectField(_l("Language"), validators=[Optional()])
    active = BooleanField(_l("Active (can sign in)"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=256)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, require_password: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(with_browser=True)
        if require_password:
            self.password.validators = [
                DataRequired(message=_l("A new user needs a password.")),
                *self.password.validators[1:],
            ]
