"""The catalogue: visibility by academy, search, filters, pagination, and a constant number of queries."""

from __future__ import annotations

import pytest

from lectern.courses.models import Category, CourseShare, Visibility
from lectern.platform.models import Role
from tests.statements import count_statements


@pytest.fixture
def world(make):
    rezekne = make.academy(name="State Border Guard College", slug="rz")
    bishkek = make.academy(name="Border Service Training Centre", slug="bk", timezone="Asia/Bishkek")
    tashkent = make.academy(name="Higher Military Customs Institute", slug="tk", timezone="Asia/Tashkent")
    return rezekne, bishkek, tashkent


def _titles(client, query=""):
    page = client.get(f"/courses/{query}").get_data(as_text=True)
    return page


@pytest.mark.parametrize(
    ("visibility", "shared_with_bishkek", "seen_by_bishkek", "seen_by_tashkent"),
    [
        (Visibility.DRAFT, False, False, False),
        (Visibility.ACADEMY, False, False, False),
        (Visibility.SHARED, True, True, False),
        (Visibility.ALL, False, True, True),
    ],
)
def test_visibility_decides_who_finds_a_course(
    client, make, app, world, visibility, shared_with_bishkek, seen_by_bishkek, seen_by_tashkent
):
    rezekne, bishkek, tashkent = world
    course = make.course(rezekne.id, title="Document security (advanced)", visibility=visibility)
    if shared_with_bishkek:
        make.save(CourseShare(course_id=course.id, academy_id=bishkek.id))
    own = make.user(Role.CADET, rezekne)
    for user, expected in (
        (own, visibility is not Visibility.DRAFT),
        (make.user(Role.CADET, bishkek), seen_by_bishkek),
        (make.user(Role.CADET, tashkent), seen_by_tashkent),
    ):
        client.login(user.username)
        assert ("Document security (advanced)" in _titles(client)) is expected
        assert client.get(f"/courses/{course.id}").status_code == (200 if expected else 404)
        client.submit("/logout", page="/courses/")


def test_drafts_are_seen_by_their_instructors_and_academy_admins_only(client, make, world):
    rezekne, bishkek, _ = world
    course = make.course(rezekne.id, title="Unfinished draft", visibility=Visibility.DRAFT)
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(course.id, teacher.id)
    cases = [
        (teacher, True),
        (make.user(Role.INSTRUCTOR, rezekne), False),
        (make.user(Role.ACADEMY_ADMIN, rezekne), True),
        (make.user(Role.ACADEMY_ADMIN, bishkek), False),
        (make.user(Role.GLOBAL_ADMIN, bishkek), True),
    ]
    for user, expected in cases:
        client.login(user.username)
        assert ("Unfinished draft" in _titles(client)) is expected, user
        client.submit("/logout", page="/courses/")


def test_search_covers_title_summary_and_tags_in_any_case(client, make, world):
    rezekne, *_ = world
    make.course(rezekne.id, title="X-ray image analysis", summary="Reading cargo scans")
    make.course(rezekne.id, title="Радиационный контроль", summary="Товары двойного назначения")
    make.course(rezekne.id, title="Risk analysis", tags=",selectivity,red channel,")
    client.login(make.user(Role.CADET, rezekne).username)
    assert "X-ray image analysis" in _titles(client, "?q=CARGO")
    assert "Радиационный контроль" in _titles(client, "?q=двойного")
    assert "Радиационный контроль" in _titles(client, "?q=РАДИАЦИОННЫЙ")
    found = _titles(client, "?q=red+channel")
    assert "Risk analysis" in found and "X-ray" not in found


def test_filters_by_academy_language_and_category_with_subcategories(client, make, world):
    rezekne, _, tashkent = world
    customs = make.save(Category(name="Customs"))
    risk = make.save(Category(name="Risk analysis", parent_id=customs.id))
    make.course(rezekne.id, title="Kyoto Convention EN", language="en", category_id=customs.id)
    make.course(tashkent.id, title="Анализ рисков", language="ru", category_id=risk.id)
    make.course(rezekne.id, title="Migrants", language="en")
    client.login(make.user(Role.CADET, rezekne).username)
    by_academy = _titles(client, f"?academy={tashkent.id}")
    assert "Анализ рисков" in by_academy and "Kyoto" not in by_academy
    russian = _titles(client, "?language=ru")
    assert "Анализ рисков" in russian and "Migrants" not in russian
    customs_page = _titles(client, f"?category={customs.id}")
    assert "Kyoto Convention EN" in customs_page and "Анализ рисков" in customs_page and "Migrants" not in customs_page
    # Nonsense filters are ignored rather than errors.
    assert client.get("/courses/?academy=x&category=999999&language=klingon&page=-1").status_code == 200


def test_pagination(client, make, world):
    rezekne, *_ = world
    for n in range(25):
        make.course(rezekne.id, title=f"Course {n:02d}")
    client.login(make.user(Role.CADET, rezekne).username)
    first, second = _titles(client), _titles(client, "?page=2")
    assert "Course 00" in first and "Course 19" in first and "Course 20" not in first
    assert "Course 20" in second and "Course 24" in second and "Page 2 of 2" in second


@pytest.mark.parametrize("path", ["/courses/", "/courses/mine", "/learning"])
def test_list_pages_run_a_constant_number_of_queries(app, client, make, world, path):
    rezekne, bishkek, _ = world
    cadet = make.user(Role.CADET, rezekne)
    client.login(cadet.username)

    def add_courses(n):
        for i in range(n):
            academy = make.academy() if i % 2 else bishkek  # each course its own category and (often) academy:
            category = make.save(Category(name=f"Topic {i}"))  # a lazy load per course would show in the count
            course = make.course(academy.id, category_id=category.id, modules=[("M", [{"title": "a"}, {"title": "b"}])])
            make.enrol(course.id, cadet.id)

    add_courses(2)
    few = count_statements(app, client, path)
    add_courses(12)
    assert count_statements(app, client, path) == few


def test_courses_in_the_readers_language_come_first(client, make, world):
    rezekne, *_ = world
    make.course(rezekne.id, title="A course in English", language="en")
    make.course(rezekne.id, title="Курс на русском", language="ru")
    client.login(make.user(Role.CADET, rezekne, language="ru").username)
    page = _titles(client)
    assert page.index("Курс на русском") < page.index("A course in English")
    client.submit("/language", {"language": "en"}, page="/courses/")
    page = _titles(client)
    assert page.index("A course in English") < page.index("Курс на русском")
