"""Bulk upload of users from CSV through the browser's pages: preview, apply, one-time passwords, every bad file and
row named with its reason, nothing written from a refused file, and academy scoping."""

from __future__ import annotations

import base64
import csv
import html
import io
import re

import pytest
from sqlalchemy import func, select

from lectern.extensions import db
from lectern.platform.models import AuditEntry, Cohort, CohortMember, Role, User
from lectern.platform.user_import import services as user_import
from lectern.platform.user_import.csv_format import read_users_csv

URL = "/admin/users/import"
HEADER = "username,firstname,lastname,email,password,lang,institution,cohort1,cohort2,course1,role1"


@pytest.fixture
def setup(make, app):
    """Two academies; at home a cohort enrolled in a course, a Cyrillic cohort, and a second course."""
    from lectern.courses.enrolment import cohort_sync
    from lectern.courses.models import Course

    home = make.academy(name="State Border Guard College", slug="rezekne")
    other = make.academy(name="Border Service Training Centre", slug="bishkek", timezone="Asia/Bishkek")
    admin = make.user(Role.ACADEMY_ADMIN, home, username="l.kalnina")
    intake = make.cohort(home, "Intake 2026")
    make.cohort(home, "Набор 2026")
    make.cohort(other, "Intake 2026")
    basics = make.course(home.id, title="Border control basics")
    law = make.course(home.id, title="Customs law")
    make.course(other.id, title="Customs law")
    with app.app_context():
        cohort_sync.enrol_cohort(db.session, None, db.session.get(Course, basics.id), db.session.get(Cohort, intake.id))
        db.session.commit()
    return {"home": home, "other": other, "admin": admin, "intake": intake, "basics": basics, "law": law}


def upload(client, content, academy_id, name="intake.csv"):
    data = content if isinstance(content, bytes) else content.encode()
    return client.submit(
        URL, {"file": (io.BytesIO(data), name), "academy_id": str(academy_id)}, content_type="multipart/form-data"
    )


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def apply(client, preview_page: str):
    fields = {name: hidden(preview_page, name) for name in ("content", "filename", "academy_id")}
    return client.submit(f"{URL}/apply", fields, page=URL)


def row_html(page: str, line: int) -> str:
    match = re.search(rf'<tr id="line-{line}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert match, f"line {line} is not in the preview"
    return html.unescape(match.group(1))


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


GOOD = (
    HEADER + "\n"
    "a.ivanov,Алексей,Иванов,A.Ivanov@example.org,,ru,,intake 2026,НАБОР 2026,CUSTOMS LAW,student\n"
    "l.ozola,Līga,Ozola,l.ozola@example.org,a long first password,en,rezekne,,,Border control basics,editingteacher\n"
)


def test_a_good_file_creates_the_intake(client, app, setup):
    from lectern.courses.models import CourseRole, CourseStaff, Enrolment, EnrolmentMethod

    home = setup["home"]
    client.login(setup["admin"].username)
    preview = upload(client, GOOD, home.id)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert preview.headers["Cache-Control"] == "no-store"
    assert page.count("will be created") == 2
    assert "Create 2 users" in page
    assert user_count(app) == 1  # the preview writes nothing

    done = apply(client, page)
    result = done.get_data(as_text=True)
    assert done.status_code == 200, result
    assert done.headers["Cache-Control"] == "no-store"
    assert "2 users created from intake.csv" in result

    with app.app_context():
        ivanov = db.session.scalar(select(User).where(User.username == "a.ivanov"))
        ozola = db.session.scalar(select(User).where(User.username == "l.ozola"))
        assert (ivanov.academy_id, ivanov.language, ivanov.role, ivanov.email) == (
            home.id,
            "ru",
            Role.CADET,
            "a.ivanov@example.org",
        )
        assert (ozola.academy_id, ozola.language, ozola.role) == (home.id, "en", Role.INSTRUCTOR)
        cohorts = db.session.scalars(
            select(Cohort.name).join(CohortMember).where(CohortMember.user_id == ivanov.id).order_by(Cohort.name)
        ).all()
        assert cohorts == ["Intake 2026", "Набор 2026"]
        enrolments = {
            e.course_id: e.method for e in db.session.scalars(select(Enrolment).where(Enrolment.user_id == ivanov.id))
        }
        # The cohort's course through the sync, the file's course by hand.
        assert enrolments == {setup["basics"].id: EnrolmentMethod.COHORT, setup["law"].id: EnrolmentMethod.MANUAL}
        staff = db.session.scalars(select(CourseStaff).where(CourseStaff.user_id == ozola.id)).all()
        assert [(s.course_id, s.role) for s in staff] == [(setup["basics"].id, CourseRole.INSTRUCTOR)]
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.import")).one()
        assert (entry.actor_id, entry.academy_id) == (setup["admin"].id, home.id)
        assert entry.details["file"] == "intake.csv" and entry.details["count"] == 2

    # The generated password is offered once, in the page, as a data: URL download.
    href = html.unescape(re.search(r'id="passwords-download" href="([^"]+)"', result).group(1))
    assert href.startswith("data:text/csv;charset=utf-8;base64,")
    rows = list(csv.reader(io.StringIO(base64.b64decode(href.split(",", 1)[1]).decode("utf-8-sig"))))
    assert rows[0] == ["username", "password"] and [r[0] for r in rows[1:]] == ["a.ivanov"]
    password = rows[1][1]

    # Sending the same form again creates nothing and offers no password.
    again = apply(client, page)
    assert again.status_code == 422
    assert "passwords-download" not in again.get_data(as_text=True)
    assert user_count(app) == 3

    client.submit("/logout", page="/admin/users")
    assert client.login("a.ivanov", password).status_code == 302
    client.submit("/logout", page="/learning")
    assert client.login("l.ozola", "a long first password").status_code == 302


BAD = (
    HEADER + "\n"
    "good.one,Анна,Смирнова,good.one@example.org,,,,,,,\n"  # 2
    "no.first,,Петров,no.first@example.org,,,,,,,\n"  # 3
    "twice,Борис,Ли,twice1@example.org,,,,,,,\n"  # 4
    "twice,Вера,Ким,twice2@example.org,,,,,,,\n"  # 5
    "taken,Глеб,Орлов,new.taken@example.org,,,,,,,\n"  # 6
    "new.cohort,Дина,Ильина,d@example.org,,,,Intake 2030,,,\n"  # 7
    "new.course,Ева,Лис,e@example.org,,,,,,Astronomy,student\n"  # 8
    "bad.mail,Жанна,Ю,not-an-address,,,,,,,\n"  # 9
    "mail.taken,Зоя,Ян,taken@example.org,,,,,,,\n"  # 10
    "nowhere,Иван,Ок,nowhere@example.org,,,Atlantis,,,,\n"  # 11
    "foreign,Кир,Ма,foreign@example.org,,,bishkek,,,,\n"  # 12
)


def test_every_bad_row_is_named_with_its_reason_and_nothing_is_written(client, app, setup, make):
    make.user(Role.CADET, setup["home"], username="taken", email="taken@example.org")
    client.login(setup["admin"].username)
    before = user_count(app)
    response = upload(client, BAD, setup["home"].id)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "user-import-apply" not in page and "Create " not in page
    assert "10 rows have problems" in page
    assert "0 can be created" in page  # the file is applied whole or not at all
    assert "no problem in this row" in row_html(page, 2)
    expected = {
        3: "firstname: required, but empty",
        4: "username: the same username is on lines 4, 5",
        5: "username: the same username is on lines 4, 5",
        6: "username: another user already has the username taken",
        7: "cohort1: State Border Guard College has no cohort “Intake 2030”",
        8: "course1: State Border Guard College has no course “Astronomy”",
        9: "email: not an e-mail address",
        10: "email: another user already has the e-mail taken@example.org",
        11: "institution: no academy is called “Atlantis”",
        12: "institution: you may add users to your own academy only, not to Border Service Training Centre",
    }
    for line, reason in expected.items():
        text = re.sub(r"<[^>]+>", "", row_html(page, line))
        assert reason in text, (line, text)
    # The apply step refuses the same file too, whatever the browser sends.
    forged = {
        "content": base64.b64encode(BAD.encode()).decode(),
        "filename": "bad.csv",
        "academy_id": str(setup["home"].id),
    }
    refused = client.submit(f"{URL}/apply", forged, page=URL)
    assert refused.status_code == 422
    assert "Nothing was created" in refused.get_data(as_text=True)
    assert user_count(app) == before


def test_a_moodle_file_with_unused_profile_columns_imports_with_a_warning_for_each(client, app, setup):
    client.login(setup["admin"].username)
    data = (
        "username,firstname,lastname,email,city,country,idnumber,auth,phone1,group1,enrolperiod1,course1\n"
        "a.ivanov,Алексей,Иванов,a.ivanov@example.org,Rēzekne,LV,17,manual,+371 1,G1,30,Customs law\n"
        "b.petrov,Борис,Петров,b.petrov@example.org,Bishkek,KG,18,manual,,G1,30,Customs law\n"
    )
    preview = upload(client, data, setup["home"].id)
    page = html.unescape(preview.get_data(as_text=True))
    assert preview.status_code == 200, page
    for column in ("city", "country", "idnumber", "auth", "phone1", "group1", "enrolperiod1"):
        assert page.count(f"Column “{column}” is not used by Lectern: it is ignored.") == 1
    assert "2 can be created" in page and "Create 2 users" in page
    before = user_count(app)
    assert "2 users created from intake.csv" in apply(client, page).get_data(as_text=True)
    assert user_count(app) == before + 2


def test_the_preview_counts_agree_with_its_verdict(client, app, setup):
    client.login(setup["admin"].username)
    data = HEADER + ",shoe size\na.ivanov,Алексей,Иванов,a@example.org,,,,,,,,44\nb.petrov,Борис,Петров,bad,,,,,,,,45\n"
    page = html.unescape(upload(client, data, setup["home"].id).get_data(as_text=True))
    assert "Nothing can be created from this file" in page
    assert "0 can be created" in page
    assert "1 row has problems" in page
    assert "1 problem with the file" in page
    assert "will be created" not in page
    assert "Unknown columns: shoe size. Correct their names, or remove them." in page


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            "username,firstname,lastname,email\nivanov,Иван,Иванов,i@example.org\n".encode("cp1251"),
            "Line 2: The file is not UTF-8 (it looks like Windows-1251)",
        ),
        (b"username|firstname|lastname|email\nivanov|Ivan|Ivanov|i@example.org\n", "Wrong delimiter"),
        (b"username,firstname,lastname\nivanov,Ivan,Ivanov\n", "Required columns missing: email"),
        (b"username,firstname,lastname,email,shoe size\nivanov,Ivan,Ivanov,i@example.org,44\n", "Unknown columns"),
        (b"PK\x03\x04 not really a workbook", "This is a spreadsheet, not CSV"),
        (b"username,firstname,lastname,email\n", "The file has a header but no users."),
        (b"", "The file is empty."),
    ],
    ids=["cp1251", "delimiter", "missing-column", "unknown-column", "spreadsheet", "no-rows", "empty"],
)
def test_a_bad_file_is_named_and_refused(client, app, setup, data, reason):
    client.login(setup["admin"].username)
    before = user_count(app)
    response = upload(client, data, setup["home"].id)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert reason in page
    assert "user-import-apply" not in page
    assert user_count(app) == before


def test_a_username_taken_after_the_preview_refuses_the_whole_file(client, app, setup, make):
    client.login(setup["admin"].username)
    page = upload(client, GOOD, setup["home"].id).get_data(as_text=True)
    assert "Create 2 users" in page
    make.user(Role.CADET, setup["other"], username="l.ozola", email="someone@example.org")
    before = user_count(app)
    response = apply(client, page)
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Nothing was created" in text
    assert "another user already has the username l.ozola" in text
    assert user_count(app) == before  # a.ivanov, whose row was fine, was not created either
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.import")) is None


def test_a_clash_at_insert_time_rolls_everything_back(client, app, setup, make, monkeypatch):
    """Another administrator creates the same user between the checks and the insert: the unique index refuses it,
    and the rows already inserted go too."""
    client.login(setup["admin"].username)
    page = upload(client, GOOD, setup["home"].id).get_data(as_text=True)
    make.user(Role.CADET, setup["home"], username="l.ozola", email="other@example.org")
    monkeypatch.setattr(user_import, "_check_taken", lambda session, rows: None)
    before = user_count(app)
    response = apply(client, page)
    assert response.status_code == 409
    assert "Nothing was created" in response.get_data(as_text=True)
    assert user_count(app) == before
    with app.app_context():
        assert db.session.scalar(select(CohortMember).limit(1)) is None


def test_academy_admins_import_into_their_own_academy_only(client, app, setup):
    client.login(setup["admin"].username)
    before = user_count(app)
    # The other academy is no choice of the upload form...
    response = upload(client, GOOD.replace(",rezekne,", ",,"), setup["other"].id)
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    # ...and a forged apply for it is not found.
    forged = {
        "content": base64.b64encode(GOOD.encode()).decode(),
        "filename": "x.csv",
        "academy_id": str(setup["other"].id),
    }
    assert client.submit(f"{URL}/apply", forged, page=URL).status_code == 404
    assert user_count(app) == before


def test_global_admins_import_into_any_academy_by_institution(client, app, setup, make):
    boss = make.user(Role.GLOBAL_ADMIN, setup["home"])
    client.login(boss.username)
    data = (
        "username,firstname,lastname,email,password,institution,cohort1,course1\n"
        "k.asanov,Кайрат,Асанов,k.asanov@example.kg,a long first password,Bishkek,Intake 2026,customs law\n"
    )
    page = upload(client, data, setup["home"].id).get_data(as_text=True)
    assert "will be created" in row_html(page, 2), page
    assert apply(client, page).status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "k.asanov"))
        assert user.academy_id == setup["other"].id
        cohort = db.session.scalars(select(Cohort).join(CohortMember).where(CohortMember.user_id == user.id)).one()
        assert cohort.academy_id == setup["other"].id
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.import")).one()
        assert entry.academy_id == setup["other"].id  # read by that academy's administrators


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.CADET, Role.CLASSROOM])
def test_only_administrators_reach_the_import(client, make, setup, role):
    user = make.user(role, setup["home"])
    client.login(user.username)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/example.csv").status_code == 403
    assert upload(client, GOOD, setup["home"].id).status_code == 403
    forged = {"content": base64.b64encode(GOOD.encode()).decode(), "filename": "x", "academy_id": "1"}
    assert client.submit(f"{URL}/apply", forged, page=URL).status_code == 403


def test_the_upload_page_and_its_example_file(client, setup):
    client.login(setup["admin"].username)
    page = client.get(URL).get_data(as_text=True)
    assert 'name="file"' in page and 'name="academy_id"' in page
    example = client.get(f"{URL}/example.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    result = read_users_csv(example.data)
    assert result.ok, result.problems
    assert {"cohort1", "course1", "role1", "institution"} <= set(result.columns)
    assert all(row.institution == "rezekne" for row in result.rows)
    # It names a cohort that exists, so that it passes the preview as it is.
    assert {row.cohorts for row in result.rows} == {("Intake 2026",)}
    preview = upload(client, example.data, setup["home"].id)
    assert preview.status_code == 200 and "Create 2 users" in preview.get_data(as_text=True)


def test_limits_of_size_and_rows(client, app, setup, monkeypatch):
    client.login(setup["admin"].username)
    big = HEADER.encode() + b"\n" + b"x" * user_import.MAX_BYTES
    response = upload(client, big, setup["home"].id)
    assert response.status_code == 413
    assert "is too large: files up to 2 MB are accepted" in response.get_data(as_text=True)
    monkeypatch.setattr(user_import, "MAX_ROWS", 1)
    response = upload(client, GOOD, setup["home"].id)
    assert response.status_code == 422
    assert "The file has 2 users; at most 1 are taken at once" in response.get_data(as_text=True)


def test_a_broken_apply_request_is_a_client_error(client, setup):
    client.login(setup["admin"].username)
    for fields in (
        {"content": "not base64!", "filename": "x.csv", "academy_id": str(setup["home"].id)},
        {"content": base64.b64encode(b"x").decode(), "filename": "x.csv", "academy_id": "abc"},
        {"filename": "x.csv", "academy_id": str(setup["home"].id)},
    ):
        assert client.submit(f"{URL}/apply", fields, page=URL).status_code == 400


def test_an_academy_enrols_its_intake_in_a_course_another_academy_offers_it(client, app, setup, make):
    from lectern.courses.models import Enrolment, Visibility

    other = setup["other"]
    make.course(setup["home"].id, title="Kept at home", visibility=Visibility.ACADEMY)
    bishkek_admin = make.user(Role.ACADEMY_ADMIN, other)
    client.login(bishkek_admin.username)
    # "Border control basics" is Rezekne's, offered to every academy: Bishkek's cadets may be enrolled in it, not
    # made its staff; a course Rezekne keeps to itself is unknown to Bishkek.
    rows = (
        HEADER + "\n"
        "k.osmonov,Канат,Осмонов,k.osmonov@example.org,,ru,,,,Border control basics,student\n"
        "t.sadykov,Тимур,Садыков,t.sadykov@example.org,,ru,,,,Border control basics,editingteacher\n"
        "a.mamatova,Айпери,Маматова,a.mamatova@example.org,,ru,,,,Kept at home,student\n"
    )
    page = upload(client, rows, other.id).get_data(as_text=True)
    assert "no problem in this row" in row_html(page, 2)
    assert "you may not give the role instructor" in row_html(page, 3)
    assert "has no course “Kept at home”" in row_html(page, 4)
    fine = upload(client, HEADER + "\n" + rows.splitlines()[1] + "\n", other.id).get_data(as_text=True)
    assert apply(client, fine).status_code == 200
    with app.app_context():
        cadet = db.session.scalars(select(User).where(User.username == "k.osmonov")).one()
        enrolled = db.session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == cadet.id)).all()
    assert (cadet.academy_id, enrolled) == (other.id, [setup["basics"].id])


def test_the_apply_takes_back_a_file_as_large_as_the_upload_limit(client, app, setup):
    # The preview sends the checked file back in a form field, base64-encoded: a third larger than the file, and over
    # Werkzeug's default limit for form fields (500 kB) long before the upload limit.
    client.login(setup["admin"].username)
    content = base64.b64encode(b"x" * (user_import.MAX_BYTES - 10)).decode()
    fields = {"content": content, "filename": "x.csv", "academy_id": str(setup["home"].id)}
    response = client.submit(f"{URL}/apply", fields, page=URL)
    assert response.status_code == 422  # read and refused for what it holds, not for its size
    assert "The file cannot be read as CSV" in response.get_data(as_text=True)
    assert user_count(app) == 1


@pytest.mark.parametrize("academy_id", ["0", "-3", str(2**31), str(10**30)])
def test_apply_refuses_an_academy_id_out_of_range(app, client, setup, academy_id):
    client.login(setup["admin"].username)
    page = upload(client, GOOD, setup["home"].id).text
    fields = {name: hidden(page, name) for name in ("content", "filename")}
    before = user_count(app)
    response = client.submit(f"{URL}/apply", {**fields, "academy_id": academy_id}, page=URL)
    assert response.status_code == 400
    assert user_count(app) == before


def test_a_user_without_a_language_gets_the_academys(client, app, setup):
    """An empty `lang` gives the academy's default language (the page says so), not English."""
    with app.app_context():
        db.session.get(type(setup["home"]), setup["home"].id).default_language = "lv"
        db.session.commit()
    client.login(setup["admin"].username)
    page = client.get(URL, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Empty: the academy’s default language." in page
    content = HEADER + "\nk.berzins,Kārlis,Bērziņš,k.berzins@example.org,,,,,,,\n"
    assert apply(client, upload(client, content, setup["home"].id).get_data(as_text=True)).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == "k.berzins")) == "lv"
