"""Quizzes: settings and questions for teachers; the quiz page, attempts (autosaved answers) and reviews for cadets."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("quizzes", __name__, url_prefix="/courses")
