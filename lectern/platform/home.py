"""Each role's home page. Higher areas add panels to these pages through the registry (`HOME_PANELS`), so this
module never imports them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lectern.platform.models import Role
from lectern.platform.roles import login_required, role_required
from lectern.registry import Slot, registry

bp = Blueprint("home", __name__)


@dataclass(frozen=True)
class HomePanel:
    """A template included on the home page of `role`. Added with `first=True`, it goes above the panels added before
    it (what needs the user now, such as a live lecture)."""

    role: Role
    template: str


HOME_PANELS: Slot[HomePanel] = Slot("platform.home_panels")


def _panels(role: Role) -> list[str]:
    return [panel.template for panel in registry().items(HOME_PANELS) if panel.role is role]


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
    return render_template("platform/teaching.html", panels=_panels(Role.INSTRUCTOR))


@bp.route("/learning")
@role_required(Role.CADET)
def learning() -> ResponseReturnValue:
    return render_template("platform/learning.html", panels=_panels(Role.CADET))


@bp.route("/hall")
@role_required(Role.CLASSROOM)
def hall() -> ResponseReturnValue:
    return render_template("platform/hall.html", panels=_panels(Role.CLASSROOM))
