"""The catalogue, a course's page, "My courses", and enrolment."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user
from wtforms import SelectChoice

from lectern.courses import access, services
from lectern.courses.content import progress
from lectern.courses.enrolment import cohort_sync, roster
from lectern.courses.forms import EnrolKeyForm, EnrolUsersForm
from lectern.courses.models import CourseRole
from lectern.courses.views_common import editable_course, listed_course, or_http
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform.models import Role, utcnow
from lectern.platform.roles import login_required
from lectern.urls import arg_id, form_ids, page_arg, page_count, search_arg

bp = Blueprint("courses", __name__, url_prefix="/courses")

PER_PAGE = 20

REFUSALS = {
    "not_allowed": lambda: _("Only cadets can enrol themselves, and only in published courses."),
    "closed": lambda: _("Enrolment in this course is closed."),
    "not_open": lambda: _("Enrolment in this course has not opened yet."),
    "wrong_key": lambda: _("That enrolment key is not right. Ask your instructor for it."),
    "full": lambda: _("This course is full."),
}


@bp.route("/")
@login_required
def catalogue() -> ResponseReturnValue:
    page = page_arg()
    academies = services.catalogue_academies(db.session)
    tree = services.category_tree(db.session)
    academy_id = arg_id("academy")
    category_id = arg_id("category")
    language = request.args.get("language", "")
    query = services.CatalogueQuery(
        text=search_arg(),
        academy_id=academy_id if academy_id in {a.id for a in academies} else None,
        language=language if language in ("en", "ru") else None,
        category_id=category_id if category_id in {c.id for c, _depth in tree} else None,
        prefer_language=str(get_locale() or "") or None,
    )
    result = services.catalogue(db.session, current_user, query, page, PER_PAGE)
    return render_template(
        "courses/catalogue.html",
        result=result,
        query=query,
        page=page,
        pages=page_count(result.total, PER_PAGE),
        academies=academies,
        tree=tree,
        may_create=access.may_create_courses(current_user),
    )


@bp.route("/mine")
@login_required
def mine() -> ResponseReturnValue:
    courses = services.enrolled_courses(db.session, current_user)
    found = progress.course_progress(db.session, current_user.id, [c.id for c in courses])
    taught = services.taught_courses(db.session, current_user)
    return render_template("courses/mine.html", courses=courses, progress=found, taught=taught, CourseRole=CourseRole)


@bp.route("/<id:course_id>")
@login_required
def course(course_id: int) -> ResponseReturnValue:
    item = listed_course(course_id)
    outline = services.load_outline(db.session, item)
    enrolled = access.is_enrolled(db.session, current_user, item)
    teaching = access.can_teach(db.session, current_user, item)
    done = progress.done_lessons(db.session, current_user.id, item.id) if enrolled else set()
    return render_template(
        "courses/course.html",
        course=item,
        outline=outline,
        enrolled=enrolled,
        teaching=teaching,
        editing=access.can_edit(db.session, current_user, item),
        done=done,
        progress=progress.course_progress(db.session, current_user.id, [item.id])[item.id],
        completed_at=progress.completed_at(db.session, current_user.id, item) if enrolled else None,
        key_form=EnrolKeyForm(),
        can_self_enrol=current_user.role is Role.CADET and item.self_enrol and not enrolled,
    )


@bp.route("/<id:course_id>/enrol", methods=["POST"])
@login_required
def enrol_self(course_id: int) -> ResponseReturnValue:
    item = listed_course(course_id)
    form = EnrolKeyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.self_enrol(db.session, current_user, item, form.key.data, utcnow())
    except services.EnrolmentRefused as exc:
        flash(REFUSALS[exc.reason](), "error")
        return redirect(url_for("courses.course", course_id=item.id))
    db.session.commit()
    flash(_("You are enrolled. Welcome to the course!"), "success")
    return redirect(url_for("courses.course", course_id=item.id))


@bp.route("/<id:course_id>/leave", methods=["POST"])
@login_required
def leave(course_id: int) -> ResponseReturnValue:
    item = listed_course(course_id)
    try:
        roster.leave(db.session, current_user, item)
    except roster.HeldByCohort as exc:
        flash(
            _(
                "You are enrolled through your cohort (%(names)s): ask your administrator to unenrol you.",
                names=exc.names,
            ),
            "error",
        )
        return redirect(url_for("courses.course", course_id=item.id))
    db.session.commit()
    flash(_("You have left the course. Your progress is kept if you come back."), "info")
    return redirect(url_for("courses.catalogue"))


@bp.route("/<id:course_id>/participants", methods=["GET", "POST"])
@login_required
def participants(course_id: int) -> ResponseReturnValue:
    item = listed_course(course_id)
    if not access.can_teach(db.session, current_user, item):
        abort(403)
    may_enrol = access.can_edit(db.session, current_user, item)
    text = search_arg()
    candidates = services.enrollable_users(db.session, item, text) if may_enrol else []
    form = EnrolUsersForm()
    form.user_ids.choices = [SelectChoice(u.id, u.full_name) for u in candidates]
    if request.method == "POST":
        if not may_enrol:
            abort(403)
        ids = form_ids("user_ids")
        users = [or_http(partial(services.user_for_enrolment, db.session, item, uid)) for uid in ids]
        if not users:
            flash(_("Choose at least one cadet."), "error")
        else:
            added = roster.enrol_by_hand(db.session, current_user, item, users)
            db.session.commit()
            flash(ngettext("%(num)d cadet enrolled.", "%(num)d cadets enrolled.", added), "success")
        return redirect(url_for("courses.participants", course_id=item.id))
    enrolments = services.participants(db.session, item)
    user_ids = [e.user_id for e in enrolments]
    staff = roster.staff_of(db.session, item)
    return render_template(
        "courses/participants.html",
        course=item,
        enrolments=enrolments,
        progress=progress.participants_progress(db.session, item.id, user_ids),
        held=cohort_sync.holding_cohorts(db.session, item, user_ids),
        cohorts=cohort_sync.counted_cohorts_of_course(db.session, item),
        cohort_choices=cohort_sync.enrollable_cohorts(db.session, item) if may_enrol else [],
        staff=staff,
        # Roles that give nothing now: their holder is no longer an instructor or administrator of this academy.
        dormant={s.user_id for s in staff if not access.holds_course_roles(s.user, item.academy_id)},
        staff_choices=roster.staff_candidates(db.session, item) if may_enrol else [],
        candidates=candidates,
        may_enrol=may_enrol,
        text=text,
        form=form,
        method_labels=roster.METHOD_LABELS,
        course_role_labels=roster.COURSE_ROLE_LABELS,
        course_role_hints=roster.COURSE_ROLE_HINTS,
    )


@bp.route("/<id:course_id>/participants/<id:user_id>/remove", methods=["POST"])
@login_required
def remove_participant(course_id: int, user_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    try:
        removed = roster.unenrol_by_hand(db.session, current_user, item, user_id)
    except roster.HeldByCohort as exc:
        flash(
            ngettext(
                "This cadet is enrolled through the cohort %(names)s and would come back with it: remove them from "
                "the cohort, or unenrol the cohort.",
                "This cadet is enrolled through the cohorts %(names)s and would come back with them: remove them "
                "from the cohorts, or unenrol the cohorts.",
                len(exc.cohorts),
                names=exc.names,
            ),
            "error",
        )
        return redirect(url_for("courses.participants", course_id=item.id))
    db.session.commit()
    if removed:
        flash(_("The cadet has been unenrolled; their progress is kept."), "info")
    return redirect(url_for("courses.participants", course_id=item.id))
