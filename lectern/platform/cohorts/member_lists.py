"""Lists of users to add to a cohort: pasted usernames or e-mail addresses, or a CSV file. Pure: no database.

Pasted text holds one identifier per line, or several separated by commas, semicolons or spaces. A CSV file (UTF-8,
with or without a BOM; comma, semicolon or tab) has a header with a ``username`` column or an ``email`` one; when it
has both, a row's username wins and its e-mail is used where the username is empty. Every identifier keeps the line
it came from, so that what is wrong can be named by line.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum

from lectern.domain import Invalid

MAX_IDENTIFIERS = 5000  # a cohort is an intake, not a country: more at once is a mistake (or an attack)
DELIMITERS = (",", ";", "\t")  # ties go to the first, as in the users CSV
USERNAME_COLUMNS = ("username", "login", "user")
EMAIL_COLUMNS = ("email", "e-mail", "mail")
_SEPARATORS = re.compile(r"[,;\s]+")
_FORMULA_GUARD = ("'=", "'+", "'-", "'@")  # the quote our own exports put before such cells


@dataclasses.dataclass(frozen=True)
class Identifier:
    """A username or e-mail address as typed (trimmed, NFC), and the line it is on."""

    line: int
    value: str

    @property
    def is_email(self) -> bool:
        return "@" in self.value


@dataclasses.dataclass(frozen=True)
class ListProblem:
    """What is wrong with a list: `code` is stable (the view words it), `line` None for the whole list.

    Codes: spreadsheet, encoding, binary, empty, malformed, no_column, no_rows, missing (a row with no identifier),
    too_many (params: max).
    """

    code: str
    line: int | None = None
    params: Mapping[str, object] = dataclasses.field(default_factory=dict, compare=False, hash=False)


class ListReason(StrEnum):
    """Why a list was refused."""

    UNUSABLE_LIST = "unusable_list"  # the list cannot be used as a whole: its `problems` say why, and where


def _bad_list(problems: list[ListProblem]) -> Invalid:
    """The error for a list that cannot be used as a whole (nothing of it is applied), carrying its problems."""
    return Invalid(ListReason.UNUSABLE_LIST, problems=problems)


def list_problems(error: Invalid) -> list[ListProblem]:
    """The problems of a list refused by `parse_text` or `parse_csv`."""
    problems: list[ListProblem] = error.params.get("problems", [])
    return problems


def _clean(value: str) -> str:
    value = unicodedata.normalize("NFC", value.strip().strip('"').strip())
    if value.startswith(_FORMULA_GUARD):
        value = value[1:]
    return value


def _checked(found: list[Identifier]) -> list[Identifier]:
    if len(found) > MAX_IDENTIFIERS:
        raise _bad_list([ListProblem("too_many", params={"max": MAX_IDENTIFIERS})])
    return found


def parse_text(text: str) -> list[Identifier]:
    """The identifiers in pasted text, in order (repeats kept: the caller adds each user once)."""
    found: list[Identifier] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for token in _SEPARATORS.split(line):
            value = _clean(token)
            if value:
                found.append(Identifier(number, value))
    return _checked(found)


def _decode(data: bytes, filename: str) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or filename.lower().endswith((".xlsx", ".xls", ".ods")):
        raise _bad_list([ListProblem("spreadsheet")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _bad_list([ListProblem("encoding")])  # Excel's "Unicode Text" (UTF-16)
    if b"\x00" in data:
        raise _bad_list([ListProblem("binary", data.count(b"\n", 0, data.index(b"\x00")) + 1)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad_list([ListProblem("encoding", data.count(b"\n", 0, exc.start) + 1)]) from None
    if not text.strip():
        raise _bad_list([ListProblem("empty")])
    return text


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((header.index(n) for n in names if n in header), None)


def parse_csv(data: bytes, filename: str = "") -> list[Identifier]:
    """The identifiers in a CSV file, by line; raises Invalid (`list_problems`) for a file that cannot be used, or
    rows without one."""
    text = _decode(data, filename)
    first = next(line for line in text.splitlines() if line.strip())
    delimiter = max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    user_col = email_col = None
    found: list[Identifier] = []
    problems: list[ListProblem] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower().lstrip("\ufeff") for cell in record]
                user_col, email_col = _column(header, USERNAME_COLUMNS), _column(header, EMAIL_COLUMNS)
                if user_col is None and email_col is None:
                    raise _bad_list([ListProblem("no_column", line)])
                continue
            cells = [_clean(record[i]) if i is not None and i < len(record) else "" for i in (user_col, email_col)]
            value = cells[0] or cells[1]
            if value:
                found.append(Identifier(line, value))
            else:
                problems.append(ListProblem("missing", line))
    except csv.Error:
        raise _bad_list([ListProblem("malformed", start)]) from None
    if problems:
        raise _bad_list(problems)
    if not found:
        raise _bad_list([ListProblem("no_rows")])
    return _checked(found)
