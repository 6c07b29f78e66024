"""Forms and labels of the teachers' quiz pages: a mark by hand, per-cadet overrides."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lectern.courses.quizzes.grading import parse_number
from lectern.courses.quizzes.questions import QuestionType
from lectern.i18n import lazy_gettext as _l
from lectern.platform.rules import FIRST_YEAR, LAST_YEAR
from lectern.urls import parse_count, parse_id

# Short names for table columns (the bank's form has the long ones).
QUESTION_TYPE_SHORT = {
    QuestionType.SINGLE: _l("One choice"),
    QuestionType.MULTIPLE: _l("Several choices"),
    QuestionType.TRUE_FALSE: _l("True/false"),
    QuestionType.SHORT: _l("Short answer"),
    QuestionType.NUMERICAL: _l("Numerical"),
    QuestionType.MATCHING: _l("Matching"),
    QuestionType.ESSAY: _l("Essay"),
    QuestionType.DESCRIPTION: _l("Description"),
}

GRADE_STATE_LABELS = {
    "correct": _l("Correct"),
    "partial": _l("Partly correct"),
    "wrong": _l("Incorrect"),
    "unanswered": _l("Not answered"),
    "needs_grading": _l("Waiting for a mark"),
    "not_graded": _l("Not graded"),
}

MAX_COMMENT = 10_000
MAX_POSITIONS = 10_000  # far more questions than a quiz holds


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ManualMarkForm(FlaskForm):
    """A teacher's mark for one answer. The page holds one per answer; `position` says which."""

    position = HiddenField(validators=[InputRequired()])
    back = HiddenField()  # "queue": return to the grading queue afterwards
    mark = StringField(_l("Mark"), validators=[DataRequired()], filters=[_strip])
    comment = TextAreaField(_l("Comment for the cadet"), validators=[Optional(), Length(max=MAX_COMMENT)])
    submit = SubmitField(_l("Save mark"))

    def validate_position(self, field: HiddenField) -> None:
        if self.position_value is None:
            raise ValidationError(_l("Unknown question."))

    @property
    def position_value(self) -> int | None:
        return parse_count(self.position.data, MAX_POSITIONS)

    def validate_mark(self, field: StringField) -> None:
        # A comma is a decimal separator here as in answers: "0,5" is a half.
        if parse_number(field.data or "") is None:
            raise ValidationError(_l("Type a number, for example 0.5."))

    @property
    def mark_value(self) -> float:
        return parse_number(self.mark.data or "") or 0.0


class OverrideForm(FlaskForm):
    user_id = SelectField(_l("Cadet"), coerce=int, validators=[InputRequired()])
    extra_minutes = IntegerField(
        _l("Extra minutes"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
        description=_l("Added to the time limit, if the quiz has one."),
    )
    extra_attempts = IntegerField(
        _l("Extra attempts"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=_l("Added to the number of attempts allowed, if it is limited."),
    )
    closes_at = DateTimeLocalField(
        _l("Closes for this cadet"),
        validators=[Optional()],
        description=_l("Only a later close than the quiz's own counts."),
    )
    submit = SubmitField(_l("Save override"))

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Choose a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


class DeleteOverrideForm(FlaskForm):
    delete_user_id = HiddenField(validators=[InputRequired()])
    delete = SubmitField(_l("Remove"))

    def validate_delete_user_id(self, field: HiddenField) -> None:
        if self.user_id_value is None:
            raise ValidationError(_l("Unknown cadet."))

    @property
    def user_id_value(self) -> int | None:
        return parse_id(self.delete_user_id.data)
