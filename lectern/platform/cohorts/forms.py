"""Forms of the cohort pages: the cohort itself, and members pasted or uploaded as CSV."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lectern.i18n import lazy_gettext as _l
from lectern.platform.forms import strip


class CohortForm(FlaskForm):
    """Create or edit a cohort; the view fills the academies the administrator may use."""

    academy_id = SelectField(_l("Academy"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Cohort name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)], filters=[strip])
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
