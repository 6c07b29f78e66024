"""Reading the users CSV (Moodle's "Upload users" layout): good files in every dialect, each bad case named by line
and field, and no exception for any bytes at all."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lectern.platform.rules import MIN_PASSWORD_LENGTH, USERNAME_RE
from lectern.platform.user_import.csv_format import CsvResult, CsvRow, FileProblem, RowProblem, read_users_csv
from lectern.platform.user_import.csv_layout import numbered_columns

HEADER = "username,firstname,lastname,email,password,lang,institution,cohort1,course1,role1,course2,role2"
GOOD = (
    HEADER + "\n"
    "a.ivanov,Алексей,Иванов,a.ivanov@example.org,,ru,Bishkek Academy,Intake 2026,BORDER101,student,,\n"
    "b.sydykova,Бегимай,Сыдыкова,B.Sydykova@Example.ORG,a long password,,,Intake 2026,BORDER101,student,LAW2,\n"
    'k.omarov,"Омаров, Кайрат",Омаров,k.omarov@example.org,,en,,,BORDER101,editingteacher,LAW2,teacher\n'
)


def only(result: CsvResult) -> FileProblem | RowProblem:
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


def test_the_csv_reader_and_the_user_form_accept_the_same_usernames() -> None:
    for name in ("a.ivanov", "x_1-2", "-bad", "bad name", "иванов", ".dot"):
        assert (
            bool(USERNAME_RE.fullmatch(name))
            == read_users_csv(f"username,firstname,lastname,email\n{name},A,B,a@example.org\n".encode()).ok
        )


def test_good_file_in_moodle_layout() -> None:
    result = read_users_csv(GOOD.encode(), filename="intake.csv")
    assert result.ok, result.problems
    assert result.delimiter == ","
    assert result.columns == HEADER.split(",")
    assert [row.line for row in result.rows] == [2, 3, 4]
    first, second, third = result.rows
    assert first == CsvRow(
        line=2,
        username="a.ivanov",
        first_name="Алексей",
        last_name="Иванов",
        email="a.ivanov@example.org",
        password=None,
        language="ru",
        institution="Bishkek Academy",
        cohorts=("Intake 2026",),
        courses=(("BORDER101", "cadet"),),
    )
    assert second.email == "b.sydykova@example.org"
    assert second.password == "a long password"
    assert second.language is None and second.institution is None
    assert second.courses == (("BORDER101", "cadet"), ("LAW2", "cadet"))  # an empty role is Moodle's student
    assert third.first_name == "Омаров, Кайрат"
    assert third.courses == (("BORDER101", "instructor"), ("LAW2", "assistant"))


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files(delimiter: str) -> None:
    data = GOOD.replace(",", delimiter).replace(f'"Омаров{delimiter} Кайрат"', '"Омаров, Кайрат"')
    result = read_users_csv(data.encode())
    assert result.ok, result.problems
    assert result.delimiter == delimiter
    assert [row.username for row in result.rows] == ["a.ivanov", "b.sydykova", "k.omarov"]
    assert result.rows[2].first_name == "Омаров, Кайрат"


def test_excel_file_with_bom_crlf_padding_and_header_case() -> None:
    data = (
        " UserName ;FirstName;LASTNAME;Email;Role1;Course1;;\r\n"
        "\r\n"
        "p.petrov ; Пётр ;Петров;p.petrov@example.org;Cadet;BORDER101;;\r\n"
        ";;;;;;;\r\n"
        "'=cmd,evil;Анна;Смирнова;a@example.org;;;;\r\n"
    ).encode("utf-8-sig")
    result = read_users_csv(data)
    assert result.columns == ["username", "firstname", "lastname", "email", "role1", "course1"]
    assert result.rows[0] == CsvRow(3, "p.petrov", "Пётр", "Петров", "p.petrov@example.org", None, None, None,
                                    (), (("BORDER101", "cadet"),))  # fmt: skip
    # The Excel formula guard is taken off again; the value is still no username.
    assert result.problems == [RowProblem(5, "username", "use Latin letters, digits, dots, hyphens and underscores",
                                          "bad_username")]  # fmt: skip


def test_decomposed_letters_are_composed() -> None:
    result = read_users_csv("username,firstname,lastname,email\nx,Й,Ё,x@example.org\n".encode())
    assert result.rows[0].first_name == "\u0419" and result.rows[0].last_name == "\u0401"
    nfd = "username,firstname,lastname,email\nx,\u0418\u0306,E,x@example.org\n".encode()
    assert read_users_csv(nfd).rows[0].first_name == "\u0419"


def test_quoted_newline_keeps_physical_line_numbers() -> None:
    data = 'username,firstname,lastname,email\n\na,"Two\nlines",B,a@example.org\n\nb,C,D,not-an-email\n'
    result = read_users_csv(data.encode())
    assert result.rows[0].line == 3
    problem = only(result)
    assert isinstance(problem, RowProblem)
    assert (problem.line, problem.field, problem.code) == (6, "email", "bad_email")
    assert str(problem).startswith("line 6, email: not an e-mail address")


MINIMAL = "username,firstname,lastname,email,password,lang,course1,role1,course2,role2\n"


@pytest.mark.parametrize(
    ("row", "field", "code", "message"),
    [
        (",Анна,Смирнова,a@example.org,,,,,,", "username", "required", "required"),
        ("anna,,Смирнова,a@example.org,,,,,,", "firstname", "required", "required"),
        ("anna,Анна,,a@example.org,,,,,,", "lastname", "required", "required"),
        ("anna,Анна,Смирнова,,,,,,,", "email", "required", "required"),
        ("Анна,Анна,Смирнова,a@example.org,,,,,,", "username", "bad_username", "use Latin letters"),
        ("anna smirnova,Анна,Смирнова,a@example.org,,,,,,", "username", "bad_username", "use Latin letters"),
        ("anna,Анна,Смирнова,anna@,,,,,,", "email", "bad_email", "not an e-mail address"),
        ("anna,Анна,Смирнова,a@example.org,short,,,,,", "password", "short_password", "too short: at least 10"),
        ("anna,Анна,Смирнова,a@example.org,,de,,,,", "lang", "unknown_language", "unknown language 'de'"),
        ("anna,Анна,Смирнова,a@example.org,,,C1,manager,,", "role1", "unknown_role", "unknown role 'manager'"),
        ("anna,Анна,Смирнова,a@example.org,,,C1,student,,teacher", "role2", "role_without_course", "course2 is empty"),
        ("a" * 65 + ",Анна,Смирнова,a@example.org,,,,,,", "username", "too_long", "at most 64 characters"),
        ("anna," + "А" * 101 + ",Смирнова,a@example.org,,,,,,", "firstname", "too_long", "at most 100"),
        ("anna,Анна," + "С" * 101 + ",a@example.org,,,,,,", "lastname", "too_long", "at most 100"),
        ("anna,Анна,Смирнова," + "a" * 250 + "@example.org,,,,,,", "email", "too_long", "at most 254"),
        ("anna,Анна,Смирнова,a@example.org,,,,,,,extra", "", "too_many_cells", "the row has 11 cells, the header 10"),
    ],
)
def test_bad_row(row: str, field: str, code: str, message: str) -> None:
    good = "ok.user,Ок,Юзер,ok@example.org,,,,,,\n"
    result = read_users_csv((MINIMAL + good + row + "\n").encode())
    problem = only(result)
    assert isinstance(problem, RowProblem)
    assert (problem.line, problem.field, problem.code) == (3, field, code)
    assert message in problem.message
    assert [row.username for row in result.rows] == ["ok.user"]  # the bad row is not among them
    assert not result.ok


def test_one_row_can_have_several_problems() -> None:
    result = read_users_csv((MINIMAL + ",,Смирнова,bad,123,xx,,student,,\n").encode())
    assert {(p.field, p.code) for p in result.problems if isinstance(p, RowProblem)} == {
        ("username", "required"),
        ("firstname", "required"),
        ("email", "bad_email"),
        ("password", "short_password"),
        ("lang", "unknown_language"),
        ("role1", "role_without_course"),
    }
    assert result.problems_by_line.keys() == {2}


def test_duplicates_within_the_file_name_every_line() -> None:
    data = (
        "username,firstname,lastname,email\n"
        "anna,Анна,Смирнова,anna@example.org\n"
        "boris,Борис,Ли,boris@example.org\n"
        "ANNA,Анна,Другая,other@example.org\n"
        "vera,Вера,Ким,Boris@Example.org\n"
    )
    result = read_users_csv(data.encode())
    found = sorted((p.line, p.field, p.code, p.message) for p in result.problems if isinstance(p, RowProblem))
    assert found == [
        (2, "username", "duplicate_username", "the same username is on lines 2, 4"),
        (3, "email", "duplicate_email", "the same e-mail is on lines 3, 5"),
        (4, "username", "duplicate_username", "the same username is on lines 2, 4"),
        (5, "email", "duplicate_email", "the same e-mail is on lines 3, 5"),
    ]
    assert result.rows == []


@pytest.mark.parametrize(
    ("data", "code", "message", "line"),
    [
        (
            "username,firstname,lastname,email\nivanov,Иван,Иванов,i@example.org\n".encode("cp1251"),
            "encoding",
            "the file is not UTF-8 (it looks like Windows-1251): save it as CSV UTF-8",
            2,
        ),
        (
            "username,firstname,lastname,email\nivanov,Иван,Иванов,i@example.org\n".encode("koi8_r"),
            "encoding",
            "the file is not UTF-8 (it looks like KOI8-R): save it as CSV UTF-8",
            2,
        ),
        (b"username,firstname\nx,\xe9t\xe9\n", "encoding", "the file is not UTF-8: save it as CSV UTF-8", 2),
        ("username\tfirstname\n".encode("utf-16"), "encoding", "the file is UTF-16: save it as CSV UTF-8", None),
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet", "this is a spreadsheet, not CSV: save it as CSV UTF-8", None),
        (b"username,first\x00name\n" + b"x" * 100, "binary", "the file is not text", 1),
        (b"", "empty", "the file is empty", None),
        (b"\xef\xbb\xbf \r\n\r\n", "empty", "the file is empty", None),
        (b"username,firstname,lastname,email\n\n", "no_rows", "the file has a header but no users", None),
        (
            b"username|firstname|lastname|email\nx|A|B|x@example.org\n",
            "wrong_delimiter",
            "wrong delimiter: the columns seem separated by '|'; use commas, semicolons or tabs",
            1,
        ),
        (
            b'"username,firstname,lastname,email"\nx,A,B,x@example.org\n',
            "wrong_delimiter",
            "wrong delimiter: the columns seem separated by ','; use commas, semicolons or tabs",
            1,
        ),
        (b"username,firstname,email\nx,A,x@example.org\n", "missing_columns", "required columns missing: lastname", 1),
        (b"\nusername,firstname,,email\n", "unnamed_column", "column 3 has no name", 2),
        (b"username,firstname,lastname,email,Email\n", "duplicate_columns", "columns named twice: email", 1),
        (b"username,firstname,lastname,email\n" + b'x,"' + b"a" * 200_000 + b'"\n', "malformed", "cannot be read", 2),
    ],
)
def test_bad_file(data: bytes, code: str, message: str, line: int | None) -> None:
    result = read_users_csv(data)
    problem = only(result)
    assert isinstance(problem, FileProblem)
    assert (problem.code, problem.line) == (code, line)
    assert message in problem.message
    assert result.rows == [] and not result.ok


def test_spreadsheet_named_by_its_extension() -> None:
    assert only(read_users_csv(b"anything", filename="Intake.XLSX")).code == "spreadsheet"


def test_unknown_columns_are_named_and_rows_still_checked() -> None:
    data = b"username,firstname,lastname,email,shoe size,Emial,type1\nx,A,B,bad\ny,C,D,y@example.org\n"
    result = read_users_csv(data)
    assert [(type(p), p.code, p.line) for p in result.problems] == [
        (FileProblem, "unknown_columns", 1),
        (RowProblem, "bad_email", 2),
    ]
    assert result.problems[0].message == "unknown columns: shoe size, emial (email?)"
    assert result.problems[0].params == {"columns": "shoe size, emial (email?)"}
    assert [row.username for row in result.rows] == ["y"]
    assert not result.ok


MOODLE_PROFILE = (
    "city,country,idnumber,department,phone1,phone2,address,description,auth,enrolperiod1,group1,timezone,"
    "course2,role2,group2,type2,profile_field_rank"
)


def test_moodles_unused_profile_columns_are_ignored_with_one_warning_each() -> None:
    data = (
        f"username,firstname,lastname,email,lang,course1,{MOODLE_PROFILE}\n"
        'anna,Анна,Смирнова,a@example.org,ru,C1,Rezekne,LV,A-17,Customs,+371 1,,"Iela 1, Rēzekne",Hi,manual,30,'
        "G1,Europe/Riga,C2,student,G2,1,Sergeant\n"
    ).encode()
    result = read_users_csv(data)
    assert result.problems == []
    assert result.ok
    unused = [c for c in MOODLE_PROFILE.split(",") if c not in ("course2", "role2")]
    assert [(w.code, w.line, w.params["column"]) for w in result.warnings] == [("ignored_column", 1, c) for c in unused]
    assert result.warnings[0].message == "column 'city' is not used by Lectern: it is ignored"
    (row,) = result.rows
    assert (row.username, row.language, row.courses) == ("anna", "ru", (("C1", "cadet"), ("C2", "cadet")))


@pytest.mark.parametrize(("column", "value"), [("deleted", "1"), ("suspended", "1"), ("oldusername", "anna.old")])
def test_moodles_columns_that_act_on_users_refuse_the_row_that_uses_them(column: str, value: str) -> None:
    # Empty or 0, the column is accepted and the row creates its user; set, it would delete, suspend or rename.
    data = f"username,firstname,lastname,email,{column}\nanna,A,B,a@example.org,\nboris,B,C,b@example.org,{value}\n"
    result = read_users_csv(data.encode())
    assert result.warnings == []
    assert [r.username for r in result.rows] == ["anna"]
    (problem,) = result.problems
    assert (problem.code, problem.line, problem.field) == ("moodle_action", 3, column)
    assert problem.params == {"name": column}


def test_a_misspelled_required_column_is_still_refused_by_name() -> None:
    result = read_users_csv(b"usrname,firstname,lastname,email,city\nanna,A,B,a@example.org,Riga\n")
    assert [str(p) for p in result.problems if isinstance(p, FileProblem)] == [
        "line 1: unknown columns: usrname (username?)",
        "line 1: required columns missing: username",
    ]
    assert [w.params["column"] for w in result.warnings] == ["city"]
    assert not result.ok


def test_problem_params_let_the_view_translate() -> None:
    problem = only(read_users_csv(f"{MINIMAL}anna,A,B,a@example.org,short,,,,,\n".encode()))
    assert problem.code == "short_password"
    assert problem.params == {"min": MIN_PASSWORD_LENGTH}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_result(data: bytes) -> None:
    assert isinstance(read_users_csv(data), CsvResult)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["x", "a@b.org", "", " ", "\"", "'", "=", ",", ";", "\t", "\n", "\r", "Ё", "student",
                                  "course1", "role1", "username", "email", "0123456789"]), max_size=8),
        max_size=8,
    ),
    st.sampled_from(["username,firstname,lastname,email,password,lang,course1,role1,cohort1\n", ""]),
)  # fmt: skip
def test_any_csv_like_text_gives_a_result(cells: list[list[str]], header: str) -> None:
    # Random bytes rarely look like CSV; these do, so the row checks are reached too.
    text = header + "\n".join(",".join(row) for row in cells)
    result = read_users_csv(text.encode())
    assert result.ok == (not result.problems)
    assert all(row.username == row.username.lower() for row in result.rows)


def test_every_data_row_is_kept_for_the_preview_without_its_password() -> None:
    data = (
        "username,firstname,lastname,email,password,cohort1,cohort3,course2,role2\n"
        "Anna,' Анна ,Смирнова,bad,secret password,Intake,,Law,teacher\n"
        "\n"
        "boris,Борис,Ли,b@example.org,,,Night,,\n"
    )
    result = read_users_csv(data.encode())
    assert sorted(result.lines) == [2, 4]
    assert "password" not in result.lines[2]
    assert result.lines[2]["username"] == "Anna" and result.lines[2]["email"] == "bad"
    assert numbered_columns(result.lines[2]) == {"cohort": {1: "Intake"}, "course": {2: "Law"}, "role": {2: "teacher"}}
    assert numbered_columns(result.lines[4]) == {"cohort": {3: "Night"}, "course": {}, "role": {}}
