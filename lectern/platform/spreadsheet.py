"""CSV files for spreadsheets: UTF-8 with a BOM and CRLF, as Excel expects, and text cells that can never run as
formulas. Every CSV export (users, gradebook, attendance) writes through here; `downloads.csv_download` sends it.
Pure: no Flask."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection); tab and CR too.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell as a spreadsheet shows it, never runs it."""
    return "'" + value if value.startswith(FORMULA_START) else value


def number_cell(value: float | None) -> str:
    """A figure to 2 decimals without trailing zeros ("75", "66.67"); empty for none."""
    return "" if value is None else f"{round(value, 2):g}"


def csv_bytes(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # what Excel writes and expects
    writer.writerow(header)
    writer.writerows(rows)
    # The BOM tells Excel the file is UTF-8; without it Cyrillic names open as mojibake.
    return out.getvalue().encode("utf-8-sig")
