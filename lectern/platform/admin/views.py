"""Administration of academies and users, scoped to what the administrator may manage."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from lectern.domain import Conflict, Forbidden
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.admin import services
from lectern.platform.admin.forms import AcademyForm, UserForm
from lectern.platform.cohorts import services as cohorts
from lectern.platform.downloads import csv_download
from lectern.platform.models import Academy, Cohort, Role, User
from lectern.platform.roles import ROLE_LABELS, role_required, signed_in_user
from lectern.platform.user_import import services as user_import
from lectern.registry import Slot, registry
from lectern.urls import arg_id, page_arg, page_count, search_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMINS = (Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN)
# Templates shown on an academy's page below its users (the lectures area: what its recordings take of its quota);
# they see `academy`.
ACADEMY_PANELS: Slot[str] = Slot("platform.academy_panels")
PER_PAGE = 50


@bp.route("/")
@role_required(Role.GLOBAL_ADMIN)
def dashboard() -> ResponseReturnValue:
    academies = services.visible_academies(db.session, signed_in_user())
    counts = services.academy_user_counts(db.session, academies)
    return render_template("admin/dashboard.html", academies=academies, counts=counts)


@bp.route("/academies/<id:academy_id>")
@role_required(*ADMINS)
def academy(academy_id: int) -> ResponseReturnValue:
    item = services.get_academy_for(db.session, signed_in_user(), academy_id)
    counts = services.academy_user_counts(db.session, [item])[item.id]
    panels = registry().items(ACADEMY_PANELS)
    return render_template("admin/academy.html", academy=item, counts=counts, panels=panels)


@bp.route("/academies/new", methods=["GET", "POST"])
@role_required(Role.GLOBAL_ADMIN)
def academy_new() -> ResponseReturnValue:
    form = AcademyForm()
    if request.method == "GET":
        form.timezone.data = "UTC"
    return _save_academy(form, None)


@bp.route("/academies/<id:academy_id>/edit", methods=["GET", "POST"])
@role_required(*ADMINS)
def academy_edit(academy_id: int) -> ResponseReturnValue:
    item = services.get_academy_for(db.session, signed_in_user(), academy_id)
    return _save_academy(AcademyForm(obj=item), item)


def _save_academy(form: AcademyForm, item: Academy | None) -> ResponseReturnValue:
    if form.validate_on_submit():
        try:
            saved = services.save_academy(
                db.session,
                signed_in_user(),
                item,
                slug=form.slug.data,
                name=form.name.data,
                city=form.city.data,
                country=form.country.data,
                timezone=form.timezone.data,
                default_language=form.default_language.data,
            )
        except Conflict:  # the short name is another academy's
            form.slug.errors = [_("Another academy already uses this short name.")]
        else:
            db.session.commit()
            flash(_("The academy has been saved."), "success")
            return redirect(url_for("admin.academy", academy_id=saved.id))
    return render_template("admin/academy_form.html", form=form, academy=item)


def _user_filter() -> tuple[services.UserFilter, list[Academy], list[Cohort]]:
    """The users filter from the address bar; values the administrator may not use are ignored, not errors."""
    actor = signed_in_user()
    academies = list(services.visible_academies(db.session, actor))
    visible = cohorts.administered_cohorts(db.session, actor)
    role = request.args.get("role", "")
    academy_id = arg_id("academy")
    cohort_id = arg_id("cohort")
    flt = services.UserFilter(
        query=search_arg(),
        role=Role(role) if role in Role._value2member_map_ else None,
        academy_id=academy_id if academy_id in {a.id for a in academies} else None,
        cohort_id=cohort_id if cohort_id in {c.id for c in visible} else None,
    )
    return flt, academies, visible


@bp.route("/users")
@role_required(*ADMINS)
def users() -> ResponseReturnValue:
    flt, academies, visible = _user_filter()
    page = page_arg()
    actor = signed_in_user()
    items, total = services.list_users(db.session, actor, flt, page, PER_PAGE)
    return render_template(
        "admin/users.html",
        users=items,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        flt=flt,
        academies=academies,
        cohorts=visible,
        memberships=cohorts.cohorts_of(db.session, [u.id for u in items]),
        manageable={u.id for u in items if services.may_manage(actor, u)},
        roles=ROLE_LABELS,
    )


@bp.route("/users/export.csv", methods=["POST"])
@role_required(*ADMINS)
def users_export() -> ResponseReturnValue:
    """The users of the current filter, in the upload's own layout. A POST: the export of personal data is recorded
    in the audit log, and no GET writes."""
    flt, _academies, _cohorts = _user_filter()
    body = user_import.export_users(db.session, signed_in_user(), flt)
    db.session.commit()
    return csv_download(body, "users.csv")


@bp.route("/users/<id:user_id>/<any(suspend, reactivate):action>", methods=["POST"])
@role_required(*ADMINS)
def user_active(user_id: int, action: str) -> ResponseReturnValue:
    """Suspend a user (ending their sessions) or let them sign in again."""
    actor = signed_in_user()
    item = services.get_manageable_user(db.session, actor, user_id)
    services.set_active(db.session, actor, item, action == "reactivate")  # Forbidden for oneself
    db.session.commit()
    if action == "suspend":
        flash(_("%(name)s is suspended and signed out everywhere.", name=item.username), "success")
    else:
        flash(_("%(name)s can sign in again.", name=item.username), "success")
    return redirect(_back())


@bp.route("/users/<id:user_id>/password", methods=["POST"])
@role_required(*ADMINS)
def user_password(user_id: int) -> ResponseReturnValue:
    """Give the user a new generated password and show it, once: the page is not stored, nor the password."""
    actor = signed_in_user()
    item = services.get_manageable_user(db.session, actor, user_id)
    password = services.reset_password(db.session, actor, item)
    db.session.commit()
    response = Response(render_template("admin/user_password.html", user=item, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


def _back() -> str:
    """Back to the users list the administrator came from (a local address only)."""
    target = request.form.get("next", "")
    if target.startswith("/admin/users") and not target.startswith("//"):
        return target
    return url_for("admin.users")


def _user_form(item: User | None) -> UserForm:
    actor = signed_in_user()
    form = UserForm(obj=item, require_password=item is None)
    form.academy_id.choices = [SelectChoice(a.id, a.name) for a in services.visible_academies(db.session, actor)]
    allowed = services.manageable_roles(actor)
    form.role.choices = [SelectChoice(r.value, str(ROLE_LABELS[r])) for r in allowed]
    if request.method == "GET":
        if item is None:
            form.academy_id.data = actor.academy_id
            form.role.data = Role.CADET.value
            form.language.data = actor.academy.default_language
        else:
            form.role.data = item.role.value
            form.language.data = item.language or ""
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def user_new() -> ResponseReturnValue:
    form = _user_form(None)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session,
                signed_in_user(),
                academy_id=form.academy_id.data,
                username=form.username.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                role=Role(form.role.data),
                password=form.password.data,
                email=form.email.data or None,
                language=form.language.data or "",  # "": as the browser, chosen in the form
            )
        except Conflict as exc:  # the username or the e-mail is another user's
            getattr(form, exc.field or "username").errors = [_("Another user already has this.")]
        else:
            db.session.commit()
            flash(_("User %(name)s has been created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@role_required(*ADMINS)
def user_edit(user_id: int) -> ResponseReturnValue:
    actor = signed_in_user()
    item = services.get_manageable_user(db.session, actor, user_id)
    form = _user_form(item)
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session,
                actor,
                item,
                academy_id=form.academy_id.data,
                username=form.username.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                role=Role(form.role.data),
                email=form.email.data or None,
                language=form.language.data or None,
                active=bool(form.active.data),
            )
            if form.password.data:
                services.admin_set_password(db.session, actor, item, form.password.data)
        except Conflict as exc:  # the username or the e-mail is another user's
            db.session.rollback()
            getattr(form, exc.field or "username").errors = [_("Another user already has this.")]
        except Forbidden as exc:
            if exc.reason is not services.AdminReason.OWN_ACCOUNT:
                raise
            db.session.rollback()
            flash(_("You cannot change your own role or suspend yourself."), "error")
        else:
            db.session.commit()
            flash(_("User %(name)s has been saved.", name=item.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=item)
