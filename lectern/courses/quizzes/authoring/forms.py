"""Forms for building a quiz: its settings and its questions."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from lectern.courses.forms import _check_year
from lectern.courses.quizzes.models import ReviewWhen
from lectern.i18n import lazy_gettext as _l

GRADING_METHOD_LABELS = {
    "highest": _l("Highest grade"),
    "average": _l("Average grade"),
    "first": _l("First attempt"),
    "last": _l("Last attempt"),
}

REVIEW_LABELS = {
    ReviewWhen.NEVER: _l("Never"),
    ReviewWhen.AFTER_ATTEMPT: _l("Right after the attempt"),
    ReviewWhen.AFTER_CLOSE: _l("After the quiz closes (never without a closing date)"),
}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


AFTER_ATTEMPT = ReviewWhen.AFTER_ATTEMPT.value


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def _in_range(form: FlaskForm, field: DateTimeLocalField) -> None:
    _check_year(field)


class QuizForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    intro = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=20_000)], filters=[_strip])
    published = BooleanField(_l("Published: enrolled cadets see this quiz"))
    opens_at = DateTimeLocalField(_l("Opens"), validators=[Optional(), _in_range], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes"), validators=[Optional(), _in_range], format="%Y-%m-%dT%H:%M")
    time_limit_minutes = IntegerField(
        _l("Time limit (minutes)"),
        validators=[Optional(), NumberRange(min=1, max=24 * 60)],
        description=_l("Leave empty for no time limit."),
    )
    attempts_allowed = IntegerField(
        _l("Attempts allowed"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=_l("0 means unlimited."),
    )
    grading_method = SelectField(_l("Grading method"), choices=_choices(GRADING_METHOD_LABELS))
    pass_percent = DecimalField(
        _l("Pass mark (%)"),
        places=None,
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=_l("Leave empty for no pass mark."),
    )
    required_for_completion = BooleanField(_l("The course is completed only when this quiz is passed"))
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_answers = BooleanField(_l("Shuffle the answers within questions"), default=True)
    # The review options (quiz_models.REVIEW_SETTINGS); new quizzes show everything right after the attempt.
    review_correctness = SelectField(
        _l("Cadets see whether each answer is correct"), choices=_choices(REVIEW_LABELS), default=AFTER_ATTEMPT
    )
    review_marks = SelectField(_l("Cadets see their marks"), choices=_choices(REVIEW_LABELS), default=AFTER_ATTEMPT)
    review_feedback = SelectField(
        _l("Cadets see the feedback on their answers"), choices=_choices(REVIEW_LABELS), default=AFTER_ATTEMPT
    )
    review_general_feedback = SelectField(
        _l("Cadets see the questions' general feedback"), choices=_choices(REVIEW_LABELS), default=AFTER_ATTEMPT
    )
    review_correct = SelectField(
        _l("Cadets see the right answers"), choices=_choices(REVIEW_LABELS), default=AFTER_ATTEMPT
    )

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The quiz must close after it opens."))

    def validate_required_for_completion(self, field: BooleanField) -> None:
        if field.data and self.pass_percent.data is None:
            raise ValidationError(_l("Set a pass mark for the course to require a pass."))


class AddQuestionsForm(FlaskForm):
    """Questions from the bank, picked by id (the page lists the course's bank)."""

    question_ids = StringField(validators=[Optional()])


class AddRandomForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=int, validators=[DataRequired()])
    count = IntegerField(_l("Number of random questions"), default=1, validators=[NumberRange(min=1, max=100)])


class SlotMarkForm(FlaskForm):
    mark = DecimalField(_l("Mark"), places=None, validators=[DataRequired(), NumberRange(min=0.01, max=1000)])
