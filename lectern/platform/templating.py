"""What every page's template needs: navigation for the user's role, the language switcher, role names.

Every page has them, so they cost next to nothing per request: the links of each role and academy and the
switcher of each language are made once per process (`cache.constant`), and the template adds what is the
request's own (which link is the current page, the CSRF token, the address to come back to)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, get_template_attribute, request, url_for
from flask_babel import LazyString, get_locale
from flask_login import current_user
from markupsafe import Markup

from lectern.i18n import lazy_gettext as _l
from lectern.platform import academy_facts, cache, formatting, forms
from lectern.platform.forms import LanguageForm
from lectern.platform.models import Academy, Role, utcnow
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


@dataclass(frozen=True)
class NavLinkShown:
    """A header link as the template shows it: its address and its label in the page's language."""

    href: str
    label: str


def shown_navigation(role: Role, academy_id: int, locale: str) -> tuple[NavLinkShown, ...]:
    """The header's links for a role and academy in `locale`, their addresses built once per process."""

    def make() -> tuple[NavLinkShown, ...]:
        return tuple(
            NavLinkShown(url_for(item.endpoint, **dict(item.kwargs)), str(item.label))
            for item in navigation(role, academy_id)
        )

    return cache.constant(("nav", role, academy_id, locale, request.script_root), make)


def language_select(locale: str) -> Markup:
    """The header's language switcher's <select>, once per process and language."""

    def make() -> Markup:
        form = LanguageForm(formdata=None, meta={"csrf": False}, language=locale)
        return Markup(form.language(id="language", class_="js-autosubmit"))  # noqa: S704 - WTForms escapes

    return cache.constant(("language-select", locale), make)


_CURRENT = Markup(' aria-current="page"')


def page_header() -> Markup:
    """The header of every page (templates/_page_chrome.html): made once per language, role and academy, with
    the request's own parts filled in."""
    locale = str(get_locale() or "en")
    user = current_user._get_current_object()
    signed_in = bool(user.is_authenticated)
    role = user.role if signed_in else None
    academy_id = user.academy_id if signed_in else None
    nav = shown_navigation(user.role, user.academy_id, locale) if signed_in else ()

    def make() -> cache.Fragment:
        macro = get_template_attribute("_page_chrome.html", "header")
        return cache.Fragment.of(
            macro(nav, language_select(locale), signed_in, str(ROLE_LABELS[role]) if role is not None else "")
        )

    fragment = cache.constant(("page-header", locale, request.script_root, role, academy_id), make)
    path = request.path
    holes: dict[str, str] = {"csrf": forms.csrf_token(), "next": request.full_path.rstrip("?")}
    for index, item in enumerate(nav):
        if path.startswith(item.href) and (item.href != "/" or path == "/"):
            holes[f"current-{index}"] = _CURRENT
    if signed_in:
        holes["name"] = user.full_name
        facts = academy_facts.signed_in()
        holes["academy"] = facts.name if facts is not None else ""
    return fragment.fill(holes)


def page_footer() -> Markup:
    """The footer of every page, once per language and timezone shown."""
    locale = str(get_locale() or "en")
    facts = academy_facts.signed_in()
    zone = facts.timezone if facts is not None else ""

    def make() -> Markup:
        return Markup(get_template_attribute("_page_chrome.html", "footer")(zone))  # noqa: S704 - a template's

    return cache.constant(("page-footer", locale, zone), make)


def init_app(app: Flask) -> None:
    formatting.init_app(app)
    # The header and every time shown use the academy's facts (academy_facts), kept in the page cache.
    registry(app).add(cache.WATCHED, cast(type[Any], Academy))
    app.jinja_env.globals.update(
        Role=Role,
        now_utc=utcnow,
        csrf_token=forms.csrf_token,
        my_academy=academy_facts.signed_in,
        page_header=page_header,
        page_footer=page_footer,
        hole=cache.hole,
    )

    @app.context_processor
    def common() -> dict[str, Any]:
        return {
            "role_labels": ROLE_LABELS,
            "current_locale": str(get_locale() or "en"),
            "current_path": request.full_path.rstrip("?"),
        }
