"""The audit log page: administrators search the actions taken in what they administer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from lectern.extensions import db
from lectern.platform.admin.services import visible_academies
from lectern.platform.audit import services as audit
from lectern.platform.models import Role
from lectern.platform.roles import role_required, signed_in_user
from lectern.platform.rules import FIRST_YEAR, LAST_YEAR
from lectern.urls import arg_id, page_arg, page_count, search_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PER_PAGE = 50


def _day(name: str) -> date | None:
    """A date from the filter (YYYY-MM-DD, as <input type=date> sends it); anything else is no filter."""
    try:
        day = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def _start_of(day: date | None) -> datetime | None:
    # Days are the viewer's academy days: "since 3 March" in Bishkek starts at midnight in Bishkek.
    zone = ZoneInfo(signed_in_user().academy.timezone)
    return datetime.combine(day, time(), tzinfo=zone) if day else None


@bp.route("/")
@role_required(Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN)
def index() -> ResponseReturnValue:
    actor = signed_in_user()
    academies = visible_academies(db.session, actor)
    academy_id = arg_id("academy")
    action = request.args.get("action", "")
    since, until = _day("since"), _day("until")
    query = audit.AuditQuery(
        text=search_arg(),
        action=action if action in audit.ACTION_LABELS else "",
        academy_id=academy_id if academy_id in {a.id for a in academies} else None,
        since=_start_of(since),
        until=_start_of(until + timedelta(days=1)) if until else None,
    )
    page = page_arg()
    entries, total = audit.search(db.session, actor, query, page, PER_PAGE)
    return render_template(
        "admin/audit.html",
        entries=entries,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        query=query,
        since=since,
        until=until,
        academies=academies,
        actions=audit.ACTION_LABELS,
        detail_labels=audit.DETAIL_LABELS,
        detail_values=audit.DETAIL_VALUES,
    )
