"""Cohort administration pages: list, create, edit, delete, and members one by one, in bulk or from CSV.

Higher areas add panels to a cohort's page (the courses area lists the courses the cohort is enrolled in, the
reports area links its report) through the registry's `COHORT_PANELS`, so this module never imports them.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from lectern.domain import Conflict, Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform.admin.services import visible_academies
from lectern.platform.cohorts import services as cohorts
from lectern.platform.cohorts.forms import CohortCsvForm, CohortForm, CohortPasteForm
from lectern.platform.cohorts.member_lists import Identifier, ListProblem, list_problems, parse_csv, parse_text
from lectern.platform.models import Cohort, Role
from lectern.platform.roles import role_required, signed_in_user
from lectern.registry import Slot, registry
from lectern.urls import arg_id, form_ids, search_arg

bp = Blueprint("cohorts", __name__, url_prefix="/admin/cohorts")

ADMINS = (Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN)
CSV_MAX_BYTES = 2 * 2**20  # some 50,000 lines of usernames: far more than MAX_IDENTIFIERS

# Templates that higher areas show in the side column of every cohort's page (added in their `init_app`); they
# see `cohort`.
COHORT_PANELS: Slot[str] = Slot("platform.cohort_panels")


def _cohort(cohort_id: int) -> Cohort:
    return cohorts.get_cohort_for(db.session, signed_in_user(), cohort_id)


@bp.route("/")
@role_required(*ADMINS)
def index() -> ResponseReturnValue:
    actor = signed_in_user()
    academies = visible_academies(db.session, actor)
    academy_id = arg_id("academy")
    academy_id = academy_id if academy_id in {a.id for a in academies} else None
    rows = cohorts.visible_cohorts(db.session, actor, academy_id)
    return render_template("admin/cohorts.html", rows=rows, academies=academies, academy_id=academy_id)


def _cohort_form(item: Cohort | None) -> CohortForm:
    actor = signed_in_user()
    form = CohortForm(obj=item)
    academies = visible_academies(db.session, actor)
    if item is not None:
        academies = [a for a in academies if a.id == item.academy_id]  # a cohort stays in its academy
    form.academy_id.choices = [SelectChoice(a.id, a.name) for a in academies]
    if request.method == "GET" and item is None:
        wanted = arg_id("academy")
        form.academy_id.data = wanted if wanted in {a.id for a in academies} else actor.academy_id
    return form


@bp.route("/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new() -> ResponseReturnValue:
    return _save(_cohort_form(None), None)


@bp.route("/<id:cohort_id>/edit", methods=["GET", "POST"])
@role_required(*ADMINS)
def edit(cohort_id: int) -> ResponseReturnValue:
    item = _cohort(cohort_id)
    return _save(_cohort_form(item), item)


def _save(form: CohortForm, item: Cohort | None) -> ResponseReturnValue:
    if form.validate_on_submit():
        try:
            saved = cohorts.save_cohort(
                db.session,
                signed_in_user(),
                item,
                academy_id=form.academy_id.data,
                name=form.name.data,
                description=form.description.data or "",
            )
        except Conflict:  # the name is another cohort's of the academy
            db.session.rollback()
            form.name.errors = [_("The academy already has a cohort of this name.")]
        else:
            db.session.commit()
            flash(_("The cohort has been saved."), "success")
            return redirect(url_for("cohorts.cohort", cohort_id=saved.id))
    return render_template("admin/cohort_form.html", form=form, cohort=item)


@bp.route("/<id:cohort_id>")
@role_required(*ADMINS)
def cohort(cohort_id: int) -> ResponseReturnValue:
    return _page(_cohort(cohort_id))


def _page(
    item: Cohort,
    *,
    paste_form: CohortPasteForm | None = None,
    csv_form: CohortCsvForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    text = search_arg()
    return render_template(
        "admin/cohort.html",
        cohort=item,
        members=cohorts.members(db.session, item),
        candidates=cohorts.candidates(db.session, item, text),
        text=text,
        paste_form=paste_form or CohortPasteForm(formdata=None),
        csv_form=csv_form or CohortCsvForm(formdata=None),
        problems=problems or [],
        cohort_panels=registry().items(COHORT_PANELS),
    ), status


@bp.route("/<id:cohort_id>/delete", methods=["GET", "POST"])
@role_required(*ADMINS)
def delete(cohort_id: int) -> ResponseReturnValue:
    item = _cohort(cohort_id)
    if request.method == "POST":
        name = item.name
        cohorts.delete_cohort(db.session, signed_in_user(), item)
        db.session.commit()
        flash(_("The cohort %(name)s has been deleted.", name=name), "success")
        return redirect(url_for("cohorts.index"))
    count = len(cohorts.member_ids(db.session, item))
    return render_template("admin/cohort_delete.html", cohort=item, count=count)


@bp.route("/<id:cohort_id>/members", methods=["POST"])
@role_required(*ADMINS)
def add_members(cohort_id: int) -> ResponseReturnValue:
    """Add the users ticked in the search results."""
    item = _cohort(cohort_id)
    ids = form_ids("user_ids")
    if not ids:
        flash(_("Choose at least one user."), "error")
        return redirect(url_for("cohorts.cohort", cohort_id=item.id))
    # NotFound for an id of nobody, Forbidden for a user of another academy: a forged form.
    added = cohorts.add_members(db.session, signed_in_user(), item, cohorts.users_by_ids(db.session, ids))
    db.session.commit()
    flash(ngettext("%(num)d member added.", "%(num)d members added.", added), "success")
    return redirect(url_for("cohorts.cohort", cohort_id=item.id))


def _list_problem(problem: ListProblem) -> str:
    line = problem.line or 0
    if problem.code == "missing":
        return _("Line %(line)d: no username or e-mail address.", line=line)
    if problem.code == "too_many":
        return _("At most %(max)d users can be added at once: add them in several parts.", max=problem.params["max"])
    if problem.code == "encoding":
        return _("The file is not UTF-8: save it as CSV UTF-8 and upload it again.")
    texts = {
        "spreadsheet": _("This is a spreadsheet, not a CSV file: save it as CSV UTF-8 and upload it again."),
        "binary": _("The file is not text."),
        "empty": _("The file is empty."),
        "malformed": _("The file cannot be read as CSV (line %(line)d).", line=line),
        "no_column": _("The file needs a column named username or email in its first line."),
        "no_rows": _("The file has a header but no users."),
    }
    return texts.get(problem.code, _("The file cannot be read."))


def _unusable(problem: cohorts.UnusableIdentifier) -> str:
    if problem.reason == "other_academy":
        return _("Line %(line)d: %(value)s is a user of another academy.", line=problem.line, value=problem.value)
    return _("Line %(line)d: no user has the username or e-mail %(value)s.", line=problem.line, value=problem.value)


def _add_listed(
    item: Cohort, identifiers: list[Identifier], paste: CohortPasteForm | None, upload: CohortCsvForm | None
) -> ResponseReturnValue:
    try:
        added, named = cohorts.add_listed(db.session, signed_in_user(), item, identifiers)
    except Invalid as exc:  # names nobody, or another academy's users
        db.session.rollback()
        problems = [_unusable(p) for p in cohorts.unusable_identifiers(exc)]
        return _page(item, paste_form=paste, csv_form=upload, problems=problems, status=422)
    db.session.commit()
    message = ngettext("%(num)d member added.", "%(num)d members added.", added)
    if (already := named - added) > 0:
        message += " " + ngettext("%(num)d user was a member already.", "%(num)d users were members already.", already)
    flash(message, "success")
    return redirect(url_for("cohorts.cohort", cohort_id=item.id))


@bp.route("/<id:cohort_id>/members/paste", methods=["POST"])
@role_required(*ADMINS)
def add_pasted(cohort_id: int) -> ResponseReturnValue:
    """Add the users named in a pasted list: all of them, or none when one name is wrong."""
    item = _cohort(cohort_id)
    form = CohortPasteForm()
    if not form.validate_on_submit():
        return _page(item, paste_form=form, status=422)
    try:
        identifiers = parse_text(form.identifiers.data or "")
    except Invalid as exc:
        return _page(item, paste_form=form, problems=[_list_problem(p) for p in list_problems(exc)], status=422)
    if not identifiers:
        form.identifiers.errors = [_("Paste at least one username or e-mail address.")]
        return _page(item, paste_form=form, status=422)
    return _add_listed(item, identifiers, form, None)


@bp.route("/<id:cohort_id>/members/csv", methods=["POST"])
@role_required(*ADMINS)
def add_csv(cohort_id: int) -> ResponseReturnValue:
    """Add the users of a CSV file's username (or email) column: all of them, or none when one is wrong."""
    item = _cohort(cohort_id)
    form = CohortCsvForm()
    if not form.validate_on_submit():
        return _page(item, csv_form=form, status=422)
    upload = form.file.data
    assert isinstance(upload, FileStorage)  # FileRequired passed
    data = upload.stream.read(CSV_MAX_BYTES + 1)
    if len(data) > CSV_MAX_BYTES:
        form.file.errors = [_("The file is too large: up to %(mb)d MB.", mb=CSV_MAX_BYTES // 2**20)]
        return _page(item, csv_form=form, status=413)
    try:
        identifiers = parse_csv(data, upload.filename or "")
    except Invalid as exc:
        return _page(item, csv_form=form, problems=[_list_problem(p) for p in list_problems(exc)], status=422)
    return _add_listed(item, identifiers, None, form)


@bp.route("/<id:cohort_id>/members/remove", methods=["POST"])
@role_required(*ADMINS)
def remove_members(cohort_id: int) -> ResponseReturnValue:
    """Remove the ticked members."""
    item = _cohort(cohort_id)
    ids = form_ids("user_ids")
    if not ids:
        flash(_("Tick the members to remove."), "error")
        return redirect(url_for("cohorts.cohort", cohort_id=item.id))
    return _remove(item, ids)


@bp.route("/<id:cohort_id>/members/<id:user_id>/remove", methods=["POST"])
@role_required(*ADMINS)
def remove_member(cohort_id: int, user_id: int) -> ResponseReturnValue:
    return _remove(_cohort(cohort_id), [user_id])


def _remove(item: Cohort, ids: list[int]) -> ResponseReturnValue:
    removed = cohorts.remove_members(db.session, signed_in_user(), item, ids)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d member removed. Enrolments the cohort gave end; completions and grades are kept.",
            "%(num)d members removed. Enrolments the cohort gave end; completions and grades are kept.",
            removed,
        ),
        "success",
    )
    return redirect(url_for("cohorts.cohort", cohort_id=item.id))
