"""Transitional: the names that packages/, demo/, the courses' templating.py and enrolment/user_import.py (and
their tests) still import from here. The logic lives by feature: `catalogue/services.py` (the catalogue, a user's
courses), `content/services.py` (course settings, modules, lessons, files) and `enrolment/services.py`. Remove this
module once those imports point there.
"""

from __future__ import annotations

from lectern.courses.catalogue.services import enrolled_courses, taught_courses
from lectern.courses.content.services import (
    CourseFields,
    add_lesson,
    add_module,
    create_course,
    file_row,
    load_outline,
    normalise_tags,
)
from lectern.courses.enrolment.services import enrol

__all__ = [
    "CourseFields",
    "add_lesson",
    "add_module",
    "create_course",
    "enrol",
    "enrolled_courses",
    "file_row",
    "load_outline",
    "normalise_tags",
    "taught_courses",
]
