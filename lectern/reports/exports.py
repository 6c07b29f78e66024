"""The reports as CSV for spreadsheets, written through the platform's one CSV writer (UTF-8 with a BOM, CRLF, and
text cells that can never run as formulas). Column names are fixed English identifiers, as in the gradebook's CSV,
so that a spreadsheet built on them survives a change of interface language."""

from __future__ import annotations

from datetime import datetime

from lectern.platform.models import User
from lectern.platform.spreadsheet import csv_bytes, number_cell, text_cell
from lectern.reports.services import CohortReport, CourseReport


def moment(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def _person(user: User) -> list[object]:
    return [text_cell(user.username), text_cell(user.last_name), text_cell(user.first_name)]


def course_csv(report: CourseReport) -> bytes:
    """One row per cadet: cohorts, completion, each quiz's grade and the average, each lecture's present minutes
    and their total."""
    header = ["username", "last_name", "first_name", "cohorts", "status", "done", "total", "progress_percent"]
    header.append("completed_at")
    header += [text_cell(f"{q.quiz.title} (%)") for q in report.quizzes]
    header.append("quiz_average")
    header += [text_cell(f"{s.lecture.title} {s.lecture.starts_at:%Y-%m-%d} (min)") for s in report.lectures]
    header.append("attendance_minutes")
    rows = []
    for row in report.rows:
        line = _person(row.user)
        line.append(text_cell("; ".join(c.name for c in row.cohorts)))
        line += [row.status, row.progress.done, row.progress.total, row.progress.percent, moment(row.completed_at)]
        line += [number_cell(cell.percent) for cell in row.grades]
        line.append(number_cell(row.quiz_average))
        line += list(row.minutes)
        line.append(row.attendance_minutes)
        rows.append(line)
    return csv_bytes(header, rows)


def cohort_csv(report: CohortReport) -> bytes:
    """One row per member and course of the report (a long table: filter and pivot it in the spreadsheet);
    `cohort_course` says whether the cohort is enrolled in the course, `enrolled` whether the member is."""
    header = ["username", "last_name", "first_name", "course", "cohort_course", "enrolled", "status"]
    header.append("progress_percent")
    header += ["completed_at", "quiz_average", "attendance_minutes"]
    rows = []
    for row in report.rows:
        for course, cell in zip(report.courses, row.cells, strict=True):
            line = _person(row.user)
            line += [text_cell(course.report.course.title), "yes" if course.linked else "no"]
            if cell is None:
                line += ["no", "", "", "", "", ""]
            else:
                line += ["yes", cell.status, cell.progress.percent, moment(cell.completed_at)]
                line += [number_cell(cell.quiz_average), cell.attendance_minutes]
            rows.append(line)
    return csv_bytes(header, rows)
