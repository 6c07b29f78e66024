"""Grading: the gradebook and its CSV, the manual grading queue, regrading, quiz statistics."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("quiz_grades", __name__, url_prefix="/courses")
