"""Each role's home page. Higher areas add panels to these pages (see `register_panel`), so this module never
imports them."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lectern.platform.models import Role
from lectern.platform.roles import login_required, role_required

bp = Blueprint("home", __name__)

# Role -> templates included on that role's home page, in registration order.
_PANELS: dict[Role, list[str]] = {role: [] for role in Role}


def register_panel(role: Role, template: str, first: bool = False) -> None:
    """Show `template` on the home page of `role` (called by the courses and lectures areas at start-up); `first`
    puts it above the panels registered before it (what needs the user now, such as a live lecture)."""
    if template not in _PANELS[role]:
        _PANELS[role].insert(0 if first else len(_PANELS[role]), template)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    role = current_user.role
    if role is Role.GLOBAL_ADMIN:
        return redirect(url_for("admin.dashboard"))
    if role is Role.ACADEMY_ADMIN:
        return redirect(url_for("admin.academy", academy_id=current_user.academy_id))
    if role is Role.INSTRUCTOR:
        return redirect(url_for("home.teaching"))
    if role is Role.CLASSROOM:
        return redirect(url_for("home.hall"))
    return redirect(url_for("home.learning"))


@bp.route("/teaching")
@role_required(Role.INSTRUCTOR)
def teaching() -> ResponseReturnValue:
    return render_template("platform/teaching.html", panels=_PANELS[Role.INSTRUCTOR])


@bp.route("/learning")
@role_required(Role.CADET)
def learning() -> ResponseReturnValue:
    return render_template("platform/learning.html", panels=_PANELS[Role.CADET])


@bp.route("/hall")
@role_required(Role.CLASSROOM)
def hall() -> ResponseReturnValue:
    return render_template("platform/hall.html", panels=_PANELS[Role.CLASSROOM])
