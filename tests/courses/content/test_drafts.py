"""Draft lessons (seen only by those who teach the course, counted for no one until published), the lesson page's
slots for other areas (LESSON_PANELS, LESSON_GUARDS) and the service that adds a recording's video lesson."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import jinja2
import pytest
from sqlalchemy import select

from lectern.courses.content import progress
from lectern.courses.content import services as content
from lectern.courses.content.outline import LessonRow
from lectern.courses.content.storage import VIDEO_TYPES, Storage
from lectern.courses.content.visibility import LESSON_GUARDS, visible_outline
from lectern.courses.models import Course, Lesson, LessonCompletion, LessonViewing, Module, StoredFile
from lectern.courses.templating import LESSON_PANELS
from lectern.domain import Invalid, NotFound
from lectern.extensions import db
from lectern.platform.models import Role, User
from lectern.registry import registry
from tests.courses.content.test_lessons import WEBM, get_file
from tests.courses.helpers import lesson_ids

RECORDING = "Lecture: risk profiling"


def _store_video(app: Any) -> int:
    """A video in the store and its row (the lectures area's replay job makes one so)."""
    stored = content.store_file(
        db.session, Storage(app.config["LECTERN_STORAGE"]), io.BytesIO(WEBM), "lecture.webm", VIDEO_TYPES, 10**8, None
    )
    return stored.id


@pytest.fixture
def site(make, app):
    """A course of two text lessons and a draft recording (added as the lectures area will add it), its instructor,
    assistant and enrolled cadet."""
    academy = make.academy()
    course = make.course(academy.id, modules=[("Module one", [{"title": "Passports"}, {"title": "Visas"}])])
    teacher, assistant = make.user(Role.INSTRUCTOR, academy), make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, teacher.id)
    make.staff(course.id, assistant.id, "assistant")
    cadet = make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    with app.app_context():
        item = db.session.get(Course, course.id)
        lesson = content.add_video_lesson(db.session, item, RECORDING, db.session.get(StoredFile, _store_video(app)))
        db.session.commit()
        draft_id = lesson.id
    return course, teacher, assistant, cadet, draft_id


def _progress(app: Any, user_id: int, course_id: int) -> progress.Progress:
    with app.app_context():
        return progress.course_progress(db.session, user_id, [course_id])[course_id]


def _participants(app: Any, user_id: int, course_id: int) -> progress.Progress:
    with app.app_context():
        return progress.participants_progress(db.session, course_id, [user_id])[user_id]


def _is_draft(app: Any, lesson_id: int) -> bool:
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        assert lesson is not None
        return lesson.draft


def test_a_cadet_meets_no_draft_until_an_editor_publishes_it_then_it_counts(client, app, site) -> None:
    course, teacher, assistant, cadet, draft = site
    page, file = f"/courses/{course.id}/lessons/{draft}", f"/courses/{course.id}/lessons/{draft}/file"
    publish = f"/courses/{course.id}/lessons/{draft}/publish"
    second = lesson_ids(app, course.id)[1]

    client.login(cadet.username)
    outline = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "Passports" in outline and RECORDING not in outline
    assert "Recordings" not in outline  # a module holding only drafts is not there either
    assert client.get(page).status_code == 404
    assert get_file(client, file).status_code == 404
    assert client.submit(f"{page}/done", {"done": "1"}, page="/courses/").status_code == 404
    played = {"ranges": "[[0, 60]]", "duration": "60"}
    assert client.submit(f"{page}/played", played, page="/courses/").status_code == 404
    last = client.get(f"/courses/{course.id}/lessons/{second}").get_data(as_text=True)
    assert f"/lessons/{draft}" not in last and RECORDING not in last  # no "next" link, not in the side outline
    assert _progress(app, cadet.id, course.id).total == 2
    assert _participants(app, cadet.id, course.id).total == 2  # the participants page and the reports
    assert _progress(app, cadet.id, course.id) == progress.Progress(1, 2)  # opening a text lesson did it
    client.submit("/logout", page="/courses/")

    # The assistant sees it as Moodle's non-editing teachers see hidden activities, but may not publish it.
    client.login(assistant.username)
    seen = client.get(page)
    assert seen.status_code == 200 and "Draft" in seen.get_data(as_text=True)
    assert publish not in seen.get_data(as_text=True)
    assert client.submit(publish, page=page).status_code == 403
    client.submit("/logout", page="/courses/")

    client.login(teacher.username)
    for where in (f"/courses/{course.id}", f"/courses/{course.id}/content", page):
        html = client.get(where).get_data(as_text=True)
        assert RECORDING in html and "Draft" in html and f'action="{publish}"' in html, where
    assert 'id="lesson-video"' in client.get(page).get_data(as_text=True)
    assert get_file(client, file).status_code == 200
    response = client.submit(publish, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert not _is_draft(app, draft)
    published = client.get(page).get_data(as_text=True)
    assert f'action="{publish}"' not in published and "Draft" not in published
    client.submit("/logout", page="/courses/")

    client.login(cadet.username)
    assert RECORDING in client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert client.get(page).status_code == 200
    assert get_file(client, file).status_code == 200
    assert _progress(app, cadet.id, course.id) == progress.Progress(1, 3)
    # Played as any video lesson is played (content/viewing.py): the whole of it, over its length of time.
    with app.app_context():
        viewing = db.session.get(LessonViewing, (cadet.id, draft))
        assert viewing is not None
        viewing.checked_at -= timedelta(seconds=60)
        db.session.commit()
    report = client.submit(
        f"{page}/played", played, page="/courses/", headers={"Accept": "application/json"}
    ).get_json()
    assert report["lesson_done"] is True and (report["done"], report["total"]) == (2, 3)
    assert _participants(app, cadet.id, course.id) == progress.Progress(2, 3)


def test_a_lesson_set_back_to_draft_counts_for_no_one(client, app, site) -> None:
    course, teacher, _assistant, cadet, draft = site
    first = lesson_ids(app, course.id)[0]
    client.login(teacher.username)
    assert client.submit(f"/courses/{course.id}/lessons/{draft}/publish", page="/courses/").status_code == 302
    # The edit form's box sets a lesson (a text one here) back to draft, and leaving it empty publishes it.
    edit = f"/courses/{course.id}/lessons/{first}/edit"
    form = client.get(edit).get_data(as_text=True)
    assert 'name="draft"' in form
    fields = {"kind": "text", "title": "Passports", "body": "", "url": ""}
    assert client.submit(edit, {**fields, "draft": "y"}).status_code == 302
    assert _is_draft(app, first)
    assert '<input checked id="draft" name="draft" type="checkbox" value="y">' in client.get(edit).get_data(
        as_text=True
    )
    client.submit("/logout", page="/courses/")
    with app.app_context():  # done before it went back to draft: neither counted as done nor in the total
        db.session.add(LessonCompletion(user_id=cadet.id, lesson_id=first, completed_at=course.created_at))
        db.session.commit()
    assert _progress(app, cadet.id, course.id) == progress.Progress(0, 2)
    assert _participants(app, cadet.id, course.id) == progress.Progress(0, 2)
    client.login(cadet.username)
    assert client.get(f"/courses/{course.id}/lessons/{first}").status_code == 404
    client.submit("/logout", page="/courses/")
    client.login(teacher.username)
    assert client.submit(edit, fields).status_code == 302
    assert not _is_draft(app, first)
    assert _progress(app, cadet.id, course.id) == progress.Progress(1, 3)


def test_a_recording_goes_to_the_recordings_module_or_the_one_named(app, make) -> None:
    academy = make.academy()
    course = make.course(academy.id, modules=[("Module one", [{"title": "Passports"}])])
    other = make.course(academy.id, modules=[("Elsewhere", [{"title": "Visas"}])])
    with app.app_context():
        item, video = db.session.get(Course, course.id), _store_video(app)
        file = db.session.get(StoredFile, video)
        assert item is not None and file is not None
        one = content.add_video_lesson(db.session, item, "  Lecture  one ", file)
        two = content.add_video_lesson(db.session, item, "Lecture two", file, body="Notes", draft=False)
        assert one.module_id == two.module_id and (one.position, two.position) == (1, 2)
        assert one.module.title == "Recordings" and one.module.position == 2  # made once, at the end
        assert (one.title, one.draft, one.kind.value, one.file_id) == ("Lecture one", True, "video", video)
        assert (two.body, two.draft) == ("Notes", False)
        named = content.add_video_lesson(db.session, item, "x" * 300, file, module="Module one")
        assert named.module.position == 1 and len(named.title) == content.TITLE_LENGTH
        made = content.add_video_lesson(db.session, item, "Lecture three", file, module="Spring term")
        assert made.module.position == 3
        first = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.position == 1))
        assert content.add_video_lesson(db.session, item, "Again", file, module=first).module_id == first.id
        elsewhere = db.session.scalar(select(Module).where(Module.course_id == other.id))
        with pytest.raises(NotFound):
            content.add_video_lesson(db.session, item, "Lost", file, module=elsewhere)
        with pytest.raises(Invalid):
            content.add_video_lesson(db.session, item, "   ", file)
        db.session.commit()


# --- the slots ------------------------------------------------------------------------------------------------------

PANEL = '<p class="test-panel">{{ course.id }}/{{ lesson.id }}/{{ enrolled }}/{{ editing }}</p>'


def _with_templates(app: Any, templates: dict[str, str]) -> None:
    """Templates of a contribution, as an area's template folder would give them."""
    app.jinja_env.loader = jinja2.ChoiceLoader([jinja2.DictLoader(templates), app.jinja_env.loader])


def test_lesson_panels_go_beside_the_video_and_see_the_lesson(client, app, site) -> None:
    course, teacher, _assistant, cadet, draft = site
    first = lesson_ids(app, course.id)[0]
    with app.app_context():
        db.session.get(Lesson, draft).draft = False  # type: ignore[union-attr]
        db.session.commit()
    video_page, text_page = f"/courses/{course.id}/lessons/{draft}", f"/courses/{course.id}/lessons/{first}"
    client.login(cadet.username)
    assert "lesson-panels" not in client.get(video_page).get_data(as_text=True)  # none contributed: no column

    _with_templates(app, {"test/_panel.html": PANEL, "test/_silent.html": "\n  {# not this lesson's #}\n"})
    registry(app).add(LESSON_PANELS, "test/_silent.html")
    html = client.get(video_page).get_data(as_text=True)
    assert "lesson-panels" not in html and 'class="lesson-stage"' in html  # one that shows nothing takes no room
    registry(app).add(LESSON_PANELS, "test/_panel.html")
    html = client.get(video_page).get_data(as_text=True)
    stage = html[html.index('class="lesson-stage with-panels"') :]
    assert stage.index('id="lesson-video"') < stage.index(f'<p class="test-panel">{course.id}/{draft}/True/False</p>')
    text = client.get(text_page).get_data(as_text=True)
    assert f'<div class="lesson-panels"><p class="test-panel">{course.id}/{first}/True/False</p></div>' in text
    client.submit("/logout", page="/courses/")
    client.login(teacher.username)
    assert f"{course.id}/{draft}/False/True" in client.get(video_page).get_data(as_text=True)


def test_a_lesson_guard_hides_a_lesson_from_whom_it_refuses_even_an_editor(client, app, site) -> None:
    course, teacher, _assistant, cadet, draft = site
    first, second = lesson_ids(app, course.id)[:2]
    asked: list[tuple[str, int]] = []
    refused: set[tuple[int, int]] = {(cadet.id, second), (teacher.id, draft)}

    def guard(session: Any, user: User, lesson: Lesson) -> bool:
        # A lesson's page, file and posts hand it the Lesson; outlines the row that the page cache keeps.
        assert session is db.session and isinstance(lesson, (Lesson, LessonRow))
        asked.append((user.username, lesson.id))
        return (user.id, lesson.id) not in refused

    registry(app).add(LESSON_GUARDS, guard)
    client.login(cadet.username)
    url = f"/courses/{course.id}/lessons/{second}"
    assert client.get(url).status_code == 404
    assert get_file(client, f"{url}/file").status_code == 404
    assert client.submit(f"{url}/done", {"done": "1"}, page="/courses/").status_code == 404
    html = client.get(f"/courses/{course.id}/lessons/{first}").get_data(as_text=True)
    assert f"/lessons/{second}" not in html  # neither "next" nor in the side outline
    assert (cadet.username, second) in asked
    client.submit("/logout", page="/courses/")

    client.login(teacher.username)  # editors are asked about too: the guard decides for them itself
    assert client.get(f"/courses/{course.id}/lessons/{draft}").status_code == 404
    assert get_file(client, f"/courses/{course.id}/lessons/{draft}/file").status_code == 404
    assert client.get(url).status_code == 200
    assert (teacher.username, draft) in asked
    with app.test_request_context():
        session_user, item = db.session.get(User, cadet.id), db.session.get(Course, course.id)
        assert session_user is not None and item is not None
        shown = visible_outline(db.session, session_user, item, [guard])
        assert [[x.id for x in m.lessons] for m in shown] == [[first]]  # no draft, no refused lesson


def test_played_report_of_a_draft_is_refused_before_it_is_read(client, app, site) -> None:
    course, _teacher, _assistant, cadet, draft = site
    client.login(cadet.username)
    response = client.submit(
        f"/courses/{course.id}/lessons/{draft}/played",
        {"ranges": json.dumps([[0, 1]]), "duration": "x"},
        page="/courses/",
    )
    assert response.status_code == 404  # not a 400 for the bad duration: the lesson is not there for the cadet
