"""Forms of course packages: the import upload."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField

from lectern.i18n import lazy_gettext as _l


class ImportForm(FlaskForm):
    package = FileField(_l("Course package (.zip)"), validators=[FileRequired(_l("Choose the package to import."))])
    target = SelectField(_l("Import as"), coerce=int)
    submit = SubmitField(_l("Import"))
