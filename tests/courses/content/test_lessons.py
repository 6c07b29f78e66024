"""Following a course: lessons, files with range requests, uploads checked by content, completion."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from lectern.courses.models import CourseCompletion, LessonCompletion, Module, StoredFile
from lectern.extensions import db
from lectern.platform.models import Role
from tests.conftest import Client
from tests.courses.helpers import TEXT_COURSE, count, lesson_ids
from tests.factories import Factory

# Enough of each format for the content check (the bytes a real file starts with).
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
    + bytes(range(256)) * 40
)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def get_file(client, url, **kwargs):
    """GET a file response, read it and close it (send_file keeps the file open until then)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
    return response


@pytest.fixture
def setup(make, app):
    academy = make.academy()
    course = make.course(academy.id, title="X-ray image analysis", modules=TEXT_COURSE)
    teacher = make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, teacher.id)
    cadet = make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    with app.app_context():
        module_id = db.session.scalar(select(Module.id))
    return course, teacher, cadet, module_id


def _upload(client, course_id, module_id, kind, data, name):
    return client.submit(
        f"/courses/{course_id}/modules/{module_id}/lessons/new",
        {"kind": kind, "title": f"{kind} lesson", "body": "", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_video_upload_and_range_requests(client, app, setup):
    course, teacher, cadet, module_id = setup
    client.login(teacher.username)
    response = _upload(client, course.id, module_id, "video", WEBM, "scan-basics.webm")
    assert response.status_code == 302
    lesson_id = lesson_ids(app, course.id)[-1]
    client.submit("/logout", page="/courses/")
    client.login(cadet.username)
    page = client.get(f"/courses/{course.id}/lessons/{lesson_id}").get_data(as_text=True)
    assert "<video" in page
    url = f"/courses/{course.id}/lessons/{lesson_id}/file"
    whole = get_file(client, url)
    assert whole.status_code == 200 and whole.data == WEBM and whole.mimetype == "video/webm"
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = get_file(client, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.data == WEBM[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(WEBM)}"
    tail = get_file(client, url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == WEBM[-10:]
    beyond = get_file(client, url, headers={"Range": f"bytes={len(WEBM) + 5}-"})
    assert beyond.status_code == 416


def test_same_bytes_are_stored_once(client, app, setup):
    course, teacher, _, module_id = setup
    client.login(teacher.username)
    _upload(client, course.id, module_id, "file", PDF, "a.pdf")
    _upload(client, course.id, module_id, "file", PDF, "b.pdf")
    with app.app_context():
        shas = {f.sha256 for f in db.session.scalars(select(StoredFile))}
    assert len(shas) == 1
    assert len(list(Path(app.config["LECTERN_STORAGE"]).rglob(shas.pop()))) == 1


@pytest.mark.parametrize(
    ("kind", "data", "name", "message"),
    [
        ("video", EXE, "lecture.mp4", "is not a file of the kind this lesson takes"),
        ("video", PDF, "notes.webm", "is not a file of the kind this lesson takes"),
        ("file", EXE, "manual.pdf", "is not a file of the kind this lesson takes"),
        ("file", MP4, "clip.pdf", "is not a file of the kind this lesson takes"),
        ("file", b"", "empty.pdf", "empty.pdf is empty"),
        ("file", b"PK\x03\x04" + b"\x00" * 100, "broken.docx", "is not a file of the kind"),
    ],
)
def test_uploads_are_checked_by_content_not_name(client, app, setup, kind, data, name, message):
    course, teacher, _, module_id = setup
    client.login(teacher.username)
    before = count(app, StoredFile)
    response = _upload(client, course.id, module_id, kind, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert name in response.get_data(as_text=True)
    assert count(app, StoredFile) == before
    assert len(lesson_ids(app, course.id)) == 2


def test_an_upload_over_the_cap_is_refused_with_the_limit(app_factory):
    app = app_factory(MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    app.test_client_class = Client
    client = app.test_client()
    make = Factory(app)
    academy = make.academy()
    course = make.course(academy.id, modules=[("M", [])])
    client.login(make.user(Role.GLOBAL_ADMIN, academy).username)
    with app.app_context():
        module_id = db.session.scalar(select(Module.id))
    with _upload(client, course.id, module_id, "video", WEBM * 300, "long.webm") as response:
        page = response.get_data(as_text=True)  # closing the response frees the test client's spooled body
    assert response.status_code == 413
    assert "File too large" in page and "Files up to 2 MB are accepted." in page
    form = client.get(f"/courses/{course.id}/modules/{module_id}/lessons/new?kind=video").get_data(as_text=True)
    assert 'data-max-upload="2097152"' in form  # the browser checks before sending a byte
    assert "long.webm" not in form


@pytest.mark.parametrize("who", ["not-enrolled", "other-academy", "anonymous"])
def test_people_not_following_the_course_cannot_open_lessons_or_files(client, app, make, setup, who):
    course, teacher, _, module_id = setup
    client.login(teacher.username)
    _upload(client, course.id, module_id, "file", PDF, "handout.pdf")
    client.submit("/logout", page="/courses/")
    lesson_id = lesson_ids(app, course.id)[-1]
    if who == "not-enrolled":
        client.login(make.user(Role.CADET, make.academy()).username)
    elif who == "other-academy":
        client.login(make.user(Role.INSTRUCTOR, make.academy()).username)
    for url in (f"/courses/{course.id}/lessons/{lesson_id}", f"/courses/{course.id}/lessons/{lesson_id}/file"):
        response = get_file(client, url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.location
        else:
            assert response.status_code == 403
    if who != "anonymous":
        done = client.submit(f"/courses/{course.id}/lessons/{lesson_id}/done", {"done": "1"}, page="/courses/")
        assert done.status_code == 403
    assert count(app, LessonCompletion) == 0


def test_a_lesson_of_another_course_is_404_even_for_its_cadets(client, app, make, setup):
    course, _, cadet, _ = setup
    other = make.course(make.academy().id, modules=TEXT_COURSE)
    foreign_lesson = lesson_ids(app, other.id)[0]
    client.login(cadet.username)
    assert client.get(f"/courses/{course.id}/lessons/{foreign_lesson}").status_code == 404


def test_markdown_lessons_are_sanitised(client, app, make, setup):
    course, teacher, cadet, module_id = setup
    client.login(teacher.username)
    body = (
        "# Security features\n\n<script>alert('x')</script>\n\n"
        '<img src="x.png" onerror="alert(1)">\n\n<a href="javascript:alert(1)">click</a>\n\n'
        "| Feature | Check |\n|---|---|\n| Guilloche | loupe |\n"
    )
    client.submit(
        f"/courses/{course.id}/modules/{module_id}/lessons/new", {"kind": "text", "title": "Sec", "body": body}
    )
    lesson_id = lesson_ids(app, course.id)[-1]
    client.submit("/logout", page="/courses/")
    client.login(cadet.username)
    page = client.get(f"/courses/{course.id}/lessons/{lesson_id}").get_data(as_text=True)
    assert "<h1>Security features</h1>" in page
    assert "<td>Guilloche</td>" in page
    assert "alert" not in page and "onerror" not in page and "javascript:" not in page


def test_viewing_completes_text_lessons_and_the_course(client, app, setup):
    course, _, cadet, _ = setup
    client.login(cadet.username)
    first, second = lesson_ids(app, course.id)
    client.get(f"/courses/{course.id}/lessons/{first}")
    assert "1 of 2 lessons" in client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert count(app, CourseCompletion) == 0
    client.get(f"/courses/{course.id}/lessons/{second}")
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "2 of 2 lessons" in page and "Completed on" in page
    assert count(app, CourseCompletion) == 1


def test_completions_survive_unenrolment(client, app, setup):
    course, _, cadet, _ = setup
    client.login(cadet.username)
    first, _ = lesson_ids(app, course.id)
    client.get(f"/courses/{course.id}/lessons/{first}")
    client.submit(f"/courses/{course.id}/leave", {}, page=f"/courses/{course.id}")
    assert client.get(f"/courses/{course.id}/lessons/{first}").status_code == 403
    assert count(app, LessonCompletion) == 1
    client.submit(f"/courses/{course.id}/enrol", {}, page=f"/courses/{course.id}")  # closed: not re-enrolled
    assert client.get(f"/courses/{course.id}/lessons/{first}").status_code == 403


def test_teachers_see_lessons_without_completing_them(client, app, setup):
    course, teacher, _, _ = setup
    client.login(teacher.username)
    first, _ = lesson_ids(app, course.id)
    assert client.get(f"/courses/{course.id}/lessons/{first}").status_code == 200
    assert count(app, LessonCompletion) == 0


def test_lesson_kinds_render(client, app, make, setup):
    course, teacher, _, module_id = setup
    client.login(teacher.username)
    client.submit(
        f"/courses/{course.id}/modules/{module_id}/lessons/new",
        {"kind": "link", "title": "ICAO Doc 9303", "url": "https://www.icao.int/publications/pages/publication.aspx"},
    )
    _upload(client, course.id, module_id, "file", PDF, "handout.pdf")
    link, handout = lesson_ids(app, course.id)[-2:]
    page = client.get(f"/courses/{course.id}/lessons/{link}").get_data(as_text=True)
    assert (
        'href="https://www.icao.int/publications/pages/publication.aspx"' in page
        and 'rel="noopener noreferrer"' in page
    )
    page = client.get(f"/courses/{course.id}/lessons/{handout}").get_data(as_text=True)
    assert "handout.pdf" in page
    pdf = get_file(client, f"/courses/{course.id}/lessons/{handout}/file")
    assert pdf.mimetype == "application/pdf" and pdf.data == PDF
    assert pdf.headers["Content-Disposition"].startswith("inline")
    download = get_file(client, f"/courses/{course.id}/lessons/{handout}/file?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
