"""Cohorts: groups of an academy's users, managed by its administrators. Takes a session, never the request.

A membership change sends `members_joined` or `members_left` (blinker signals, in the caller's transaction) so that
the courses area keeps the enrolments of cohorts enrolled in courses in step, without this area knowing courses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from blinker import Namespace
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import joinedload

from lectern.domain import Conflict, Forbidden, Invalid, NotFound
from lectern.extensions import DbSession, in_chunks
from lectern.platform.admin.services import administers, get_academy_for
from lectern.platform.audit import services as audit
from lectern.platform.cohorts.member_lists import Identifier
from lectern.platform.models import Cohort, CohortMember, Role, User

_signals = Namespace()
# Sent with the cohort as sender and keyword arguments `session`, `actor` (a User or None) and `user_ids`, after
# the rows are written and before the caller commits; a receiver writes in the same transaction.
members_joined = _signals.signal("cohort-members-joined")
members_left = _signals.signal("cohort-members-left")


class CohortReason(StrEnum):
    """Why a cohort service refused."""

    NAME_TAKEN = "name_taken"  # the academy already has a cohort of this name (Conflict, field "name")
    OTHER_ACADEMY = "other_academy"  # a cohort stays in its academy, and so do its members (Forbidden)
    UNUSABLE_MEMBERS = "unusable_members"  # a list names nobody, or another academy's users (Invalid, `problems`)


@dataclass(frozen=True)
class UnusableIdentifier:
    """A username or e-mail of a list that names nobody (`reason` "unknown") or a user of another academy
    ("other_academy"), with the line it is on."""

    line: int
    value: str
    reason: str


def unusable_identifiers(error: Invalid) -> list[UnusableIdentifier]:
    """The identifiers of a list that `resolve` refused (its `problems`), for the page that names them."""
    problems: list[UnusableIdentifier] = error.params.get("problems", [])
    return problems


def _administered(actor: User, academy_id: int | None) -> Select[Cohort] | None:
    if actor.role is Role.GLOBAL_ADMIN:
        stmt = select(Cohort)
    elif actor.role is Role.ACADEMY_ADMIN:
        stmt = select(Cohort).where(Cohort.academy_id == actor.academy_id)
    else:
        return None
    if academy_id is not None:
        stmt = stmt.where(Cohort.academy_id == academy_id)
    return stmt.options(joinedload(Cohort.academy)).order_by(Cohort.name, Cohort.id)  # lists name the academy


def administered_cohorts(session: DbSession, actor: User, academy_id: int | None = None) -> list[Cohort]:
    """The cohorts `actor` administers (of one academy if given), by name: for filters and choices."""
    stmt = _administered(actor, academy_id)
    return [] if stmt is None else list(session.scalars(stmt))


def visible_cohorts(session: DbSession, actor: User, academy_id: int | None = None) -> list[tuple[Cohort, int]]:
    """The cohorts `actor` administers (of one academy if given), by name, each with its number of members."""
    stmt = _administered(actor, academy_id)
    if stmt is None:
        return []
    counts = select(CohortMember.cohort_id, func.count().label("n")).group_by(CohortMember.cohort_id).subquery("counts")
    rows = session.execute(
        stmt.add_columns(func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.cohort_id == Cohort.id)
    )
    return [(cohort, n) for cohort, n in rows]


def get_cohort_for(session: DbSession, actor: User, cohort_id: int) -> Cohort:
    """The cohort if `actor` administers its academy; NotFound otherwise, so that other academies' stay hidden."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or not administers(actor, cohort.academy_id):
        raise NotFound()
    return cohort


def save_cohort(
    session: DbSession, actor: User, cohort: Cohort | None, *, academy_id: int, name: str, description: str = ""
) -> Cohort:
    """Create (cohort None) or rename a cohort. A cohort stays in its academy: its members belong there."""
    academy = get_academy_for(session, actor, academy_id)
    if cohort is not None and cohort.academy_id != academy.id:
        raise Forbidden(CohortReason.OTHER_ACADEMY)
    name = " ".join(name.split())
    clash = select(Cohort.id).where(Cohort.academy_id == academy.id, func.lower(Cohort.name) == name.lower())
    if cohort is not None:
        clash = clash.where(Cohort.id != cohort.id)
    if session.scalar(clash) is not None:
        raise Conflict(CohortReason.NAME_TAKEN, field="name")
    created = cohort is None
    if cohort is None:
        cohort = Cohort(academy_id=academy.id)
        session.add(cohort)
    cohort.name = name
    cohort.description = description.strip()
    session.flush()
    audit.record(
        session, actor, "cohort.create" if created else "cohort.update", academy_id=academy.id, target=cohort.name
    )
    return cohort


def delete_cohort(session: DbSession, actor: User, cohort: Cohort) -> None:
    """Delete a cohort. Its members leave it first, so that the enrolments it gave end as for any leaver."""
    get_cohort_for(session, actor, cohort.id)
    ids = member_ids(session, cohort)
    _remove(session, actor, cohort, ids)
    audit.record(
        session, actor, "cohort.delete", academy_id=cohort.academy_id, target=cohort.name, details={"members": len(ids)}
    )
    session.delete(cohort)
    session.flush()


def member_ids(session: DbSession, cohort: Cohort) -> list[int]:
    return list(session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)))


def members(session: DbSession, cohort: Cohort) -> list[User]:
    """The cohort's members by name."""
    return list(
        session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(User.last_name, User.first_name, User.id)
        )
    )


def add_members(session: DbSession, actor: User | None, cohort: Cohort, users: Iterable[User]) -> int:
    """Add `users` (members already are left alone); returns how many joined. Every user must be of the cohort's
    academy: Forbidden otherwise, and nothing is added. `actor` None is the command line or the demo data."""
    users = list(users)
    if any(u.academy_id != cohort.academy_id for u in users):
        raise Forbidden(CohortReason.OTHER_ACADEMY)
    have = set(member_ids(session, cohort))
    new = sorted({u.id for u in users} - have)
    for user_id in new:
        session.add(CohortMember(cohort_id=cohort.id, user_id=user_id))
    if not new:
        return 0
    session.flush()
    joined = set(new)
    audit.record(
        session,
        actor,
        "cohort.add",
        academy_id=cohort.academy_id,
        target=cohort.name,
        details={"usernames": sorted(u.username for u in users if u.id in joined)},
    )
    members_joined.send(cohort, session=session, actor=actor, user_ids=new)
    return len(new)


def remove_members(session: DbSession, actor: User | None, cohort: Cohort, user_ids: Sequence[int]) -> int:
    """Remove members; returns how many left. Ids of non-members are ignored."""
    have = set(member_ids(session, cohort))
    leaving = sorted(set(user_ids) & have)
    if leaving:
        names = session.scalars(select(User.username).where(User.id.in_(leaving)).order_by(User.username)).all()
        audit.record(
            session,
            actor,
            "cohort.remove",
            academy_id=cohort.academy_id,
            target=cohort.name,
            details={"usernames": list(names)},
        )
    return _remove(session, actor, cohort, leaving)


def _remove(session: DbSession, actor: User | None, cohort: Cohort, user_ids: Sequence[int]) -> int:
    if not user_ids:
        return 0
    session.execute(delete(CohortMember).where(CohortMember.cohort_id == cohort.id, CohortMember.user_id.in_(user_ids)))
    session.flush()
    members_left.send(cohort, session=session, actor=actor, user_ids=list(user_ids))
    return len(user_ids)


def cohorts_of(session: DbSession, user_ids: Sequence[int]) -> dict[int, list[Cohort]]:
    """Each user's cohorts by name: one query for a page of users, one per thousand for an export."""
    found: dict[int, list[Cohort]] = {i: [] for i in user_ids}
    for chunk in in_chunks(user_ids):
        rows = session.execute(
            select(CohortMember.user_id, Cohort)
            .join(Cohort, Cohort.id == CohortMember.cohort_id)
            .where(CohortMember.user_id.in_(chunk))
            .order_by(Cohort.name)
        )
        for user_id, cohort in rows:
            found[user_id].append(cohort)
    return found


def candidates(session: DbSession, cohort: Cohort, text: str = "", limit: int = 20) -> list[User]:
    """Active users of the cohort's academy who are not members yet, matching `text`, by name."""
    stmt = select(User).where(
        User.academy_id == cohort.academy_id,
        User.active.is_(True),
        User.id.not_in(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)),
    )
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(User.username).like(like),
                func.lower(User.first_name).like(like),
                func.lower(User.last_name).like(like),
                func.lower(User.email).like(like),
            )
        )
    return list(session.scalars(stmt.order_by(User.last_name, User.first_name, User.id).limit(limit)))


def users_by_ids(session: DbSession, user_ids: Iterable[int]) -> list[User]:
    """The users with these ids; NotFound if one does not exist."""
    wanted = set(user_ids)
    found = list(session.scalars(select(User).where(User.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        raise NotFound()
    return found


def _lookup(session: DbSession, values: set[str], *, by_email: bool) -> dict[str, User]:
    """Users by lower-cased username (or e-mail), in chunks that stay well under SQLite's bound on parameters."""
    column = func.lower(User.email) if by_email else func.lower(User.username)
    found: dict[str, User] = {}
    for chunk in in_chunks(values):
        for user in session.scalars(select(User).where(column.in_(chunk))):
            found[((user.email if by_email else user.username) or "").lower()] = user
    return found


def resolve(session: DbSession, cohort: Cohort, identifiers: Sequence[Identifier]) -> list[User]:
    """The users a list names (each once), if every identifier names a user of the cohort's academy; Invalid
    (UNUSABLE_MEMBERS) with every one that does not, as `problems`, otherwise."""
    by_name = _lookup(session, {i.value.lower() for i in identifiers if not i.is_email}, by_email=False)
    by_email = _lookup(session, {i.value.lower() for i in identifiers if i.is_email}, by_email=True)
    users: dict[int, User] = {}
    problems: list[UnusableIdentifier] = []
    for ident in identifiers:
        user = (by_email if ident.is_email else by_name).get(ident.value.lower())
        if user is None:
            problems.append(UnusableIdentifier(ident.line, ident.value, "unknown"))
        elif user.academy_id != cohort.academy_id:
            problems.append(UnusableIdentifier(ident.line, ident.value, "other_academy"))
        else:
            users[user.id] = user
    if problems:
        raise Invalid(CohortReason.UNUSABLE_MEMBERS, problems=problems)
    return list(users.values())


def add_listed(
    session: DbSession, actor: User | None, cohort: Cohort, identifiers: Sequence[Identifier]
) -> tuple[int, int]:
    """Add the users a pasted list or a file names: all of them, or (Invalid) none. Returns how many joined and
    how many users the list names (the others were members already)."""
    if actor is not None:
        get_cohort_for(session, actor, cohort.id)
    users = resolve(session, cohort, identifiers)
    return add_members(session, actor, cohort, users), len(users)
