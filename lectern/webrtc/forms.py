"""Forms of the lectures area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lectern.i18n import lazy_gettext as _l
from lectern.platform.rules import FIRST_YEAR, LAST_YEAR
from lectern.webrtc.services import MAX_DURATION


class LectureForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What it is about"), validators=[Optional(), Length(max=5000)])
    starts_at = DateTimeLocalField(_l("Starts at"), validators=[InputRequired()])
    duration_minutes = IntegerField(
        _l("Duration in minutes"), default=90, validators=[InputRequired(), NumberRange(min=5, max=MAX_DURATION)]
    )
    invited_courses = SelectMultipleField(_l("Also invite the cadets of"), coerce=int, validators=[Optional()])
    halls = SelectMultipleField(_l("Lecture halls"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def validate_starts_at(self, field: DateTimeLocalField) -> None:
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Choose a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))
