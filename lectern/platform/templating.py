"""What every page's template needs: navigation for the user's role, the language switcher, role names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lectern.platform.forms import LanguageForm
from lectern.platform.models import Role, utcnow
from lectern.platform.roles import ROLE_LABELS


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString
    kwargs: tuple[tuple[str, Any], ...] = ()


def navigation(role: Role, academy_id: int) -> list[NavItem]:
    """The header's links for a role; later areas extend the role home pages rather than this list."""
    if role is Role.GLOBAL_ADMIN:
        return [
            NavItem("admin.dashboard", _l("Academies")),
            NavItem("admin.users", _l("Users")),
        ]
    if role is Role.ACADEMY_ADMIN:
        return [
            NavItem("admin.academy", _l("My academy"), (("academy_id", academy_id),)),
            NavItem("admin.users", _l("Users")),
        ]
    if role is Role.INSTRUCTOR:
        return [NavItem("home.teaching", _l("Teaching"))]
    if role is Role.CLASSROOM:
        return [NavItem("home.hall", _l("Lecture hall"))]
    return [NavItem("home.learning", _l("My learning"))]


def register(app: Flask) -> None:
    app.jinja_env.globals.update(Role=Role, now_utc=utcnow)

    @app.context_processor
    def common() -> dict[str, Any]:
        nav: list[NavItem] = []
        if current_user.is_authenticated:
            nav = navigation(current_user.role, current_user.academy_id)
        form = LanguageForm(formdata=None, language=str(get_locale() or "en"))
        return {
            "nav_items": nav,
            "language_form": form,
            "role_labels": ROLE_LABELS,
            "current_locale": str(get_locale() or "en"),
            "current_path": request.full_path.rstrip("?"),
        }
