"""How every page writes, and every form reads, dates, times, numbers, percentages and file sizes: in the conventions
of the UI language (Babel), times in the timezone of the user's academy (flask_babel rebases them), years with four
digits, grades with one rounding rule.

The templates use these as the filters `datetime`, `date`, `time`, `number` and `filesize` and the function `percent`;
flask_babel's own `datetimeformat`, `dateformat` and `timeformat` and Jinja's `filesizeformat` are taken away, so no
page writes "12/6/26, 4:09 AM" or "1.5 MB" in Russian again."""

from __future__ import annotations

import copy
import decimal
from datetime import date as Date
from datetime import datetime as DateTime
from typing import Literal, overload
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_datetime_format
from babel.numbers import format_decimal
from babel.units import format_unit
from flask import Flask
from flask_babel import format_date, format_time, get_locale, get_timezone

DateWidth = Literal["medium", "long", "full"]
DASH = "\u2013"
# Grades and shares are shown with one decimal at most ("31.3%", "50%"), everywhere: the gradebook, the quiz
# pages, the statistics and the reports.
PERCENT_DECIMALS = 1


def date(value: Date | DateTime, width: DateWidth = "medium") -> str:
    """A day: "Dec 6, 2026" / "6 дек. 2026 г." (medium), "December 6, 2026" (long), with the weekday (full)."""
    return str(format_date(value, width))


def time(value: DateTime) -> str:
    """A time of day in the academy's timezone: "4:09 AM" / "04:09"."""
    return str(format_time(value, "short"))


def datetime(value: DateTime, width: DateWidth = "medium") -> str:
    """A day and a time, joined as the language joins them: "Dec 6, 2026, 4:09 AM" / "6 дек. 2026 г., 04:09"."""
    joined = str(get_datetime_format(width, locale=get_locale() or "en")).replace("'", "")
    return joined.replace("{0}", time(value)).replace("{1}", date(value, width))


def percent(value: float | None) -> str:
    """A grade or a share in percent (0 to 100), as every page writes it: at most PERCENT_DECIMALS decimals,
    rounded half up (31.25 is 31.3, as a teacher rounds), in the language's way ("31.3%", "31,3 %"); a dash for
    none."""
    if value is None:
        return DASH
    locale = get_locale() or Locale.parse("en")
    pattern = copy.copy(locale.percent_formats[None])
    pattern.frac_prec = (0, PERCENT_DECIMALS)
    with decimal.localcontext(rounding=decimal.ROUND_HALF_UP):
        return str(pattern.apply(decimal.Decimal(repr(value)) / 100, locale))


def number(value: float, decimals: int = 1) -> str:
    """A number with at most `decimals` decimals, in the language's way: "1,234.5" / "1 234,5"."""
    locale = get_locale() or Locale.parse("en")
    return str(format_decimal(round(value, decimals), format=f"#,##0.{'#' * decimals}", locale=locale))


# Decimal units, as Jinja's filesizeformat counts (and as the upload limits are written): 1 kB is 1000 bytes.
_SIZE_UNITS = (("digital-gigabyte", 10**9), ("digital-megabyte", 10**6), ("digital-kilobyte", 10**3))


def filesize(size: int) -> str:
    """A file's size in the language's units and numbers: "1.5 MB" / "1,5 МБ" / "850 kB"; bytes below 1 kB."""
    locale = get_locale() or Locale.parse("en")
    for unit, scale in _SIZE_UNITS:
        if size >= scale:
            return str(format_unit(round(size / scale, 1), unit, length="short", format="#,##0.#", locale=locale))
    return str(format_unit(size, "digital-byte", length="short", locale=locale))


def init_app(app: Flask) -> None:
    for name in ("datetimeformat", "dateformat", "timeformat", "filesizeformat"):
        app.jinja_env.filters.pop(name, None)
    app.jinja_env.filters.update(
        datetime=datetime, date=date, time=time, percent=percent, filesize=filesize, number=number
    )
    app.jinja_env.globals["percent"] = percent


def local_zone() -> ZoneInfo:
    """The user's academy timezone, in which forms show and take dates and times."""
    # Flask-Babel hands out pytz zones, whose replace(tzinfo=...) gives the city's 19th-century local mean time.
    return ZoneInfo(str(get_timezone()))


@overload
def from_local(value: DateTime) -> DateTime: ...
@overload
def from_local(value: None) -> None: ...
def from_local(value: DateTime | None) -> DateTime | None:
    """A date and time typed in the user's academy timezone, as an aware instant."""
    return value.replace(tzinfo=local_zone()) if value else None


@overload
def to_local(value: DateTime) -> DateTime: ...
@overload
def to_local(value: None) -> None: ...
def to_local(value: DateTime | None) -> DateTime | None:
    """The reverse of `from_local`, for filling a form."""
    return value.astimezone(local_zone()).replace(tzinfo=None) if value else None
