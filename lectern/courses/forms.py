"""Forms of the courses area."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from lectern.config import LANGUAGES
from lectern.courses.models import LessonKind, Visibility
from lectern.i18n import lazy_gettext as _l
from lectern.platform.rules import FIRST_YEAR, LAST_YEAR


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


VISIBILITY_LABELS = {
    Visibility.DRAFT: _l("Draft: only its instructors"),
    Visibility.ACADEMY: _l("My academy"),
    Visibility.SHARED: _l("My academy and the academies chosen below"),
    Visibility.ALL: _l("All academies"),
}

LESSON_KIND_LABELS = {
    LessonKind.TEXT: _l("Text"),
    LessonKind.FILE: _l("File"),
    LessonKind.VIDEO: _l("Video"),
    LessonKind.LINK: _l("Link"),
}


def _check_year(field: DateTimeLocalField) -> None:
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Choose a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)], filters=[_strip])
    language = SelectField(_l("Language of the course"), validators=[DataRequired()])
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=400)],
        filters=[_strip],
        description=_l("Separated by commas, e.g. passports, forgery, ICAO"),
    )
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    visibility = SelectField(_l("Who can find it"), validators=[DataRequired()])
    shared_with = SelectMultipleField(_l("Shared with"), coerce=int, validators=[Optional()])
    self_enrol = BooleanField(_l("Cadets may enrol themselves"))
    enrol_key = StringField(
        _l("Enrolment key"),
        validators=[Optional(), Length(max=64)],
        filters=[_strip],
        description=_l("Leave empty to let anyone who finds the course enrol."),
    )
    enrol_cap = IntegerField(_l("Maximum number of cadets"), validators=[Optional(), NumberRange(min=1, max=100000)])
    enrol_opens_at = DateTimeLocalField(_l("Enrolment opens"), validators=[Optional()])
    enrol_closes_at = DateTimeLocalField(_l("Enrolment closes"), validators=[Optional()])
    record_lectures = BooleanField(
        _l("Record every live lecture"),
        description=_l("Each lecture is recorded from the moment it goes live; its replay becomes a draft lesson."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [SelectChoice(code, name) for code, name in LANGUAGES.items()]
        self.visibility.choices = [SelectChoice(v.value, str(label)) for v, label in VISIBILITY_LABELS.items()]

    def validate_enrol_opens_at(self, field: DateTimeLocalField) -> None:
        _check_year(field)

    def validate_enrol_closes_at(self, field: DateTimeLocalField) -> None:
        _check_year(field)
        if field.data and self.enrol_opens_at.data and field.data <= self.enrol_opens_at.data:
            raise ValidationError(_l("Enrolment must close after it opens."))


class ModuleForm(FlaskForm):
    title = StringField(_l("Module title"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    submit = SubmitField(_l("Add module"))


class LessonForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[Optional(), Length(max=200_000)],
        description=_l("**bold**, *italic*, # heading, - list, [link](https://...), | tables |"),
    )
    url = URLField(
        _l("Address of the page"),
        validators=[Length(max=2000)],  # required and checked only for link lessons: see validate_url
        filters=[_strip],
    )
    file = FileField(_l("File"))
    draft = BooleanField(
        _l("Draft"), description=_l("Only those who teach the course see a draft; its cadets see it once published.")
    )
    submit = SubmitField(_l("Save lesson"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, str(label)) for k, label in LESSON_KIND_LABELS.items()]

    def validate_url(self, field: URLField) -> None:
        if self.kind.data != LessonKind.LINK.value:
            return
        if not field.data:
            raise ValidationError(_l("A link lesson needs the address of the page."))
        if not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError(_l("Use an address that starts with http:// or https://."))
        URL(require_tld=False)(self, field)


class EnrolKeyForm(FlaskForm):
    key = StringField(_l("Enrolment key"), validators=[Optional(), Length(max=64)], filters=[_strip])
    submit = SubmitField(_l("Enrol me"))


class EnrolUsersForm(FlaskForm):
    user_ids = SelectMultipleField(_l("Cadets"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Enrol selected cadets"))
