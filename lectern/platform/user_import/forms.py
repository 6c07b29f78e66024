"""Forms of the users CSV import: the upload, and the apply step that posts the previewed file back."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired

from lectern.i18n import lazy_gettext as _l


class UserImportForm(FlaskForm):
    """The academy choices are the ones the administrator manages; the view fills them."""

    file = FileField(_l("Users file (CSV)"), validators=[FileRequired(_l("Choose the CSV file to upload."))])
    academy_id = SelectField(_l("Academy for rows without an institution"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Preview the import"))


class UserImportApplyForm(FlaskForm):
    """The previewed file, base64-encoded, with its name and the default academy (see `user_import`)."""

    content = HiddenField(validators=[DataRequired()])
    filename = HiddenField()
    academy_id = HiddenField(validators=[DataRequired()])
    apply = SubmitField(_l("Create the users"))
