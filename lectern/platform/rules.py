"""Account rules shared by forms, services and the CSV reader: plain values, no Flask and no database."""

from __future__ import annotations

import re

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# Latin letters, digits, dots, hyphens and underscores, starting with a letter or digit; stored lower-case.
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]*", re.IGNORECASE)

# Dates people type (lecture times, enrolment windows) must fall in these years: beyond them the conversion to UTC
# or adding a duration overflows, and no academy schedules that far anyway.
FIRST_YEAR = 2000
LAST_YEAR = 2100
