"""What the catalogue's pages share between readers (lectern/courses/catalogue/shared.py and the catalogue's cached
listing): every reader sees exactly what they may, at once after a change, whatever the cache holds."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from lectern.courses.models import Category, Course, Visibility
from lectern.extensions import db
from lectern.platform.models import Role, User
from tests.conftest import Client
from tests.courses.helpers import signed_in, text
from tests.factories import Factory
from tests.statements import count_statements

REDIS_URL = "redis://127.0.0.1:6379/7"  # no other test uses this database (tests/platform/test_cache.py shares it)

SETTINGS = {
    "summary": "",
    "language": "en",
    "tags": "",
    "category_id": "0",
    "enrol_key": "",
    "enrol_cap": "",
    "enrol_opens_at": "",
    "enrol_closes_at": "",
}


@pytest.fixture
def academies(make: Factory) -> tuple[Any, Any, Any]:
    rezekne = make.academy(name="State Border Guard College", slug="rz")
    bishkek = make.academy(name="Border Service Training Centre", slug="bk", timezone="Asia/Bishkek")
    tashkent = make.academy(name="Higher Military Customs Institute", slug="tk", timezone="Asia/Tashkent")
    return rezekne, bishkek, tashkent


def settings(client: Client, course_id: int, **fields: Any) -> None:
    """Save the course's settings through its form, as its editor does."""
    response = client.submit(f"/courses/{course_id}/settings", {**SETTINGS, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_course_made_private_leaves_another_academys_catalogue_at_once(app, make, academies):
    rezekne, bishkek, _ = academies
    course = make.course(rezekne.id, title="Document security", visibility=Visibility.ALL)
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(course.id, teacher.id)
    other = signed_in(app, make.user(Role.CADET, bishkek))
    neighbour = signed_in(app, make.user(Role.CADET, bishkek))
    for reader in (other, neighbour):  # the listing and the listed courses of their scope are kept now
        assert "Document security" in text(reader, "/courses/")
        assert reader.get(f"/courses/{course.id}").status_code == 200
    settings(signed_in(app, teacher), course.id, title="Document security", visibility="academy")
    for reader in (other, neighbour):
        assert "Document security" not in text(reader, "/courses/")
        assert "Document security" not in text(reader, "/courses/?q=document")
        assert reader.get(f"/courses/{course.id}").status_code == 404
    assert "Document security" in text(signed_in(app, make.user(Role.CADET, rezekne)), "/courses/")


def test_sharing_a_course_reaches_that_academy_at_once_and_unsharing_takes_it_back(app, make, academies):
    rezekne, bishkek, tashkent = academies
    course = make.course(rezekne.id, title="Kyoto convention", visibility=Visibility.SHARED)
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(course.id, teacher.id)
    editor = signed_in(app, teacher)
    there = signed_in(app, make.user(Role.CADET, bishkek))
    elsewhere = signed_in(app, make.user(Role.CADET, tashkent))

    def seen(reader: Client) -> bool:
        listed = "Kyoto convention" in text(reader, "/courses/")
        assert (reader.get(f"/courses/{course.id}").status_code == 200) is listed
        return listed

    assert (seen(there), seen(elsewhere)) == (False, False)
    settings(editor, course.id, title="Kyoto convention", visibility="shared", shared_with=[str(bishkek.id)])
    assert (seen(there), seen(elsewhere)) == (True, False)
    settings(editor, course.id, title="Kyoto convention", visibility="shared")
    assert (seen(there), seen(elsewhere)) == (False, False)


def test_a_renamed_course_shows_its_new_title_and_summary(app, make, academies):
    rezekne, *_ = academies
    course = make.course(rezekne.id, title="Old title", summary="The **old** summary")
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(course.id, teacher.id)
    reader = signed_in(app, make.user(Role.CADET, rezekne))
    assert "Old title" in text(reader, "/courses/")
    assert "<strong>old</strong>" in text(reader, f"/courses/{course.id}")
    settings(signed_in(app, teacher), course.id, title="New title", summary="The *new* summary")
    catalogue, page = text(reader, "/courses/"), text(reader, f"/courses/{course.id}")
    assert "New title" in catalogue and "Old title" not in catalogue
    assert "<h1>New title</h1>" in page and "<em>new</em>" in page and "Old title" not in page


def test_renamed_categories_and_academies_show_at_once(app, make, academies):
    rezekne, *_ = academies
    category = make.save(Category(name="Smuggling"))
    course = make.course(rezekne.id, title="Tariffs", category_id=category.id)
    reader = signed_in(app, make.user(Role.CADET, rezekne))
    assert "Smuggling" in text(reader, "/courses/") and "Smuggling" in text(reader, f"/courses/{course.id}")
    root = signed_in(app, make.user(Role.GLOBAL_ADMIN, rezekne))
    response = root.submit(f"/courses/categories/{category.id}", {"name": "Excise", "parent_id": "0", "position": "0"})
    assert response.status_code == 302
    fields = {"slug": "rz", "city": "Rēzekne", "country": "LV", "timezone": "Europe/Riga", "default_language": "en"}
    response = root.submit(f"/admin/academies/{rezekne.id}/edit", {**fields, "name": "Latvian Border Guard College"})
    assert response.status_code == 302
    for page in (text(reader, "/courses/"), text(reader, f"/courses/{course.id}")):
        assert "Excise" in page and "Smuggling" not in page
        assert "Latvian Border Guard College" in page


def test_a_language_switch_shows_the_pages_in_the_other_language_at_once(app, make, academies):
    rezekne, *_ = academies
    course = make.course(rezekne.id, title="Risk analysis", modules=[("Module", [{"title": "Lesson"}])])
    reader = signed_in(app, make.user(Role.CADET, rezekne, language="en"))
    assert "<h1>Courses" in text(reader, "/courses/")
    crumbs = '<p class="crumbs"><a href="/courses/">{}</a>'
    assert crumbs.format("Courses") in text(reader, f"/courses/{course.id}")
    reader.submit("/language", {"language": "ru"}, page="/courses/")
    catalogue, page = text(reader, "/courses/"), text(reader, f"/courses/{course.id}")
    assert "<h1>Курсы" in catalogue and '<option selected value="ru">' in catalogue  # the switcher too
    assert crumbs.format("Курсы") in page and "Текст" in page  # the course's header, and the lesson's kind
    reader.submit("/language", {"language": "en"}, page="/courses/")
    assert "<h1>Courses" in text(reader, "/courses/")


def test_academies_and_roles_never_see_each_others_private_courses_with_a_warm_cache(app, make, academies):
    rezekne, bishkek, _ = academies
    ours = make.course(rezekne.id, title="Rezekne only", visibility=Visibility.ACADEMY)
    theirs = make.course(bishkek.id, title="Bishkek only", visibility=Visibility.ACADEMY)
    draft = make.course(rezekne.id, title="Rezekne draft", visibility=Visibility.DRAFT)
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(draft.id, teacher.id)
    readers = {
        "rezekne cadet": (signed_in(app, make.user(Role.CADET, rezekne)), {ours}),
        "bishkek cadet": (signed_in(app, make.user(Role.CADET, bishkek)), {theirs}),
        "rezekne admin": (signed_in(app, make.user(Role.ACADEMY_ADMIN, rezekne)), {ours, draft}),
        "its instructor": (signed_in(app, teacher), {ours, draft}),
        "another instructor": (signed_in(app, make.user(Role.INSTRUCTOR, rezekne)), {ours}),
        "bishkek admin": (signed_in(app, make.user(Role.ACADEMY_ADMIN, bishkek)), {theirs}),
    }
    for _ in range(2):  # the second round finds every listing in the cache, each filled by its first reader
        for who, (reader, allowed) in readers.items():
            page = text(reader, "/courses/")
            for course in (ours, theirs, draft):
                assert (course.title in page) is (course in allowed), (who, course.title)
                expected = 200 if course in allowed else 404
                assert reader.get(f"/courses/{course.id}").status_code == expected, (who, course.title)


def test_enrolled_badges_are_each_readers_own(app, make, academies):
    rezekne, *_ = academies
    mine = make.course(rezekne.id, title="Mine")
    make.course(rezekne.id, title="Not mine")
    enrolled, other = make.user(Role.CADET, rezekne), make.user(Role.CADET, rezekne)
    make.enrol(mine.id, enrolled.id)
    first, second = signed_in(app, enrolled), signed_in(app, other)
    for _ in range(2):
        assert text(first, "/courses/").count('class="badge ok"') == 1
        assert text(second, "/courses/").count('class="badge ok"') == 0


def test_the_instructors_own_drafts_leave_their_catalogue_when_their_role_does(app, make, academies):
    rezekne, *_ = academies
    draft = make.course(rezekne.id, title="Work in progress", visibility=Visibility.DRAFT)
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(draft.id, teacher.id)
    reader = signed_in(app, teacher)
    assert "Work in progress" in text(reader, "/courses/")
    admin = signed_in(app, make.user(Role.ACADEMY_ADMIN, rezekne))
    response = admin.submit(f"/courses/{draft.id}/staff/{teacher.id}/remove", {}, page=f"/courses/{draft.id}")
    assert response.status_code == 302
    assert "Work in progress" not in text(reader, "/courses/")
    assert reader.get(f"/courses/{draft.id}").status_code == 404


def test_the_catalogue_runs_as_many_statements_for_50_courses_as_for_5(app, make, academies):
    rezekne, bishkek, _ = academies
    cadet = make.user(Role.CADET, rezekne)
    reader = signed_in(app, cadet)

    def add_courses(n: int) -> None:
        for i in range(n):
            category = make.save(Category(name=f"Topic {i}"))  # a lazy load per course would show in the count
            course = make.course((bishkek if i % 2 else rezekne).id, category_id=category.id, tags=",a,b,")
            if i % 3 == 0:
                make.enrol(course.id, cadet.id)

    counts = []
    for n in (5, 45):
        add_courses(n)
        # The first request after a change makes the listing, the second finds it kept.
        counts.append([count_statements(app, reader, path) for path in ("/courses/", "/courses/", "/courses/?q=topic")])
    assert counts[0] == counts[1]
    made, kept, _search = counts[0]
    assert kept < made


def test_two_instances_with_redis_see_each_others_changes_at_once(app_factory):
    redis.Redis.from_url(REDIS_URL).flushdb()
    first, second = app_factory(REDIS_URL=REDIS_URL), app_factory(REDIS_URL=REDIS_URL)
    make = Factory(first)
    rezekne, bishkek = make.academy(), make.academy()
    course = make.course(rezekne.id, title="Shared everywhere", visibility=Visibility.ALL)
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(course.id, teacher.id)
    reader = signed_in(second, make.user(Role.CADET, bishkek))
    assert "Shared everywhere" in text(reader, "/courses/")
    assert "<h1>Shared everywhere</h1>" in text(reader, f"/courses/{course.id}")
    editor = signed_in(first, teacher)
    settings(editor, course.id, title="Renamed on the first instance", visibility="all")
    assert "Renamed on the first instance" in text(reader, "/courses/")
    assert "<h1>Renamed on the first instance</h1>" in text(reader, f"/courses/{course.id}")
    settings(editor, course.id, title="Renamed on the first instance", visibility="academy")
    assert "Renamed on the first instance" not in text(reader, "/courses/")
    assert reader.get(f"/courses/{course.id}").status_code == 404
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_a_change_made_by_another_process_of_the_machine_reaches_the_pages(app_factory):
    """Without Redis, the job worker beside the web app (a package import) shares the instance folder's generation."""
    web = app_factory()
    worker = app_factory(INSTANCE_PATH=web.instance_path)
    make = Factory(web)
    rezekne = make.academy()
    course = make.course(rezekne.id, title="Before the import")
    reader = signed_in(web, make.user(Role.CADET, rezekne))
    assert "Before the import" in text(reader, "/courses/")
    with worker.app_context():
        db.session.get(Course, course.id).title = "After the import"
        db.session.commit()
    page = text(reader, "/courses/")
    assert "After the import" in page and "Before the import" not in page


def test_a_course_pages_rights_are_accesss_whoever_asks(app, make, academies):
    """course_roles reads the course only for users who could teach or edit it: for every other reader it answers
    what access.can_teach and access.can_edit answer, without reading it."""
    from lectern.courses import access
    from lectern.courses.catalogue import shared

    rezekne, bishkek, _ = academies
    course = make.course(rezekne.id, title="Kyoto convention")
    users = {
        "cadet": make.user(Role.CADET, rezekne),
        "classroom": make.user(Role.CLASSROOM, rezekne),
        "its instructor": make.user(Role.INSTRUCTOR, rezekne),
        "its assistant": make.user(Role.INSTRUCTOR, rezekne),
        "another instructor": make.user(Role.INSTRUCTOR, rezekne),
        "its instructor, moved away": make.user(Role.INSTRUCTOR, bishkek),
        "its instructor, now a cadet": make.user(Role.CADET, rezekne),
        "its academy's administrator": make.user(Role.ACADEMY_ADMIN, rezekne),
        "another academy's administrator": make.user(Role.ACADEMY_ADMIN, bishkek),
        "global administrator": make.user(Role.GLOBAL_ADMIN, bishkek),
    }
    for who in ("its instructor", "its instructor, moved away", "its instructor, now a cadet"):
        make.staff(course.id, users[who].id)
    make.staff(course.id, users["its assistant"].id, role="assistant")
    with app.test_request_context():
        row = shared.course_row(course.id)
        item = db.session.get(Course, course.id)
        assert row is not None and item is not None
        found = {}
        for who, user in users.items():
            user = db.session.get(User, user.id)
            assert user is not None
            expected = (access.can_teach(db.session, user, item), access.can_edit(db.session, user, item))
            assert shared.course_roles(user, row) == expected, who
            found[who] = expected
    assert {who for who, (teaching, _editing) in found.items() if teaching} == {
        "its instructor",
        "its assistant",
        "its academy's administrator",
        "global administrator",
    }
    assert {who for who, (_teaching, editing) in found.items() if editing} == {
        "its instructor",
        "its academy's administrator",
        "global administrator",
    }
