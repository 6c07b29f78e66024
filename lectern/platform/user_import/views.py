"""Bulk upload of users from a CSV file (Moodle's "Upload users" layout): upload, preview, apply.

The preview and the result hold the file's and the generated passwords, so they are sent with ``no-store``; the
generated passwords are offered once, as a download link (a ``data:`` URL) on the result page: they are stored
nowhere and no later request can fetch them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from lectern.domain import Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import lazy_gettext as _l
from lectern.platform.admin.services import visible_academies
from lectern.platform.cohorts import services as cohorts
from lectern.platform.downloads import csv_download
from lectern.platform.models import Role
from lectern.platform.roles import role_required, signed_in_user
from lectern.platform.rules import MIN_PASSWORD_LENGTH
from lectern.platform.user_import import services as user_import
from lectern.platform.user_import.csv_format import FileProblem, RowProblem
from lectern.platform.user_import.csv_layout import passwords_csv, users_to_csv
from lectern.platform.user_import.forms import UserImportApplyForm, UserImportForm
from lectern.platform.user_import.services import MAX_BYTES, MAX_ROWS, ImportPlan
from lectern.urls import parse_id

# The roles a row's course columns give, as the preview and the result name them.
COURSE_ROLE_NAMES = {"cadet": _l("cadet"), "instructor": _l("instructor"), "assistant": _l("assistant")}

bp = Blueprint("user_import", __name__, url_prefix="/admin/users/import")
ADMINS = (Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN)

_P = Mapping[str, Any]
_TEXTS: dict[str, Callable[[_P], str]] = {
    "spreadsheet": lambda p: _("This is a spreadsheet, not CSV: save it as “CSV UTF-8”."),
    "encoding": lambda p: (
        _("The file is not UTF-8 (it looks like %(encoding)s): save it as “CSV UTF-8”.", encoding=p["encoding"])
        if p.get("encoding")
        else _("The file is not UTF-8: save it as “CSV UTF-8”.")
    ),
    "binary": lambda p: _("The file is not text."),
    "empty": lambda p: _("The file is empty."),
    "malformed": lambda p: _("The file cannot be read as CSV."),
    "wrong_delimiter": lambda p: _(
        "Wrong delimiter: the columns seem separated by “%(delimiter)s”; use commas, semicolons or tabs.",
        delimiter=p["delimiter"],
    ),
    "unnamed_column": lambda p: _("Column %(number)d has no name.", number=p["number"]),
    "duplicate_columns": lambda p: _("Columns named twice: %(columns)s.", columns=p["columns"]),
    "unknown_columns": lambda p: _(
        "Unknown columns: %(columns)s. Correct their names, or remove them.", columns=p["columns"]
    ),
    "ignored_column": lambda p: _("Column “%(column)s” is not used by Lectern: it is ignored.", column=p["column"]),
    "missing_columns": lambda p: _("Required columns missing: %(columns)s.", columns=p["columns"]),
    "no_rows": lambda p: _("The file has a header but no users."),
    "too_large": lambda p: _("The file is larger than %(mb)d MB: split it into several files.", mb=p["mb"]),
    "too_many_rows": lambda p: _(
        "The file has %(rows)d users; at most %(max)d are taken at once: split it into several files.",
        rows=p["rows"],
        max=p["max"],
    ),
    "too_many_cells": lambda p: _(
        "the row has %(cells)d cells, the header %(columns)d", cells=p["cells"], columns=p["columns"]
    ),
    "too_long": lambda p: _("too long: at most %(max)d characters", max=p["max"]),
    "moodle_action": lambda p: _(
        "the import only creates users: it does not act on “%(column)s” (use the users page to suspend, delete or "
        "rename)",
        column=p["name"],
    ),
    "required": lambda p: _("required, but empty"),
    "bad_username": lambda p: _("use Latin letters, digits, dots, hyphens and underscores"),
    "bad_email": lambda p: _("not an e-mail address (%(reason)s)", reason=p["reason"]),
    "short_password": lambda p: _("too short: at least %(min)d characters", min=p["min"]),
    "unknown_language": lambda p: _(
        "unknown language “%(value)s”: use %(allowed)s", value=p["value"], allowed=p["allowed"]
    ),
    "role_without_course": lambda p: _("a role without a course (course%(number)d is empty)", number=p["number"]),
    "unknown_role": lambda p: _("unknown role “%(value)s”: use %(allowed)s", value=p["value"], allowed=p["allowed"]),
    "duplicate_username": lambda p: _("the same username is on lines %(lines)s", lines=p["lines"]),
    "duplicate_email": lambda p: _("the same e-mail is on lines %(lines)s", lines=p["lines"]),
    "unknown_academy": lambda p: _("no academy is called “%(value)s”", value=p["value"]),
    "other_academy": lambda p: _("you may add users to your own academy only, not to %(value)s", value=p["value"]),
    "username_taken": lambda p: _("another user already has the username %(value)s", value=p["value"]),
    "email_taken": lambda p: _("another user already has the e-mail %(value)s", value=p["value"]),
    "unknown_cohort": lambda p: _(
        "%(academy)s has no cohort “%(value)s” (the import does not create cohorts)",
        academy=p["academy"],
        value=p["value"],
    ),
    "unknown_course": lambda p: _(
        "%(academy)s has no course “%(value)s” you may give its users, of its own or offered to it",
        academy=p["academy"],
        value=p["value"],
    ),
    "ambiguous_course": lambda p: _(
        "%(count)d courses are called “%(value)s”: rename all but one", count=p["count"], value=p["value"]
    ),
    "role_not_allowed": lambda p: _("you may not give the role %(value)s", value=p["value"]),
    "courses_unavailable": lambda p: _("courses cannot be given here"),
}


def problem_text(problem: FileProblem | RowProblem) -> str:
    """The problem in the reader's language; the English message for a code this table does not know."""
    text = _TEXTS.get(problem.code)
    return text(problem.params) if text is not None else problem.message


def _no_store(body: str, status: int) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _filename(raw: str | None) -> str:
    name = re.split(r"[\\/]", raw or "")[-1].strip()
    return name[-100:] or "users.csv"


def _upload_form() -> UserImportForm:
    actor = signed_in_user()
    form = UserImportForm()
    form.academy_id.choices = [SelectChoice(a.id, a.name) for a in visible_academies(db.session, actor)]
    if request.method == "GET":
        form.academy_id.data = actor.academy_id
    return form


def _upload_page(form: UserImportForm, status: int) -> ResponseReturnValue:
    page = render_template(
        "admin/user_import.html",
        form=form,
        max_mb=MAX_BYTES // 2**20,
        max_rows=MAX_ROWS,
        min_password=MIN_PASSWORD_LENGTH,
    )
    return page, status


def _preview(plan: ImportPlan, data: bytes, *, message: str | None = None, status: int | None = None) -> Response:
    form = UserImportApplyForm(
        formdata=None,
        content=base64.b64encode(data).decode("ascii"),
        filename=plan.filename,
        academy_id=str(plan.default_academy.id),
    )
    body = render_template(
        "admin/user_import_preview.html",
        plan=plan,
        form=form,
        problem_text=problem_text,
        message=message,
        role_names=COURSE_ROLE_NAMES,
    )
    return _no_store(body, status or (200 if plan.ok else 422))


@bp.route("", methods=["GET", "POST"])
@role_required(*ADMINS)
def upload() -> ResponseReturnValue:
    """The upload form; a POST checks the file and shows the dry run, writing nothing."""
    form = _upload_form()
    if not form.validate_on_submit():
        return _upload_page(form, 422 if request.method == "POST" else 200)
    upload = form.file.data
    assert isinstance(upload, FileStorage)  # FileRequired passed
    filename = _filename(upload.filename)
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        form.file.errors = [
            _(
                "%(name)s is too large: files up to %(mb)d MB are accepted. Split it into several files.",
                name=filename,
                mb=MAX_BYTES // 2**20,
            )
        ]
        return _upload_page(form, 413)
    plan = user_import.plan_import(
        db.session, signed_in_user(), data, filename=filename, default_academy_id=form.academy_id.data
    )
    return _preview(plan, data)


@bp.route("/apply", methods=["POST"])
@role_required(*ADMINS)
def apply() -> ResponseReturnValue:
    """Check the previewed file again and create all of its users in one transaction, or none."""
    form = UserImportApplyForm()
    if not form.validate_on_submit():
        abort(400)
    content = form.content.data or ""
    if len(content) > (MAX_BYTES // 3 + 1) * 4:
        abort(413)
    try:
        data = base64.b64decode(content, validate=True)
    except binascii.Error:
        abort(400)
    academy_id = parse_id(form.academy_id.data)
    if academy_id is None:
        abort(400)
    filename = _filename(form.filename.data)
    actor = signed_in_user()
    try:
        outcome = user_import.apply_import(db.session, actor, data, filename=filename, default_academy_id=academy_id)
        db.session.commit()
    except Invalid as exc:
        if (refused := user_import.refused_plan(exc)) is None:
            raise
        db.session.rollback()
        message = _("Nothing was created: the file does not pass the checks any more. Fix it and upload it again.")
        return _preview(refused, data, message=message)
    except IntegrityError:
        # Another administrator created one of these users between the checks and the insert.
        db.session.rollback()
        plan = user_import.plan_import(db.session, actor, data, filename=filename, default_academy_id=academy_id)
        message = _("Nothing was created: the users changed while the file was applied. Check the preview again.")
        return _preview(plan, data, message=message, status=409)
    generated = {pair[0] for pair in outcome.generated}
    rows = [
        (user, planned, user.username in generated)
        for user, planned in zip(outcome.created, outcome.plan.rows, strict=True)
    ]
    download = None
    if outcome.generated:
        download = "data:text/csv;charset=utf-8;base64," + base64.b64encode(passwords_csv(outcome.generated)).decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", filename.rsplit(".", 1)[0]).strip("-") or "users"
    body = render_template(
        "admin/user_import_done.html",
        rows=rows,
        filename=filename,
        download=download,
        download_name=f"passwords-{stem}.csv",
        generated=len(generated),
        role_names=COURSE_ROLE_NAMES,
    )
    return _no_store(body, 200)


@bp.route("/example.csv")
@role_required(*ADMINS)
def example() -> ResponseReturnValue:
    """A small file in the layout, to start from: one row with a password and one without, in a cohort of the
    administrator's academy when it has one (so that the example passes the preview as it is). The course columns
    are left empty: they name a course by its title, and the page lists the rules."""
    actor = signed_in_user()
    slug = actor.academy.slug
    own = cohorts.administered_cohorts(db.session, actor, actor.academy_id)
    cohort = own[0].name if own else ""
    rows = [
        {
            "username": "a.ivanov",
            "firstname": "Алексей",
            "lastname": "Иванов",
            "email": "a.ivanov@example.org",
            "password": "",
            "lang": "ru",
            "institution": slug,
            "cohort1": cohort,
            "course1": "",
            "role1": "",
        },
        {
            "username": "l.ozola",
            "firstname": "Līga",
            "lastname": "Ozola",
            "email": "l.ozola@example.org",
            "password": "Change-me-2026",
            "lang": "en",
            "institution": slug,
            "cohort1": cohort,
            "course1": "",
            "role1": "",
        },
    ]
    return csv_download(users_to_csv(rows), "users-example.csv")
