"""The audit log of administrative actions: written in the transaction of the action, searched by administrators.

Every area records through `record`; the action names are plain strings (``area.verb``), so a higher area records
its own without importing anything but this module. `ACTION_LABELS` names every area's actions, the courses' ones
included, in one place: the log's filter offers them all, and a new action without a label is easy to spot here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import LazyString
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from lectern.extensions import DbSession
from lectern.i18n import lazy_gettext as _l
from lectern.platform.models import AuditEntry, Role, User
from lectern.platform.roles import ROLE_LABELS

ACTION_LABELS: dict[str, LazyString] = {
    "user.create": _l("User created"),
    "user.update": _l("User edited"),
    "user.role": _l("Site role changed"),
    "user.suspend": _l("User suspended"),
    "user.reactivate": _l("User reactivated"),
    "user.password": _l("Password reset"),
    "user.import": _l("Users imported from CSV"),
    "user.export": _l("Users exported to CSV"),
    "academy.create": _l("Academy created"),
    "academy.update": _l("Academy edited"),
    "cohort.create": _l("Cohort created"),
    "cohort.update": _l("Cohort edited"),
    "cohort.delete": _l("Cohort deleted"),
    "cohort.add": _l("Members added to a cohort"),
    "cohort.remove": _l("Members removed from a cohort"),
    "course.cohort_enrol": _l("Cohort enrolled in a course"),
    "course.cohort_unenrol": _l("Cohort unenrolled from a course"),
    "course.enrol": _l("Cadets enrolled in a course"),
    "course.unenrol": _l("Cadet unenrolled from a course"),
    "course.staff": _l("Course role given"),
    "course.staff_remove": _l("Course role taken away"),
}

# Names of the `details` keys that services write, as the log shows them.
DETAIL_LABELS: dict[str, LazyString] = {
    "usernames": _l("Users"),
    "members": _l("Members"),
    "count": _l("Number"),
    "file": _l("File"),
    "old": _l("Before"),
    "new": _l("After"),
    "role": _l("Role"),
    "course": _l("Course"),
    "cohort": _l("Cohort"),
    "user": _l("User"),
    "fields": _l("Changed"),
    "query": _l("Search"),
    "academy": _l("Academy"),
}
# Values in `details` that are names of things, as the log shows them: roles and the user fields an edit changed.
DETAIL_VALUES: dict[str, LazyString] = {
    **{role.value: label for role, label in ROLE_LABELS.items()},
    "assistant": _l("Assistant"),
    "academy_id": _l("Academy"),
    "username": _l("Username"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("E-mail"),
    "language": _l("Language"),
}


def record(
    session: DbSession,
    actor: User | None,
    action: str,
    *,
    academy_id: int | None,
    target: str = "",
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Add an entry to the log in the caller's transaction: it is kept exactly when the action is.

    `actor` None is the command line. `academy_id` is the academy the action concerns (its administrators read the
    entry); None for site-wide actions, which only global administrators read. `details` must be JSON-serialisable.
    """
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        academy_id=academy_id,
        action=action,
        target=target[:300],
        details=dict(details or {}),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditQuery:
    text: str = ""  # in the target, the actor's username or name
    action: str = ""
    academy_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _visible(stmt: Select[Any], actor: User) -> Select[Any] | None:
    if actor.role is Role.GLOBAL_ADMIN:
        return stmt
    if actor.role is Role.ACADEMY_ADMIN:
        return stmt.where(AuditEntry.academy_id == actor.academy_id)
    return None


def search(
    session: DbSession, actor: User, query: AuditQuery, page: int, per_page: int = 50
) -> tuple[list[AuditEntry], int]:
    """One page of the entries `actor` may read that match `query`, newest first, and how many match in all."""
    stmt = _visible(select(AuditEntry), actor)
    if stmt is None:
        return [], 0
    if query.action:
        stmt = stmt.where(AuditEntry.action == query.action)
    if query.academy_id is not None:
        stmt = stmt.where(AuditEntry.academy_id == query.academy_id)
    if query.since is not None:
        stmt = stmt.where(AuditEntry.created_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(AuditEntry.created_at < query.until)
    if query.text:
        like = f"%{query.text.lower()}%"
        by_actor = select(User.id).where(
            or_(
                func.lower(User.username).like(like),
                func.lower(User.first_name).like(like),
                func.lower(User.last_name).like(like),
            )
        )
        stmt = stmt.where(or_(func.lower(AuditEntry.target).like(like), AuditEntry.actor_id.in_(by_actor)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    entries = session.scalars(
        stmt.options(joinedload(AuditEntry.actor), joinedload(AuditEntry.academy))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(entries), total
