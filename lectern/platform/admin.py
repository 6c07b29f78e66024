"""Administration of academies and users, scoped to what the administrator may manage."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from lectern.extensions import db
from lectern.platform import services
from lectern.platform.forms import AcademyForm, UserForm
from lectern.platform.models import Academy, Role, User
from lectern.platform.roles import ROLE_LABELS, role_required

MAX_PAGE = 10_000  # a page number from the address bar must not overflow the database' OFFSET
bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMINS = (Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN)
PER_PAGE = 50


def _academy_or_404(academy_id: int) -> Academy:
    try:
        return services.get_academy_for(db.session, current_user, academy_id)
    except services.NotFound:
        abort(404)


def _user_or_404(user_id: int) -> User:
    try:
        return services.get_user_for(db.session, current_user, user_id)
    except services.NotFound:
        abort(404)


@bp.route("/")
@role_required(Role.GLOBAL_ADMIN)
def dashboard() -> ResponseReturnValue:
    academies = services.visible_academies(db.session, current_user)
    counts = services.academy_user_counts(db.session, academies)
    return render_template("admin/dashboard.html", academies=academies, counts=counts)


@bp.route("/academies/<id:academy_id>")
@role_required(*ADMINS)
def academy(academy_id: int) -> ResponseReturnValue:
    item = _academy_or_404(academy_id)
    counts = services.academy_user_counts(db.session, [item])[item.id]
    return render_template("admin/academy.html", academy=item, counts=counts)


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
    item = _academy_or_404(academy_id)
    return _save_academy(AcademyForm(obj=item), item)


def _save_academy(form: AcademyForm, item: Academy | None) -> ResponseReturnValue:
    if form.validate_on_submit():
        try:
            saved = services.save_academy(
                db.session,
                current_user,
                item,
                slug=form.slug.data,
                name=form.name.data,
                city=form.city.data,
                country=form.country.data,
                timezone=form.timezone.data,
                default_language=form.default_language.data,
            )
        except services.DuplicateAcademy:
            form.slug.errors = [_("Another academy already uses this short name.")]
        else:
            db.session.commit()
            flash(_("The academy has been saved."), "success")
            return redirect(url_for("admin.academy", academy_id=saved.id))
    return render_template("admin/academy_form.html", form=form, academy=item)


@bp.route("/users")
@role_required(*ADMINS)
def users() -> ResponseReturnValue:
    academies = services.visible_academies(db.session, current_user)
    role = request.args.get("role", "")
    academy_id = request.args.get("academy", type=int)
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    flt = services.UserFilter(
        query=request.args.get("q", "").strip()[:100],
        role=Role(role) if role in Role._value2member_map_ else None,
        academy_id=academy_id if academy_id in {a.id for a in academies} else None,
    )
    items, total = services.list_users(db.session, current_user, flt, page, PER_PAGE)
    return render_template(
        "admin/users.html",
        users=items,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        flt=flt,
        academies=academies,
        roles=ROLE_LABELS,
    )


def _user_form(item: User | None) -> UserForm:
    form = UserForm(obj=item, require_password=item is None)
    form.academy_id.choices = [SelectChoice(a.id, a.name) for a in services.visible_academies(db.session, current_user)]
    allowed = services.manageable_roles(current_user)
    form.role.choices = [SelectChoice(r.value, str(ROLE_LABELS[r])) for r in allowed]
    if request.method == "GET":
        if item is None:
            form.academy_id.data = current_user.academy_id
            form.role.data = Role.CADET.value
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
                current_user,
                academy_id=form.academy_id.data,
                username=form.username.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                role=Role(form.role.data),
                password=form.password.data,
                email=form.email.data or None,
                language=form.language.data or None,
            )
        except services.DuplicateUser as exc:
            getattr(form, exc.field).errors = [_("Another user already has this.")]
        except (services.Forbidden, services.NotFound):
            abort(403)
        else:
            db.session.commit()
            flash(_("User %(name)s has been created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@role_required(*ADMINS)
def user_edit(user_id: int) -> ResponseReturnValue:
    item = _user_or_404(user_id)
    if item.role not in services.manageable_roles(current_user):
        abort(403)
    form = _user_form(item)
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session,
                current_user,
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
                services.set_password(item, form.password.data)
        except services.DuplicateUser as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [_("Another user already has this.")]
        except services.Forbidden:
            db.session.rollback()
            flash(_("You cannot change your own role or suspend yourself."), "error")
        except services.NotFound:
            abort(403)
        else:
            db.session.commit()
            flash(_("User %(name)s has been saved.", name=item.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=item)
