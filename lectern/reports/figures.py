"""The report pages' charts: a report's figures with their translated labels, laid out by `charts`."""

from __future__ import annotations

import math

from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform.formatting import date, percent
from lectern.reports import charts
from lectern.reports.services import COMPLETED, IN_PROGRESS, NOT_STARTED, CohortReport, CourseReport


def whole(value: float | None) -> str:
    """A number rounded half up to a whole one (Python's round() goes to even: 32.5 would be 32)."""
    return "\u2013" if value is None else str(math.floor(value + 0.5))


def completion(report: CourseReport) -> charts.StackedBar:
    """Completed, in progress and not started cadets, as one bar."""
    return charts.stacked_bar(
        [
            (COMPLETED, _("Completed"), report.count(COMPLETED)),
            (IN_PROGRESS, _("In progress"), report.count(IN_PROGRESS)),
            (NOT_STARTED, _("Not started"), report.count(NOT_STARTED)),
        ]
    )


def quiz_averages(report: CourseReport) -> charts.HBarChart:
    """Each quiz's average grade, in percent of 100."""

    def label(average: float | None, graded: int) -> str:
        # Literal strings: Babel extracts nothing from a variable or an f-string.
        return ngettext(
            "%(percent)s (%(num)d graded)", "%(percent)s (%(num)d graded)", graded, percent=percent(average)
        )

    bars = [(s.quiz.title, s.average, label(s.average, s.graded)) for s in report.quizzes]
    return charts.hbar_chart(bars, maximum=100)


def attendance(report: CourseReport) -> charts.HBarChart:
    """Each lecture's average present minutes (of those present), with how many of the report's cadets came."""
    return charts.hbar_chart(
        [
            (
                f"{s.lecture.title} ({date(s.lecture.starts_at)})",
                s.average_minutes,
                _(
                    "%(minutes)s min, %(present)d of %(total)d present",
                    minutes=whole(s.average_minutes),
                    present=s.attended,
                    total=report.enrolled,
                ),
            )
            for s in report.lectures
        ],
        # Scaled to the longest lecture as scheduled (or to a longer stay: a lecture may run over).
        maximum=max(
            [s.lecture.duration_minutes for s in report.lectures] + [s.average_minutes or 0 for s in report.lectures],
            default=0,
        ),
    )


def cohort_completion(report: CohortReport) -> charts.HBarChart:
    """Each course's completion rate among the members enrolled in it."""
    return charts.hbar_chart(
        [
            (r.course.title, r.completion_rate, f"{percent(r.completion_rate)} ({r.completed}/{r.enrolled})")
            for r in (c.report for c in report.courses)
        ],
        maximum=100,
    )


def cohort_grades(report: CohortReport) -> charts.HBarChart:
    """Each course's average grade among the members enrolled in it."""
    reports = [c.report for c in report.courses]
    return charts.hbar_chart([(r.course.title, r.average_grade, percent(r.average_grade)) for r in reports], 100)
