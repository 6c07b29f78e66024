"""The question bank of a course: categories, questions (edited as GIFT), import with a preview, export."""

from __future__ import annotations

from flask import Blueprint

from lectern.courses import quiz_models  # noqa: F401  (the tables)

bp = Blueprint("quiz_bank", __name__, url_prefix="/courses")
