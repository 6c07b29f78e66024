"""Administration of academies and users: who may administer whom, the users list, creating and editing users and
academies, suspending and resetting passwords. Takes a session and plain values, never the request.

Refusals are the domain errors of `lectern.domain` (re-exported here, as other areas catch them by this module):
NotFound for what the administrator may not know exists (another academy's user), Forbidden for what they see
but may not do, Conflict for a username, e-mail or short name another already has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload

# Re-exported (`as`): other areas catch the refusals of these services by this module's names.
from lectern.domain import Conflict, Forbidden, NotFound
from lectern.extensions import DbSession
from lectern.platform import access
from lectern.platform.accounts import services as accounts
from lectern.platform.accounts import sessions
from lectern.platform.audit import services as audit
from lectern.platform.models import Academy, CohortMember, Role, User
from lectern.platform.user_import.csv_layout import generate_password


class AdminReason(StrEnum):
    """Why an administration service refused."""

    TAKEN = "taken"  # another user has the username or e-mail, another academy the short name: `field` says which
    NOT_MANAGEABLE = "not_manageable"  # the administrator sees the user but may not change them (a higher role)
    ROLE_NOT_ALLOWED = "role_not_allowed"  # the administrator may not give this site role
    OWN_ACCOUNT = "own_account"  # nobody demotes or suspends themselves and locks the door behind them
    GLOBAL_ONLY = "global_only"  # only global administrators create academies


# --- who may administer whom ------------------------------------------------------------------------------------


def manageable_roles(actor: User) -> list[Role]:
    """The site roles `actor` may give to users."""
    if actor.role is Role.GLOBAL_ADMIN:
        return list(Role)
    if actor.role is Role.ACADEMY_ADMIN:
        return [r for r in Role if r is not Role.GLOBAL_ADMIN]
    return []


def may_manage(actor: User, user: User) -> bool:
    """Whether `actor` may edit `user`, reset their password or suspend them: the one rule for the user views and
    the users list's links."""
    return administers(actor, user.academy_id) and user.role in manageable_roles(actor)


def administers(actor: User, academy_id: int) -> bool:
    """Whether `actor` administers the academy's users, cohorts and courses: global administrators all academies,
    academy administrators their own."""
    return actor.role is Role.GLOBAL_ADMIN or (actor.role is Role.ACADEMY_ADMIN and actor.academy_id == academy_id)


def visible_academies(session: DbSession, actor: User) -> Sequence[Academy]:
    """Academies whose users `actor` administers."""
    if actor.role is Role.GLOBAL_ADMIN:
        return session.scalars(select(Academy).order_by(Academy.name)).all()
    if actor.role is Role.ACADEMY_ADMIN:
        return [actor.academy]
    return []


def get_academy_for(session: DbSession, actor: User, academy_id: int) -> Academy:
    """The academy if `actor` administers it; NotFound otherwise."""
    academy = session.get(Academy, academy_id)
    if academy is None or academy not in visible_academies(session, actor):
        raise NotFound()
    return academy


def get_user_for(session: DbSession, actor: User, user_id: int) -> User:
    """The user `actor` may administer; NotFound for another academy's user so that its existence stays hidden."""
    user = session.get(User, user_id)
    if user is None or not administers(actor, user.academy_id):
        raise NotFound()
    return user


def get_manageable_user(session: DbSession, actor: User, user_id: int) -> User:
    """The user if `actor` may change them (`may_manage`): NotFound as `get_user_for`, Forbidden for a user of
    their academy with a role above theirs."""
    user = get_user_for(session, actor, user_id)
    if not may_manage(actor, user):
        raise Forbidden(AdminReason.NOT_MANAGEABLE)
    return user


# --- passwords and suspension -----------------------------------------------------------------------------------


def admin_set_password(session: DbSession, actor: User, user: User, new: str) -> None:
    """An administrator sets `user`'s password (ending their sessions); recorded in the audit log."""
    if not may_manage(actor, user):
        raise Forbidden(AdminReason.NOT_MANAGEABLE)
    accounts.set_password(session, user, new)
    audit.record(session, actor, "user.password", academy_id=user.academy_id, target=user.username)


def reset_password(session: DbSession, actor: User, user: User) -> str:
    """Give `user` a new generated password, end their sessions, and return it: the only time it exists in clear."""
    password = generate_password()
    admin_set_password(session, actor, user, password)
    return password


def set_active(session: DbSession, actor: User, user: User, active: bool) -> None:
    """Suspend (ending every session) or reactivate `user`. Nobody suspends themselves."""
    if not may_manage(actor, user):
        raise Forbidden(AdminReason.NOT_MANAGEABLE)
    if user.id == actor.id:
        raise Forbidden(AdminReason.OWN_ACCOUNT)
    if user.active == active:
        return
    if not active:
        user.session_version += 1
        sessions.end_all(session, user)
    user.active = active
    action = "user.reactivate" if active else "user.suspend"
    audit.record(session, actor, action, academy_id=user.academy_id, target=user.username)


# --- the users list ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    query: str = ""
    role: Role | None = None
    academy_id: int | None = None
    cohort_id: int | None = None  # the caller checks that `actor` sees the cohort


def _filtered(actor: User, flt: UserFilter) -> Select[User] | None:
    """The users `actor` administers that match `flt`; None if `actor` administers nobody."""
    stmt = select(User)
    if actor.role is Role.ACADEMY_ADMIN:
        stmt = stmt.where(User.academy_id == actor.academy_id)
    elif actor.role is not Role.GLOBAL_ADMIN:
        return None
    if flt.cohort_id is not None:
        stmt = stmt.where(exists().where(CohortMember.user_id == User.id, CohortMember.cohort_id == flt.cohort_id))
    if flt.academy_id is not None:
        stmt = stmt.where(User.academy_id == flt.academy_id)
    if flt.role is not None:
        stmt = stmt.where(User.role == flt.role)
    if flt.query:
        like = f"%{flt.query.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(User.username).like(like),
                func.lower(User.first_name).like(like),
                func.lower(User.last_name).like(like),
                func.lower(User.email).like(like),
            )
        )
    return stmt


def list_users(
    session: DbSession, actor: User, flt: UserFilter, page: int, per_page: int = 50
) -> tuple[list[User], int]:
    """One page of the users `actor` administers, and the total count, with academies loaded in the same query."""
    stmt = _filtered(actor, flt)
    if stmt is None:
        return [], 0
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = session.scalars(
        stmt.options(joinedload(User.academy))
        .order_by(User.last_name, User.first_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(users), total


def all_users(session: DbSession, actor: User, flt: UserFilter, limit: int) -> list[User]:
    """Every user `actor` administers that matches `flt` (at most `limit`), by name, academies loaded."""
    stmt = _filtered(actor, flt)
    if stmt is None:
        return []
    order = (User.last_name, User.first_name, User.id)
    return list(session.scalars(stmt.options(joinedload(User.academy)).order_by(*order).limit(limit)))


def academy_user_counts(session: DbSession, academies: Sequence[Academy]) -> dict[int, dict[Role, int]]:
    """Users per academy and role, in one query."""
    ids = [a.id for a in academies]
    counts: dict[int, dict[Role, int]] = {i: {} for i in ids}
    if not ids:
        return counts
    rows = session.execute(
        select(User.academy_id, User.role, func.count())
        .where(User.academy_id.in_(ids))
        .group_by(User.academy_id, User.role)
    )
    for academy_id, role, n in rows:
        counts[academy_id][role] = n
    return counts


# --- creating and editing users ---------------------------------------------------------------------------------


def _check_unique(session: DbSession, username: str, email: str | None, exclude_id: int | None = None) -> None:
    """Conflict (field "username" or "email") when another user has either, in any case."""
    taken = select(User.id).where(func.lower(User.username) == username.lower())
    if exclude_id is not None:
        taken = taken.where(User.id != exclude_id)
    if session.scalar(taken) is not None:
        raise Conflict(AdminReason.TAKEN, field="username")
    if email:
        taken = select(User.id).where(func.lower(User.email) == email.lower())
        if exclude_id is not None:
            taken = taken.where(User.id != exclude_id)
        if session.scalar(taken) is not None:
            raise Conflict(AdminReason.TAKEN, field="email")


def _check_may_assign(session: DbSession, actor: User, academy_id: int, role: Role) -> Academy:
    academy = get_academy_for(session, actor, academy_id)
    if role not in manageable_roles(actor):
        raise Forbidden(AdminReason.ROLE_NOT_ALLOWED)
    return academy


def create_user(
    session: DbSession,
    actor: User | None,
    *,
    academy_id: int,
    username: str,
    first_name: str,
    last_name: str,
    role: Role,
    password: str,
    email: str | None = None,
    language: str | None = None,
) -> User:
    """Create a user; `actor` None means the command line, which may do anything. `language` as in `add_user`."""
    academy = (
        _check_may_assign(session, actor, academy_id, role) if actor is not None else session.get(Academy, academy_id)
    )
    if academy is None:
        raise NotFound()
    _check_unique(session, username.strip().lower(), email.strip().lower() if email else None)
    user = add_user(
        session,
        academy,
        username=username,
        first_name=first_name,
        last_name=last_name,
        role=role,
        password_hash=accounts.hash_password(password),
        email=email,
        language=language,
    )
    target = user.username
    audit.record(session, actor, "user.create", academy_id=academy.id, target=target, details={"role": role.value})
    return user


def add_user(
    session: DbSession,
    academy: Academy,
    *,
    username: str,
    first_name: str,
    last_name: str,
    role: Role,
    password_hash: str,
    email: str | None,
    language: str | None,
) -> User:
    """Add a user as given, normalised, with no check and no audit entry: the callers make both. `language` None
    gives the academy's default language; "" lets the user's browser choose."""
    user = User(
        academy=academy,
        username=username.strip().lower(),
        email=email.strip().lower() if email else None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        language=academy.default_language if language is None else language or None,
        password_hash=password_hash,
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: DbSession,
    actor: User,
    user: User,
    *,
    academy_id: int,
    username: str,
    first_name: str,
    last_name: str,
    role: Role,
    email: str | None,
    language: str | None,
    active: bool,
) -> User:
    """Edit a user `actor` may manage, into an academy and role they may give. Forbidden (OWN_ACCOUNT) for a
    change of one's own role or a suspension of oneself; Conflict for a username or e-mail another user has."""
    if not may_manage(actor, user):
        raise Forbidden(AdminReason.NOT_MANAGEABLE)  # an academy administrator cannot change a global administrator
    _check_may_assign(session, actor, academy_id, role)
    if user.id == actor.id and (role is not actor.role or not active):
        raise Forbidden(AdminReason.OWN_ACCOUNT)
    username = username.strip().lower()
    email = email.strip().lower() if email else None
    _check_unique(session, username, email, exclude_id=user.id)
    fields = ("academy_id", "username", "first_name", "last_name", "email", "language")
    before = {name: getattr(user, name) for name in fields}
    old_role = user.role
    user.academy_id = academy_id
    user.username = username
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.role = role
    user.email = email
    user.language = language or None
    target = user.username
    if changed := [name for name in fields if getattr(user, name) != before[name]]:
        audit.record(session, actor, "user.update", academy_id=academy_id, target=target, details={"fields": changed})
    if role is not old_role:
        details = {"old": old_role.value, "new": role.value}
        audit.record(session, actor, "user.role", academy_id=academy_id, target=target, details=details)
    if user.active != active:
        set_active(session, actor, user, active)
    if role is not old_role or user.academy_id != before["academy_id"]:
        access.changed(session, user.id)  # what they may open depends on both
    session.flush()
    return user


# --- academies --------------------------------------------------------------------------------------------------


def save_academy(
    session: DbSession,
    actor: User,
    academy: Academy | None,
    *,
    slug: str,
    name: str,
    city: str,
    country: str,
    timezone: str,
    default_language: str,
) -> Academy:
    """Create (academy None) or edit an academy. Only global administrators create; an academy's own
    administrator may edit it. Conflict (field "slug") for a short name another academy has."""
    if academy is None and actor.role is not Role.GLOBAL_ADMIN:
        raise Forbidden(AdminReason.GLOBAL_ONLY)
    if academy is not None:
        get_academy_for(session, actor, academy.id)
    slug = slug.strip().lower()
    clash = select(Academy.id).where(Academy.slug == slug)
    if academy is not None:
        clash = clash.where(Academy.id != academy.id)
    if session.scalar(clash) is not None:
        raise Conflict(AdminReason.TAKEN, field="slug")
    created = academy is None
    if academy is None:
        academy = Academy()
        session.add(academy)
    academy.slug = slug
    academy.name = name.strip()
    academy.city = city.strip()
    academy.country = country.strip().upper()
    academy.timezone = timezone
    academy.default_language = default_language
    session.flush()
    audit.record(
        session,
        actor,
        "academy.create" if created else "academy.update",
        academy_id=academy.id,
        target=academy.name,
    )
    return academy
