"""Reading an uploaded users CSV (the layout of `csv_layout`, Moodle's "Upload users") and checking it. Pure.

This module checks what the file alone can tell: encoding, delimiter, columns, each row's fields, and duplicates
within the file. It knows nothing of the database: whether a username or e-mail is already taken, and whether
a cohort, course or academy (``institution``) exists and the administrator may use it, are the caller's checks, made
in the same transaction that applies the rows.

Every problem carries a stable ``code`` and ``params`` beside its short English ``message``, so the view can show
a translated text.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from difflib import get_close_matches

from email_validator import EmailNotValidError, validate_email

from lectern.config import LANGUAGES
from lectern.platform.rules import MIN_PASSWORD_LENGTH, USERNAME_RE
from lectern.platform.spreadsheet import FORMULA_START
from lectern.platform.user_import.csv_layout import (
    ACTIONS,
    COURSE_ROLES,
    DELIMITERS,
    IGNORED,
    IGNORED_NUMBERED,
    MAX_LENGTH,
    NUMBERED,
    OPTIONAL,
    OTHER_MAX_LENGTH,
    PROFILE_FIELD,
    REQUIRED,
    numbered_columns,
)


@dataclasses.dataclass(frozen=True)
class FileProblem:
    """Something wrong with the whole file (encoding, delimiter, columns); `line` where one line is to blame."""

    code: str
    message: str
    line: int | None = None
    params: Mapping[str, object] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclasses.dataclass(frozen=True)
class RowProblem:
    """Something wrong in one row: its physical line in the file, and the column (empty: the whole row)."""

    line: int
    field: str
    message: str
    code: str = "invalid"
    params: Mapping[str, object] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"


@dataclasses.dataclass(frozen=True)
class CsvRow:
    """A row that passed every check this module can make. Username and e-mail are lower-cased, as services keep
    them; `courses` pairs a course's short name or title with one of "cadet", "instructor", "assistant"."""

    line: int
    username: str
    first_name: str
    last_name: str
    email: str
    password: str | None
    language: str | None
    institution: str | None
    cohorts: tuple[str, ...] = ()
    courses: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass
class CsvResult:
    """The rows that passed and every problem found (file-level first, then by line). Apply only when `ok`."""

    rows: list[CsvRow]
    problems: list[RowProblem | FileProblem]
    delimiter: str
    columns: list[str]
    filename: str = ""
    # What is worth knowing but stops nothing: the Moodle columns that are ignored, one warning each.
    warnings: list[FileProblem] = dataclasses.field(default_factory=list)
    # Every data row's cells by column, cleaned as the checks see them (passwords left out), by physical line: a
    # preview shows each row, the ones with problems too.
    lines: dict[int, dict[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems_by_line(self) -> dict[int, list[RowProblem]]:
        """Row problems grouped by line, for a preview that lists each row's outcome."""
        grouped: dict[int, list[RowProblem]] = defaultdict(list)
        for problem in self.problems:
            if isinstance(problem, RowProblem):
                grouped[problem.line].append(problem)
        return dict(grouped)


def read_users_csv(data: bytes, *, filename: str = "") -> CsvResult:
    """Read and check an uploaded users file. Never raises for any input: what is wrong becomes a problem."""
    result = CsvResult(rows=[], problems=[], delimiter=",", columns=[], filename=filename)
    text = _decode(data, filename, result.problems)
    if text is not None:
        _read(text, result)
    result.problems.sort(key=lambda p: (isinstance(p, RowProblem), p.line or 0))
    return result


def _decode(data: bytes, filename: str, problems: list[RowProblem | FileProblem]) -> str | None:
    """UTF-8, with or without a BOM. Anything else is named, not guessed at: a wrong guess would store wrong names."""

    def fail(code: str, message: str, line: int | None = None, **params: object) -> None:
        problems.append(FileProblem(code, message, line, params))

    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or filename.lower().endswith((".xlsx", ".xls", ".ods")):
        fail("spreadsheet", "this is a spreadsheet, not CSV: save it as CSV UTF-8")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > len(data[:200]) // 4:
        # Excel's "Unicode Text" is UTF-16: many NUL bytes, one before or after each Latin letter.
        fail("encoding", "the file is UTF-16: save it as CSV UTF-8", encoding="UTF-16")
    elif b"\x00" in data:
        fail("binary", "the file is not text", line=data.count(b"\n", 0, data.index(b"\x00")) + 1)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            legacy = _legacy_encoding(data)
            hint = f" (it looks like {legacy})" if legacy else ""
            fail("encoding", f"the file is not UTF-8{hint}: save it as CSV UTF-8", line, encoding=legacy or "")
            return None
        if not text.strip():
            fail("empty", "the file is empty")
            return None
        return text
    return None


def _legacy_encoding(data: bytes) -> str | None:
    """Name the Russian single-byte encoding the bytes look like, or None. Both put letters at 0xC0-0xFF, cases
    swapped; ordinary text has far more small letters than capitals, so the busier half tells which."""
    high = [b for b in data if b >= 0x80]
    letters = [b for b in high if b >= 0xC0 or b in (0xA8, 0xB8, 0xA3, 0xB3)]  # Ё/ё in either
    # Cyrillic words are runs of high bytes; Latin-1 accents (é in "été") stand alone between ASCII letters.
    pairs = sum(1 for a, b in itertools.pairwise(data) if a >= 0x80 and b >= 0x80)
    if not high or len(letters) < 0.8 * len(high) or 2 * pairs < len(high):
        return None
    lower_in_top_half = sum(1 for b in letters if b >= 0xE0)
    return "Windows-1251" if 2 * lower_in_top_half >= len(letters) else "KOI8-R"


def _clean(cell: str) -> str:
    # Excel runs a cell starting with FORMULA_START as a formula: exported values get a quote before them (OWASP's
    # advice on CSV injection), and the reader takes that quote away again so that a round trip keeps the value.
    # NFC: macOS writes letters such as Й decomposed, and the same name must find the same user.
    cell = unicodedata.normalize("NFC", cell.strip())
    if cell.startswith("'") and cell[1:2] in FORMULA_START:
        cell = cell[1:]
    return cell


def _read(text: str, result: CsvResult) -> None:
    start = 1  # the physical line where the next record begins; a quoted cell may hold line breaks
    header: list[str] | None = None
    candidates: list[CsvRow | None] = []
    keys: dict[str, dict[str, list[int]]] = {"username": defaultdict(list), "email": defaultdict(list)}
    try:
        # Chosen on the header alone: names and titles in the rows may hold commas.
        first = next((line for line in text.splitlines() if line.strip()), "")
        result.delimiter = max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=result.delimiter)
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines, and the ";;;;" rows Excel leaves
            if header is None:
                header = [cell.strip().lower() for cell in record]
                while header and not header[-1]:
                    header.pop()  # Excel pads the header with empty cells when a row is wider
                result.columns = header
                if not _check_header(header, line, result):
                    return
                continue
            row = _check_row(line, record, header, result.problems)
            candidates.append(row)
            values = dict(zip(header, record, strict=False))
            result.lines[line] = {name: _clean(cell) for name, cell in values.items() if name != "password"}
            for key in keys:
                value = _clean(values.get(key, "")).lower()
                if value:
                    keys[key][value].append(line)
    except csv.Error as exc:
        # csv refuses only what it cannot read at all (a cell over its size limit): no row of such a file is kept.
        result.problems.append(FileProblem("malformed", f"the file cannot be read as CSV ({exc})", start))
        return
    if header is None:
        result.problems.append(FileProblem("empty", "the file is empty"))
        return
    duplicated: set[int] = set()
    for key, label in (("username", "username"), ("email", "e-mail")):
        for value, lines in keys[key].items():
            if len(lines) > 1:
                params = {"value": value, "lines": ", ".join(map(str, lines))}
                message = f"the same {label} is on lines {params['lines']}"
                duplicated.update(lines)
                result.problems.extend(RowProblem(n, key, message, f"duplicate_{key}", params) for n in lines)
    result.rows = [row for row in candidates if row is not None and row.line not in duplicated]
    if not candidates:
        result.problems.append(FileProblem("no_rows", "the file has a header but no users"))


def _check_header(header: list[str], line: int, result: CsvResult) -> bool:
    """Report what is wrong with the header; False when rows cannot be read under it at all."""

    def fail(code: str, message: str, **params: object) -> None:
        result.problems.append(FileProblem(code, message.format(**params), line, params))

    if len(header) == 1 and (other := re.findall(r"[^\w]", header[0])):
        # One column holding several names: another delimiter (|, space), or the whole line in quotes.
        sep = max(set(other), key=other.count)
        fail(
            "wrong_delimiter",
            "wrong delimiter: the columns seem separated by {delimiter!r}; use commas, semicolons or tabs",
            delimiter=sep,
        )
        return False
    if "" in header:
        fail("unnamed_column", "column {number} has no name", number=header.index("") + 1)
        return False
    if twice := sorted({name for name in header if header.count(name) > 1}):
        fail("duplicate_columns", "columns named twice: {columns}", columns=", ".join(twice))
        return False
    unknown = []
    for name in header:
        if name in REQUIRED + OPTIONAL or name in ACTIONS or NUMBERED.fullmatch(name):
            continue
        if name in IGNORED or IGNORED_NUMBERED.fullmatch(name) or PROFILE_FIELD.fullmatch(name):
            params = {"column": name}
            message = "column {column!r} is not used by Lectern: it is ignored".format(**params)
            result.warnings.append(FileProblem("ignored_column", message, line, params))
        else:
            unknown.append(name)
    if unknown:
        # Reported, and rows still read so that the preview shows their problems too.
        known = [*REQUIRED, *OPTIONAL]
        hints = [f"{n} ({near[0]}?)" if (near := get_close_matches(n, known, 1, 0.75)) else n for n in unknown]
        fail("unknown_columns", "unknown columns: {columns}", columns=", ".join(hints))
    if missing := [name for name in REQUIRED if name not in header]:
        fail("missing_columns", "required columns missing: {columns}", columns=", ".join(missing))
        return False
    return True


def _check_row(
    line: int, record: list[str], header: list[str], problems: list[RowProblem | FileProblem]
) -> CsvRow | None:
    """Check one row; its problems go to `problems`, and it comes back only when it has none."""
    found: list[RowProblem] = []

    def fail(column: str, code: str, message: str, **params: object) -> None:
        # The message is a template over the params (values typed by users are never formatted themselves).
        found.append(RowProblem(line, column, message.format(**params), code, params))

    if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
        fail(
            "",
            "too_many_cells",
            "the row has {cells} cells, the header {columns}",
            cells=len(record),
            columns=len(header),
        )
    values = {name: _clean(cell) for name, cell in zip(header, record, strict=False)}
    # Passwords are kept exactly as typed: only the stripping of an Excel formula guard would change them.
    raw_password = dict(zip(header, record, strict=False)).get("password", "")
    values["password"] = raw_password if raw_password.strip() else ""

    for name, value in values.items():
        limit = MAX_LENGTH.get(name, OTHER_MAX_LENGTH)
        if len(value) > limit:
            fail(name, "too_long", "too long: at most {max} characters", max=limit)
    too_long = {p.field for p in found}
    for name in ACTIONS:
        if values.get(name, "") not in ("", "0"):
            fail(name, "moodle_action", "the import only creates users: it does not act on {name!r}", name=name)
    for name in REQUIRED:
        if not values.get(name):
            fail(name, "required", "required")

    username = values.get("username", "").lower()
    if username and "username" not in too_long and not USERNAME_RE.fullmatch(username):
        fail("username", "bad_username", "use Latin letters, digits, dots, hyphens and underscores")
    email = values.get("email", "")
    if email and "email" not in too_long:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            fail("email", "bad_email", "not an e-mail address ({reason})", reason=str(exc))
    password = values["password"] or None
    if password and len(password) < MIN_PASSWORD_LENGTH:
        fail("password", "short_password", "too short: at least {min} characters", min=MIN_PASSWORD_LENGTH)
    language = values.get("lang", "").lower() or None
    if language and language not in LANGUAGES:
        fail(
            "lang",
            "unknown_language",
            "unknown language {value!r}: use {allowed}",
            value=language,
            allowed=", ".join(LANGUAGES),
        )

    numbered = numbered_columns(values)
    courses = []
    for n in sorted(numbered["course"].keys() | numbered["role"].keys()):
        course, role = numbered["course"].get(n), numbered["role"].get(n, "student")
        if course is None:
            fail(f"role{n}", "role_without_course", "a role without a course (course{number} is empty)", number=n)
        elif role.lower() not in COURSE_ROLES:
            fail(
                f"role{n}",
                "unknown_role",
                "unknown role {value!r}: use {allowed}",
                value=role,
                allowed=", ".join(COURSE_ROLES),
            )
        else:
            courses.append((course, COURSE_ROLES[role.lower()]))

    problems.extend(found)
    if found:
        return None
    return CsvRow(
        line=line,
        username=username,
        first_name=values["firstname"],
        last_name=values["lastname"],
        email=email.lower(),
        password=password,
        language=language,
        institution=values.get("institution") or None,
        cohorts=tuple(numbered["cohort"][n] for n in sorted(numbered["cohort"])),
        courses=tuple(courses),
    )
