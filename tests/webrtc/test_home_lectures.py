"""The home pages put a live or imminent lecture first, with its Join button, above the course cards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lectern.platform.models import Role, utcnow
from lectern.webrtc.models import LectureStatus


@pytest.mark.parametrize("role", [Role.CADET, Role.CLASSROOM])
@pytest.mark.parametrize(
    ("status", "starts_in"),
    [(LectureStatus.LIVE, timedelta(minutes=-5)), (LectureStatus.SCHEDULED, timedelta(minutes=10))],
    ids=["live", "imminent"],
)
def test_a_live_or_imminent_lecture_comes_first(client, make, role, status, starts_in):
    academy = make.academy()
    course = make.course(academy.id, title="Document security")
    user = make.user(role, academy, language="en")
    halls = [] if role is Role.CADET else [user.id]
    lecture = make.lecture(
        course.id, title="Passports: live", starts_at=utcnow() + starts_in, status=status, halls=halls
    )
    make.lecture(course.id, title="Visas", starts_at=utcnow() + timedelta(days=2), halls=halls)
    if role is Role.CADET:
        make.enrol(course.id, user.id)
    client.login(user.username)

    page = client.get("/", follow_redirects=True).get_data(as_text=True)

    join = page.index(f'href="/lectures/{lecture.id}/room"')
    assert join < page.index("</h1>") + 600, "the Join button is not right under the page's heading"
    if role is Role.CADET:
        assert join < page.index("My courses")
    # Listed once: first, not again among the upcoming ones.
    assert page.count("Passports: live") == 1
    assert join < page.index("Upcoming lectures") < page.index("Visas")


def test_a_lecture_further_off_has_no_join_button(client, make):
    academy = make.academy()
    course = make.course(academy.id)
    cadet = make.user(Role.CADET, academy, language="en")
    make.enrol(course.id, cadet.id)
    lecture = make.lecture(course.id, title="Visas", starts_at=utcnow() + timedelta(minutes=40))
    client.login(cadet.username)

    page = client.get("/learning").get_data(as_text=True)

    assert "Visas" in page and f"/lectures/{lecture.id}/room" not in page
    assert "Lectures now" not in page
