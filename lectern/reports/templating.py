"""What the reports area adds to other areas' pages: the header link, a link on each course's page for those who
teach it, and one on each cohort's page (which only the cohort's administrators see, as its report)."""

from __future__ import annotations

from flask import Flask

from lectern.courses.templating import register_course_panel
from lectern.i18n import lazy_gettext as _l
from lectern.platform.cohorts.views import register_cohort_panel
from lectern.platform.templating import NavItem, register_nav_item
from lectern.reports.access import REPORTERS


def register(app: Flask) -> None:
    register_nav_item(set(REPORTERS), NavItem("reports.index", _l("Reports")))
    register_course_panel("reports/_course_panel.html")
    register_cohort_panel("reports/_cohort_panel.html")
