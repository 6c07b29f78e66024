"""Forms of the catalogue: the category tree's categories."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lectern.i18n import lazy_gettext as _l


class CategoryForm(FlaskForm):
    name = StringField(_l("Name of the category"), validators=[DataRequired(), Length(max=120)])
    parent_id = SelectField(_l("Inside"), coerce=int, validators=[Optional()])
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)])
    submit = SubmitField(_l("Save"))
