"""The users CSV's layout, Moodle's "Upload users": its columns and roles, and writing it (the export, the
generated passwords). Pure. Reading and checking an uploaded file is `csv_format`.

The columns are ``username, firstname, lastname, email`` (required), ``password, lang, institution`` (the academy)
and numbered ``cohort1..``, ``course1..``, ``role1..`` (``roleN`` is the role in ``courseN``). Header names are
case-insensitive; the delimiter may be a comma, a semicolon (Excel in Russian locales) or a tab. Moodle's other
columns (city, idnumber, group1, profile_field_...) are ignored with a warning each; any other column is refused.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping

from lectern.platform.rules import MIN_PASSWORD_LENGTH
from lectern.platform.spreadsheet import csv_bytes, text_cell

REQUIRED = ("username", "firstname", "lastname", "email")
OPTIONAL = ("password", "lang", "institution")
# Moodle's "Upload users" columns that Lectern has no use for: a file written for Moodle keeps them, and each is
# named once in a warning and ignored (tool_uploaduser's standard fields, its numbered enrolment columns and the
# custom profile fields). Any other column is unknown: most likely a misspelled one, so it is refused.
IGNORED = frozenset(
    {
        "auth", "maildisplay", "mailformat", "maildigest", "autosubscribe", "trackforums", "emailstop", "city",
        "country", "timezone", "description", "idnumber", "department", "phone1", "phone2", "address", "url", "icq",
        "skype", "aim", "yahoo", "msn", "firstnamephonetic", "lastnamephonetic", "middlename", "alternatename",
        "theme", "calendartype", "interests", "imagealt",
    }
)  # fmt: skip
# Moodle's columns that act on existing users (delete, suspend, rename). Lectern's import only creates users, so a
# row that asks for one of these is refused (doing nothing, or creating an active user instead, would be wrong);
# the column itself, empty or 0, is accepted like the ignored ones.
ACTIONS = ("deleted", "suspended", "oldusername")
IGNORED_NUMBERED = re.compile(r"(type|group|enrolperiod|enrolstatus|enroltimestart|sysrole)[1-9][0-9]{0,2}")
PROFILE_FIELD = re.compile(r"profile_field_\w+")
DELIMITERS = (",", ";", "\t")  # ties go to the first
NUMBERED = re.compile(r"(cohort|course|role)([1-9][0-9]{0,2})")
# The model's column sizes; cohort and course names have no column here, 255 is Moodle's own bound.
MAX_LENGTH = {"username": 64, "firstname": 100, "lastname": 100, "email": 254, "password": 256, "institution": 200}
OTHER_MAX_LENGTH = 255
# Moodle's role short names, and ours. "cadet" in a course means an enrolment, the other two a staff place.
COURSE_ROLES = {
    "student": "cadet",
    "editingteacher": "instructor",
    "teacher": "assistant",
    "cadet": "cadet",
    "instructor": "instructor",
    "assistant": "assistant",
}
# No 0/O/o, 1/l/I/i: passwords are read off paper and typed by hand.
_READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def numbered_columns(values: Mapping[str, str]) -> dict[str, dict[int, str]]:
    """The non-empty numbered cells of a row: ``{"cohort": {1: "Intake 2026"}, "course": {...}, "role": {...}}``."""
    numbered: dict[str, dict[int, str]] = {"cohort": {}, "course": {}, "role": {}}
    for name, value in values.items():
        if (match := NUMBERED.fullmatch(name)) and value:
            numbered[match.group(1)][int(match.group(2))] = value
    return numbered


def generate_password() -> str:
    """A random password that is easy to read and type: groups of four like ``Kp7x-m3Rq-tz9W``, no look-alikes.

    Three groups from a 55-character alphabet are about 69 bits; more groups if MIN_PASSWORD_LENGTH grows.
    """
    groups = max(3, -(-(MIN_PASSWORD_LENGTH + 1) // 5))
    return "-".join("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(groups))


def passwords_csv(pairs: list[tuple[str, str]]) -> bytes:
    """The generated passwords, offered once as a download: ``username,password``, UTF-8 with a BOM.

    Passwords are written exactly: generated ones never start with a formula character, and a guard would change them.
    """
    return csv_bytes(["username", "password"], pairs)


def _column_order(name: str) -> tuple[int, int, int]:
    # The fixed columns, then the cohorts, then each course beside its role.
    fixed = REQUIRED + OPTIONAL
    if name in fixed:
        return (0, fixed.index(name), 0)
    match = NUMBERED.fullmatch(name)
    if match is None:
        raise ValueError(f"not a column of the users CSV: {name!r}")
    kind = match.group(1)
    return (1 if kind == "cohort" else 2, int(match.group(2)), kind == "role")


def users_to_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    """Export users in the upload's own layout (Moodle's column names as keys: username, firstname, ..., cohort1).

    Columns are the required four plus every other key the rows use, in Moodle's order; UTF-8 with a BOM. Raises
    ValueError for a key that is not a column of the layout (a caller's mistake, not the user's).
    """
    rows = list(rows)
    names = set(REQUIRED).union(*(row.keys() for row in rows))
    header = sorted(names, key=_column_order)
    return csv_bytes(
        header,
        ([row.get(n, "") if n == "password" else text_cell(row.get(n, "")) for n in header] for row in rows),
    )
