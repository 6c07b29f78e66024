"""Dates, times and percentages as every page writes them: in the UI language's conventions, four-digit years,
one rounding rule for grades (lectern.platform.formatting)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from lectern.platform import formatting
from lectern.platform.models import Role
from tests.factories import true_or_false

MOMENT = datetime(2026, 12, 6, 4, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Dec 6, 2026, 4:09\u202fAM", "Dec 6, 2026", "December 6, 2026", "Sunday, December 6, 2026"]),
        ("ru", ["6 дек. 2026 г., 04:09", "6 дек. 2026 г.", "6 декабря 2026 г.", "воскресенье, 6 декабря 2026 г."]),
    ],
)
def test_dates_follow_the_language_with_four_digit_years(app, language, expected):
    with app.test_request_context(), force_locale(language):
        written = [
            formatting.datetime(MOMENT),
            formatting.date(MOMENT),
            formatting.date(MOMENT, "long"),
            formatting.date(MOMENT, "full"),
        ]
    assert [w.replace("\u202f", " ") for w in written] == [e.replace("\u202f", " ") for e in expected]


@pytest.mark.parametrize(
    ("value", "en", "ru"),
    [
        (31.25, "31.3%", "31,3\xa0%"),  # half up, as a teacher rounds (Babel's default would give 31.2)
        (68.75, "68.8%", "68,8\xa0%"),
        (100 / 3, "33.3%", "33,3\xa0%"),
        (50, "50%", "50\xa0%"),
        (99.96, "100%", "100\xa0%"),
        (0.0, "0%", "0\xa0%"),
        (None, "\u2013", "\u2013"),
    ],
)
def test_one_rounding_rule_for_percentages(app, value, en, ru):
    with app.test_request_context():
        with force_locale("en"):
            assert formatting.percent(value) == en
        with force_locale("ru"):
            assert formatting.percent(value) == ru


def test_a_grade_reads_the_same_on_every_page(app, client, make):
    """31.25% was "31.25%" in the gradebook and "31.2%" in the reports: now "31.3%" everywhere it is shown."""
    academy = make.academy(timezone="Asia/Bishkek")
    course = make.course(academy.id)
    teacher, cadet = make.user(Role.INSTRUCTOR, academy), make.user(Role.CADET, academy)
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    quiz = make.quiz(course.id, true_or_false(16), title="Passports", pass_percent=60.0).id
    attempt = make.attempt(quiz, cadet.id, [True] * 5 + [False] * 11).id  # 5 of 16: 31.25%
    pages = {
        teacher.username: [
            f"/courses/{course.id}/gradebook",
            f"/courses/{course.id}/quizzes/{quiz}/results",
            f"/courses/{course.id}/quizzes/{quiz}/attempts/{attempt}/grade",
            f"/courses/{course.id}/quizzes/{quiz}/statistics",
            f"/reports/courses/{course.id}",
        ],
        cadet.username: [
            f"/courses/{course.id}/quizzes/{quiz}",
            f"/courses/{course.id}/quizzes/attempts/{attempt}/review",
        ],
    }
    for username, urls in pages.items():
        client.login(username)
        for url in urls:
            html = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
            assert "31.3%" in html and "31.25" not in html and "31.2%" not in html, url
            assert not any(short in html for short in ("/26,", "/26<", "/26 ")), url  # no two-digit years
        client.post("/logout", data={"csrf_token": client.csrf_token(urls[0])})


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["12 byte", "850 kB", "1.5 MB", "2 GB", "1,234.5", "0.33333"]),
        ("ru", ["12 Б", "850 кБ", "1,5 МБ", "2 ГБ", "1\xa0234,5", "0,33333"]),
        ("kk", ["12 байт", "850 кБ", "1,5 MБ", "2 ГБ", "1\xa0234,5", "0,33333"]),
    ],
)
def test_file_sizes_and_numbers_follow_the_language(app, language, expected):
    """Sizes and marks are written by Babel for the UI language: "1,5 МБ", not Jinja's "1.5 MB" everywhere."""
    with app.test_request_context(), force_locale(language):
        written = [formatting.filesize(n) for n in (12, 850_000, 1_500_000, 2_000_000_000)]
        written += [formatting.number(1234.5), formatting.number(1 / 3, 5)]
    assert written == expected


def test_no_template_writes_a_size_or_a_mark_in_english_only(app):
    """Jinja's filesizeformat is taken away, as flask_babel's date filters are (`lectern.platform.formatting`)."""
    assert "filesizeformat" not in app.jinja_env.filters
    assert {"filesize", "number"} <= set(app.jinja_env.filters)
