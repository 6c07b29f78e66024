"""Writing the users CSV (Moodle's "Upload users" layout): generated passwords, the passwords file, and the export,
which the import reads back."""

from __future__ import annotations

import csv
import io
import re

import pytest

from lectern.platform.rules import MIN_PASSWORD_LENGTH
from lectern.platform.user_import.csv_format import read_users_csv
from lectern.platform.user_import.csv_layout import generate_password, passwords_csv, users_to_csv


def test_generated_passwords() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) >= MIN_PASSWORD_LENGTH
        assert re.fullmatch(r"[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){2,}", password)
        assert not set(password) & set("0Oo1lIi")
    # A generated password passes the file's own rule.
    data = f"username,firstname,lastname,email,password\nx,A,B,x@example.org,{generate_password()}\n"
    assert read_users_csv(data.encode()).ok


def test_passwords_csv_opens_in_excel() -> None:
    data = passwords_csv([("a.ivanov", "Kp7x-m3Rq-tz9W"), ("b.li", "=not-a-formula")])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text == "username,password\r\na.ivanov,Kp7x-m3Rq-tz9W\r\nb.li,=not-a-formula\r\n"


def test_export_and_import_round_trip() -> None:
    users = [
        {"username": "a.ivanov", "firstname": "Алексей", "lastname": "Иванов", "email": "a.ivanov@example.org",
         "lang": "ru", "institution": "Бишкек, академия", "cohort1": "Набор 2026", "cohort2": "Группа \"А\"",
         "course1": "BORDER101", "role1": "student"},
        {"username": "k.omarov", "firstname": "=1+2", "lastname": "-Омаров", "email": "k@example.org",
         "course2": "LAW2", "role2": "editingteacher"},
    ]  # fmt: skip
    data = users_to_csv(users)
    assert data.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == ["username", "firstname", "lastname", "email", "lang", "institution", "cohort1", "cohort2",
                      "course1", "role1", "course2", "role2"]  # fmt: skip
    assert "'=1+2" in data.decode("utf-8-sig")  # Excel shows it as text instead of running it
    result = read_users_csv(data)
    assert result.ok, result.problems
    first, second = result.rows
    assert (first.first_name, first.institution, first.cohorts) == ("Алексей", "Бишкек, академия",
                                                                     ("Набор 2026", 'Группа "А"'))  # fmt: skip
    assert first.courses == (("BORDER101", "cadet"),)
    assert (second.first_name, second.last_name, second.courses) == ("=1+2", "-Омаров", (("LAW2", "instructor"),))


def test_export_with_no_users_and_unknown_key() -> None:
    assert users_to_csv([]).decode("utf-8-sig") == "username,firstname,lastname,email\r\n"
    with pytest.raises(ValueError, match="city"):
        users_to_csv([{"username": "x", "city": "Osh"}])
