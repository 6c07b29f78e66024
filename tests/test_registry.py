"""The per-application registry through which higher areas add to lower areas' pages (lectern/registry.py)."""

from __future__ import annotations

from typing import Any

from lectern.courses.templating import COURSE_PANELS
from lectern.platform.cohorts.views import COHORT_PANELS
from lectern.platform.home import HOME_PANELS
from lectern.platform.models import Role
from lectern.platform.templating import NAV_LINKS
from lectern.registry import Registry, Slot, registry


def test_each_application_has_its_own_registry_filled_by_the_areas(app_factory: Any) -> None:
    first, second = app_factory(), app_factory()
    assert registry(first) is not registry(second)
    for app in (first, second):
        added = registry(app)
        assert added.items(COURSE_PANELS) == [
            "courses/quizzes/_course_panel.html",
            "webrtc/_course_lectures.html",
            "reports/_course_panel.html",
        ]
        assert added.items(COHORT_PANELS) == ["courses/_cohort_panel.html", "reports/_cohort_panel.html"]
        cadet = [p.template for p in added.items(HOME_PANELS) if p.role is Role.CADET]
        # The live lecture goes first: it needs the cadet now.
        assert cadet == ["webrtc/_now.html", "courses/_panel_learning.html", "webrtc/_upcoming.html"]
        endpoints = [link.item.endpoint for link in added.items(NAV_LINKS)]
        assert endpoints == ["courses.catalogue", "categories.index", "lectures.calendar_page", "reports.index"]
    # What one application is given never shows in another's pages.
    registry(first).add(COHORT_PANELS, "extra.html")
    assert "extra.html" not in registry(second).items(COHORT_PANELS)


def test_a_contribution_is_kept_once_and_first_goes_before_the_earlier_ones() -> None:
    slot: Slot[str] = Slot("test")
    added = Registry()
    added.add(slot, "a")
    added.add(slot, "b")
    added.add(slot, "a")
    added.add(slot, "now", first=True)
    assert added.items(slot) == ["now", "a", "b"]
    assert Registry().items(slot) == []
