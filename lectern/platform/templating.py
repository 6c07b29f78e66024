"""What every page's template needs: navigation for the user's role, the language switcher, role names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_babel import LazyString, get_locale
from flask_login import current_user

from lectern.i18n import lazy_gettext as _l
from lectern.platform import formatting
from lectern.platform.forms import LanguageForm
from lectern.platform.models import Role, utcnow
from lectern.platform.roles import ROLE_LABELS
from lectern.registry import Slot, registry


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class NavLink:
    """A header link that a higher area adds for `roles`, after the role's own links."""

    roles: frozenset[Role]
    item: NavItem


NAV_LINKS: Slot[NavLink] = Slot("platform.nav_links")


def navigation(role: Role, academy_id: int) -> list[NavItem]:
    """The header's links for a role."""
    administration = [NavItem("cohorts.index", _l("Cohorts")), NavItem("audit.index", _l("Audit log"))]
    if role is Role.GLOBAL_ADMIN:
        own = [NavItem("admin.dashboard", _l("Academies")), NavItem("admin.users", _l("Users")), *administration]
    elif role is Role.ACADEMY_ADMIN:
        own = [
            NavItem("admin.academy", _l("My academy"), (("academy_id", academy_id),)),
            NavItem("admin.users", _l("Users")),
            *administration,
        ]
    elif role is Role.INSTRUCTOR:
        own = [NavItem("home.teaching", _l("Teaching"))]
    elif role is Role.CLASSROOM:
        own = [NavItem("home.hall", _l("Lecture hall"))]
    else:
        own = [NavItem("home.learning", _l("My learning"))]
    return own + [link.item for link in registry().items(NAV_LINKS) if role in link.roles]


def init_app(app: Flask) -> None:
    formatting.init_app(app)
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
