"""What the reports area adds to other areas' pages: the header link, a link on each course's page for those who
teach it, and one on each cohort's page (which only the cohort's administrators see, as its report)."""

from __future__ import annotations

from flask import Flask

from lectern.courses.templating import COURSE_PANELS
from lectern.i18n import lazy_gettext as _l
from lectern.platform.cohorts.views import COHORT_PANELS
from lectern.platform.templating import NAV_LINKS, NavItem, NavLink
from lectern.registry import registry
from lectern.reports.access import REPORTERS


def init_app(app: Flask) -> None:
    """What the reports area adds to the other areas' pages."""
    added = registry(app)
    added.add(NAV_LINKS, NavLink(frozenset(REPORTERS), NavItem("reports.index", _l("Reports"))))
    added.add(COURSE_PANELS, "reports/_course_panel.html")
    added.add(COHORT_PANELS, "reports/_cohort_panel.html")
