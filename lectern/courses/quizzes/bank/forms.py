"""Forms of the quizzes: the question bank first; quiz settings and the like may follow below."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lectern.courses.quizzes.questions import QuestionType
from lectern.i18n import lazy_gettext as _l

# --- question bank ------------------------------------------------------------------------------------------------

QUESTION_TYPE_LABELS = {
    QuestionType.SINGLE: _l("Multiple choice, one answer"),
    QuestionType.MULTIPLE: _l("Multiple choice, several answers"),
    QuestionType.TRUE_FALSE: _l("True or false"),
    QuestionType.SHORT: _l("Short answer"),
    QuestionType.NUMERICAL: _l("Numerical"),
    QuestionType.MATCHING: _l("Matching"),
    QuestionType.ESSAY: _l("Essay"),
    QuestionType.DESCRIPTION: _l("Description (text only)"),
}

IMPORT_FORMAT_LABELS = {
    "auto": _l("Guess from the file (.xml: Moodle XML; Aiken when it reads as Aiken; else GIFT)"),
    "gift": _l("GIFT"),
    "xml": _l("Moodle XML"),
    "aiken": _l("Aiken"),
}

# What "New question" puts in the editor for each type: a small, correct example to change. Translators: keep
# the GIFT syntax ({ } = ~ # :: -> %50%) exactly; translate only the words.
EXAMPLES = {
    QuestionType.SINGLE: _l(
        "::Passport issuer::Which organisation sets the standard for machine readable passports? {\n"
        "\t=ICAO#Document 9303.\n\t~Interpol#Interpol keeps a database of lost and stolen documents.\n"
        "\t~The World Customs Organization\n}"
    ),
    QuestionType.MULTIPLE: _l(
        "::Security features::Which of these are security features of a passport's data page? {\n"
        "\t~%50%A hologram\n\t~%50%Microprinting\n\t~%-100%The holder's signature colour\n}"
    ),
    QuestionType.TRUE_FALSE: _l("::MRZ lines::The machine readable zone of a passport has two lines.{TRUE}"),
    QuestionType.SHORT: _l(
        "::Capital of Latvia::Which city is the capital of Latvia? {\n\t=Riga\n\t=Rīga\n\t=%50%Riga city\n}"
    ),
    QuestionType.NUMERICAL: _l(
        "::MRZ line length::How many characters has each line of a passport's machine readable zone? {#\n"
        "\t=44:0\n\t=%50%40..50#Close: count them again.\n}"
    ),
    QuestionType.MATCHING: _l(
        "::Documents::Match each document with what it is for. {\n"
        "\t=Passport -> Travel abroad\n\t=Visa -> Permission to enter\n\t=TIR carnet -> Goods in transit\n}"
    ),
    QuestionType.ESSAY: _l("::Profiling::Describe the behaviour indicators you look for at a first-line check.{}"),
    QuestionType.DESCRIPTION: _l("::Introduction::The next questions are about travel documents."),
}

GIFT_LENGTH = 100_000  # one question, however long its feedback


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class QuestionForm(FlaskForm):
    """A new question or an edited one, written as GIFT; the page shows a preview of what it parses to."""

    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    gift = TextAreaField(
        _l("The question in GIFT"),
        validators=[DataRequired(_l("Write the question.")), Length(max=GIFT_LENGTH)],
        description=_l(
            "::Name:: Question text {=right answer ~wrong answer#feedback}. One question only; "
            "a line starting with // is a comment."
        ),
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save question"))


class CategoryForm(FlaskForm):
    parent_id = SelectField(_l("Inside"), coerce=int)
    name = StringField(_l("New category"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    submit = SubmitField(_l("Add category"))

    def validate_name(self, field: StringField) -> None:
        if "/" in (field.data or ""):
            raise ValidationError(_l("A category name cannot contain “/”: choose where it goes under “Inside”."))


class MoveForm(FlaskForm):
    """Move the questions ticked in the list (`question_id` checkboxes, read by the view) to a category."""

    category_id = SelectField(_l("Move the selected questions to"), coerce=int)
    submit = SubmitField(_l("Move"))


class ImportQuestionsForm(FlaskForm):
    file = FileField(_l("Question file"), validators=[FileRequired(_l("Choose the file to import."))])
    file_format = SelectField(_l("Format"), default="auto")
    category_id = SelectField(
        _l("Category for questions that name none"),
        coerce=int,
        description=_l("GIFT's $CATEGORY and Moodle XML's categories are kept; other questions go here."),
    )
    submit = SubmitField(_l("Preview the import"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_format.choices = [SelectChoice(k, str(label)) for k, label in IMPORT_FORMAT_LABELS.items()]


class ImportConfirmForm(FlaskForm):
    """The second step of an import: the file, held on the server since the preview (`upload` names it by its
    SHA-256), is parsed again and imported."""

    upload = HiddenField()
    file_format = HiddenField()
    category_id = HiddenField()
    filename = HiddenField()
    import_all = SubmitField(_l("Import all questions"))
    import_valid = SubmitField(_l("Import the valid questions"))
