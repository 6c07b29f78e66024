"""The catalogue, a course's page, "My courses", and enrolment."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from markupsafe import Markup
from wtforms import SelectChoice

from lectern.courses import access
from lectern.courses.catalogue import services as catalogue_services
from lectern.courses.catalogue import shared
from lectern.courses.catalogue.services import Filters
from lectern.courses.content import progress
from lectern.courses.content import shared as content_shared
from lectern.courses.content.visibility import LESSON_GUARDS, OutlineModule, outline_for
from lectern.courses.enrolment import cohort_sync, roster
from lectern.courses.enrolment import services as enrolment
from lectern.courses.enrolment.services import EnrolmentReason
from lectern.courses.forms import EnrolKeyForm, EnrolUsersForm
from lectern.courses.models import CourseRole
from lectern.courses.requested import editable_course, listed_course, taught_course
from lectern.domain import Conflict, Forbidden
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform import cache
from lectern.platform.cache import Fragment
from lectern.platform.formatting import date
from lectern.platform.forms import csrf_token
from lectern.platform.models import Role, User, utcnow
from lectern.platform.roles import login_required, signed_in_user
from lectern.registry import registry
from lectern.urls import arg_id, form_ids, page_arg, page_count, search_arg

bp = Blueprint("courses", __name__, url_prefix="/courses")

PER_PAGE = 20

REFUSALS = {
    EnrolmentReason.NOT_ALLOWED: lambda: _("Only cadets can enrol themselves, and only in published courses."),
    EnrolmentReason.CLOSED: lambda: _("Enrolment in this course is closed."),
    EnrolmentReason.NOT_OPEN: lambda: _("Enrolment in this course has not opened yet."),
    EnrolmentReason.WRONG_KEY: lambda: _("That enrolment key is not right. Ask your instructor for it."),
    EnrolmentReason.FULL: lambda: _("This course is full."),
}


@dataclass(frozen=True)
class Listing:
    """A catalogue page as all the readers of one scope and language see it, and the courses on it."""

    fragment: Fragment
    course_ids: tuple[int, ...]


@bp.route("/")
@login_required
def catalogue() -> ResponseReturnValue:
    """The catalogue: its listing is made once per scope (who finds the same courses: `listing_scope`), language,
    filters and page in each generation (lectern.platform.cache), and each reader's enrolled badges are filled in
    with one query."""
    page = page_arg()
    user = signed_in_user()
    locale = str(get_locale() or "")
    filters = cache.shared(("catalogue-filters",), lambda: catalogue_services.filters(db.session))
    academy_id = arg_id("academy")
    category_id = arg_id("category")
    language = request.args.get("language", "")
    query = catalogue_services.CatalogueQuery(
        text=search_arg(),
        academy_id=academy_id if academy_id in filters.academy_ids else None,
        language=language if language in current_app.config["LANGUAGES"] else None,
        category_id=category_id if category_id in filters.category_ids else None,
        prefer_language=locale or None,
    )
    scope = catalogue_services.listing_scope(user)
    listing = cache.shared(("catalogue", scope, locale, query, page), lambda: _listing(user, query, page, filters))
    enrolled = catalogue_services.enrolled_among(db.session, user.id, listing.course_ids)
    badge = cache.constant(("enrolled-badge", locale), lambda: _macro("enrolled_badge"))
    return render_template(
        "courses/catalogue.html", listing=listing.fragment.fill({f"enrolled-{c}": badge for c in enrolled})
    )


def _listing(user: User, query: catalogue_services.CatalogueQuery, page: int, filters: Filters) -> Listing:
    result = catalogue_services.catalogue(db.session, user, query, page, PER_PAGE)
    html = render_template(
        "courses/_catalogue_listing.html",
        result=result,
        query=query,
        page=page,
        pages=page_count(result.total, PER_PAGE),
        filters=filters,
        may_create=access.may_create_courses(user),
    )
    return Listing(Fragment.of(html), tuple(c.id for c in result.courses))


def _macro(name: str) -> Markup:
    return Markup(get_template_attribute("courses/_macros.html", name)())  # noqa: S704 - a template's markup


@bp.route("/mine")
@login_required
def mine() -> ResponseReturnValue:
    user = signed_in_user()
    courses = catalogue_services.enrolled_courses(db.session, user)
    found = progress.course_progress(db.session, user.id, [c.id for c in courses])
    taught = catalogue_services.taught_courses(db.session, user)
    return render_template("courses/mine.html", courses=courses, progress=found, taught=taught, CourseRole=CourseRole)


@bp.route("/<id:course_id>")
@login_required
def course(course_id: int) -> ResponseReturnValue:
    """A course's page: made once for the readers of one kind shown the same lessons (catalogue/shared.py), from
    the course's row and outline that the page cache keeps; the reader's own (enrolment, done lessons, passes,
    completion) is read in one statement and filled in, with their side column."""
    user = signed_in_user()
    item, standing = shared.course_standing(user, course_id)
    enrolled = standing.enrolled
    teaching, editing = shared.course_roles(user, item)
    outline = content_shared.outline(item.id)
    modules = outline_for(db.session, user, outline, registry().items(LESSON_GUARDS), drafts=teaching)
    page = shared.course_page(item.id, modules, shared.Reader(enrolled, teaching, editing))
    holes = _page_holes(modules, standing, editing)
    card = None
    if enrolled:
        found = standing.progress(outline.counted, outline.required_quizzes)
        completed_at = standing.completed_at
        on = date(completed_at, "long") if completed_at else ""
        card = shared.progress_card(item.id, found, completed_at is not None).fill(
            {"csrf": holes.get("csrf") or csrf_token(), "completed-on": on}
        )
    can_self_enrol = user.role is Role.CADET and item.self_enrol and not enrolled
    return render_template(
        "courses/course.html",
        course=item,
        page=lambda aside: page.fill({**holes, "aside": aside}),
        progress_card=card,
        enrolled=enrolled,
        teaching=teaching,
        editing=editing,
        quizzes=outline.listed_quizzes(editing),
        passed_quizzes=standing.passed if enrolled else frozenset(),
        key_form=EnrolKeyForm() if can_self_enrol else None,
        can_self_enrol=can_self_enrol,
    )


def _page_holes(modules: list[OutlineModule], standing: progress.Standing, editing: bool) -> dict[str, str]:
    """What the reader's own fills in a course's page: their done marks and counts, the publish forms' token."""
    holes: dict[str, str] = {"csrf": csrf_token()} if editing else {}
    if not standing.enrolled:
        return holes
    locale = str(get_locale() or "")
    badge = cache.constant(("done-badge", locale), lambda: _macro("done_badge"))
    for module in modules:
        done = total = 0
        for lesson in module.lessons:
            if lesson.id in standing.done:
                holes[f"done-{lesson.id}"], holes[f"badge-{lesson.id}"] = "done", badge
                done += not lesson.draft
            total += not lesson.draft
        if module.lessons:
            holes[f"module-{module.id}"] = _module_done(locale, done, total)
    return holes


def _module_done(locale: str, done: int, total: int) -> str:
    """A module's "1 of 3 done", translated once per process, language and figures."""
    return cache.constant(
        ("module-done", locale, done, total), lambda: _("%(done)d of %(total)d done", done=done, total=total)
    )


@bp.route("/<id:course_id>/enrol", methods=["POST"])
@login_required
def enrol_self(course_id: int) -> ResponseReturnValue:
    item = listed_course(course_id)
    form = EnrolKeyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        enrolment.self_enrol(db.session, signed_in_user(), item, form.key.data, utcnow())
    except Forbidden as refused:
        flash(REFUSALS[EnrolmentReason(refused.reason)](), "error")
        return redirect(url_for("courses.course", course_id=item.id))
    db.session.commit()
    flash(_("You are enrolled. Welcome to the course!"), "success")
    return redirect(url_for("courses.course", course_id=item.id))


@bp.route("/<id:course_id>/leave", methods=["POST"])
@login_required
def leave(course_id: int) -> ResponseReturnValue:
    item = listed_course(course_id)
    try:
        roster.leave(db.session, signed_in_user(), item)
    except Conflict as held:
        db.session.rollback()
        flash(
            _(
                "You are enrolled through your cohort (%(names)s): ask your administrator to unenrol you.",
                names=held.params["names"],
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
    item = taught_course(course_id)
    user = signed_in_user()
    may_enrol = access.can_edit(db.session, user, item)
    text = search_arg()
    candidates = enrolment.enrollable_users(db.session, item, text) if may_enrol else []
    form = EnrolUsersForm()
    form.user_ids.choices = [SelectChoice(u.id, u.full_name) for u in candidates]
    if request.method == "POST":
        access.check_editor(db.session, user, item)
        users = [enrolment.user_for_enrolment(db.session, item, uid) for uid in form_ids("user_ids")]
        if not users:
            flash(_("Choose at least one cadet."), "error")
        else:
            added = roster.enrol_by_hand(db.session, user, item, users)
            db.session.commit()
            flash(ngettext("%(num)d cadet enrolled.", "%(num)d cadets enrolled.", added), "success")
        return redirect(url_for("courses.participants", course_id=item.id))
    enrolments = enrolment.participants(db.session, item)
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
        removed = roster.unenrol_by_hand(db.session, signed_in_user(), item, user_id)
    except Conflict as held:
        db.session.rollback()
        flash(
            ngettext(
                "This cadet is enrolled through the cohort %(names)s and would come back with it: remove them from "
                "the cohort, or unenrol the cohort.",
                "This cadet is enrolled through the cohorts %(names)s and would come back with them: remove them "
                "from the cohorts, or unenrol the cohorts.",
                len(held.params["cohorts"]),
                names=held.params["names"],
            ),
            "error",
        )
        return redirect(url_for("courses.participants", course_id=item.id))
    db.session.commit()
    if removed:
        flash(_("The cadet has been unenrolled; their progress is kept."), "info")
    return redirect(url_for("courses.participants", course_id=item.id))
