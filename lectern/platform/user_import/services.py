"""Bulk upload of users from the users CSV (`user_csv`): a dry run that checks every row against the database too,
and its application, all or nothing, in the caller's transaction. Also the export in the same layout.

Between the preview and the apply the file goes back to the browser: the preview page holds it, base64-encoded, in a
hidden field, and the apply request posts it again. Nothing is kept on the server between the two requests: no stash
to expire or clean up, nothing to share between web nodes, and the file's passwords never rest on the server's disk.
The apply trusts nothing of what comes back: it reads the file again and re-runs every check in the transaction that
creates the users, so a username taken since the preview refuses the whole file.

Courses are the courses area's, which this area must not import: `courseN`/`roleN` are resolved through the
`CourseLinks` that area adds to the registry's `COURSE_LINKS` in its `init_app`.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, select

from lectern.domain import Invalid
from lectern.extensions import DbSession, in_chunks
from lectern.gate import outside_gate
from lectern.platform.accounts import services as accounts
from lectern.platform.admin import services as admin
from lectern.platform.audit import services as audit
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import Academy, Cohort, Role, User
from lectern.platform.user_import.csv_format import CsvRow, FileProblem, RowProblem, read_users_csv
from lectern.platform.user_import.csv_layout import COURSE_ROLES, generate_password, numbered_columns, users_to_csv
from lectern.registry import Slot, registry

MAX_BYTES = 2 * 2**20
MAX_ROWS = (
    1000  # the apply is mostly hashing: about 0.1 s of one core a user, under gunicorn's 120 s timeout on two cores
)
MAX_EXPORT = 50_000
STAFF_ROLES = frozenset({"instructor", "assistant"})


@dataclasses.dataclass(frozen=True)
class CourseRef:
    """A course a row may name: its id, title and academy, and the course roles the actor may give in it."""

    id: int
    title: str
    academy_id: int
    roles: frozenset[str]


class CourseLinks(Protocol):
    """What the courses area offers the import (see `lectern.courses.enrolment.user_import`)."""

    def find(
        self, session: DbSession, actor: User, academy_id: int, names: Collection[str]
    ) -> Mapping[str, Sequence[CourseRef]]:
        """For each name (as `name_key` makes it), the academy's courses `actor` may link users to that it names:
        none (unknown), one, or several (ambiguous)."""
        ...

    def apply(self, session: DbSession, actor: User, links: Sequence[tuple[User, CourseRef, str]]) -> None:
        """Give each user the role ("cadet", "instructor", "assistant") in the course, in the caller's transaction."""
        ...


COURSE_LINKS: Slot[CourseLinks] = Slot("platform.user_import.course_links")


def _course_links() -> CourseLinks | None:
    """The courses area's links, where the application has that area."""
    found = registry().items(COURSE_LINKS)
    return found[0] if found else None


def name_key(name: str) -> str:
    """How names of courses and cohorts are compared: any case (Cyrillic too, which SQL's lower() may not fold), runs
    of spaces as one."""
    return " ".join(name.split()).casefold()


@dataclasses.dataclass
class PlannedRow:
    """One data row of the file, as the preview shows it, with what the apply needs once it has no problem."""

    line: int
    username: str
    name: str
    email: str
    institution: str
    cohorts: list[tuple[str, str]]  # (column, name)
    courses: list[tuple[str, str, str]]  # (column, name, course role)
    problems: list[RowProblem]
    row: CsvRow | None = None
    academy: Academy | None = None
    cohort_items: list[Cohort] = dataclasses.field(default_factory=list)
    course_refs: list[tuple[CourseRef, str]] = dataclasses.field(default_factory=list)

    @property
    def site_role(self) -> Role:
        """Users come in as cadets; one given a staff role in a course comes in as an instructor."""
        return Role.INSTRUCTOR if any(role in STAFF_ROLES for _, _, role in self.courses) else Role.CADET

    def fail(self, field: str, code: str, message: str, **params: object) -> None:
        self.problems.append(RowProblem(self.line, field, message.format(**params), code, params))


@dataclasses.dataclass
class ImportPlan:
    filename: str
    default_academy: Academy
    file_problems: list[FileProblem]
    rows: list[PlannedRow]
    warnings: list[FileProblem] = dataclasses.field(default_factory=list)  # ignored columns: they stop nothing

    @property
    def ok(self) -> bool:
        return not self.file_problems and bool(self.rows) and not any(r.problems for r in self.rows)

    @property
    def bad_rows(self) -> int:
        return sum(1 for r in self.rows if r.problems)

    @property
    def creatable(self) -> int:
        """How many users the apply would create: a file is applied whole or not at all, so every row or none."""
        return len(self.rows) if self.ok else 0


@dataclasses.dataclass
class ImportOutcome:
    plan: ImportPlan
    created: list[User]
    generated: list[tuple[str, str]]  # (username, password) for the rows that had no password


class ImportReason(StrEnum):
    """Why the import refused."""

    REFUSED = "refused"  # the file has problems (Invalid; its `plan` lists them): nothing was written


def refused_plan(error: Invalid) -> ImportPlan | None:
    """The plan of a file `apply_import` refused (its problems listed), or None for another Invalid."""
    plan = error.params.get("plan") if error.reason is ImportReason.REFUSED else None
    return plan if isinstance(plan, ImportPlan) else None


def plan_import(session: DbSession, actor: User, data: bytes, *, filename: str, default_academy_id: int) -> ImportPlan:
    """Check the file and every row against the database, writing nothing. Rows without an institution go to the
    default academy; NotFound if `actor` does not administer that academy."""
    default = admin.get_academy_for(session, actor, default_academy_id)
    plan = ImportPlan(filename, default, [], [])
    if len(data) > MAX_BYTES:
        plan.file_problems.append(
            FileProblem(
                "too_large", f"the file is larger than {MAX_BYTES // 2**20} MB", params={"mb": MAX_BYTES // 2**20}
            )
        )
        return plan
    result = read_users_csv(data, filename=filename)
    plan.file_problems = [p for p in result.problems if isinstance(p, FileProblem)]
    plan.warnings = result.warnings
    if len(result.lines) > MAX_ROWS:
        message = f"the file has {len(result.lines)} users, at most {MAX_ROWS} are taken at once"
        plan.file_problems.append(
            FileProblem("too_many_rows", message, params={"rows": len(result.lines), "max": MAX_ROWS})
        )
        return plan
    valid = {row.line: row for row in result.rows}
    found = result.problems_by_line
    for line, values in result.lines.items():
        numbered = numbered_columns(values)
        roles = numbered["role"]
        plan.rows.append(
            PlannedRow(
                line=line,
                username=values.get("username", "").lower(),
                name=f"{values.get('firstname', '')} {values.get('lastname', '')}".strip(),
                email=values.get("email", "").lower(),
                institution=values.get("institution", ""),
                cohorts=[(f"cohort{n}", name) for n, name in sorted(numbered["cohort"].items())],
                courses=[
                    (f"course{n}", name, COURSE_ROLES.get(roles.get(n, "student").lower(), roles.get(n, "")))
                    for n, name in sorted(numbered["course"].items())
                ],
                problems=list(found.get(line, [])),
                row=valid.get(line),
            )
        )
    _check_academies(session, actor, plan)
    _check_taken(session, plan.rows)
    _check_cohorts(session, plan.rows)
    _check_courses(session, actor, plan.rows)
    for row in plan.rows:
        if row.academy is not None and row.site_role not in admin.manageable_roles(actor):
            row.fail(
                "", "role_not_allowed", "you may not create users with the role {value}", value=row.site_role.value
            )
        row.problems.sort(key=lambda p: (p.field == "", p.field))
    return plan


def _check_academies(session: DbSession, actor: User, plan: ImportPlan) -> None:
    academies = session.scalars(select(Academy)).all()
    by_slug = {a.slug.lower(): a for a in academies}
    by_name: dict[str, list[Academy]] = defaultdict(list)
    for a in academies:
        by_name[name_key(a.name)].append(a)
    allowed = {a.id for a in admin.visible_academies(session, actor)}
    for row in plan.rows:
        if not row.institution:
            row.academy = plan.default_academy
            continue
        named = by_name.get(name_key(row.institution), [])
        academy = by_slug.get(row.institution.lower()) or (named[0] if len(named) == 1 else None)
        if academy is None:
            row.fail("institution", "unknown_academy", "no academy is called {value!r}", value=row.institution)
        elif academy.id not in allowed:
            row.fail("institution", "other_academy", "you may not add users to {value}", value=academy.name)
        else:
            row.academy = academy


def _check_taken(session: DbSession, rows: list[PlannedRow]) -> None:
    for field, column, code in (("username", User.username, "username_taken"), ("email", User.email, "email_taken")):
        wanted = [getattr(row, field) for row in rows if getattr(row, field)]
        taken: set[str] = set()
        for chunk in in_chunks(wanted):
            taken.update(v.lower() for v in session.scalars(select(column).where(func.lower(column).in_(chunk))) if v)
        for row in rows:
            if getattr(row, field) in taken:
                row.fail(field, code, "another user already has {value}", value=getattr(row, field))


def _check_cohorts(session: DbSession, rows: list[PlannedRow]) -> None:
    """Cohorts by name in each row's academy; the import does not create cohorts."""
    by_academy: dict[int, dict[str, Cohort]] = {}
    for row in rows:
        if row.academy is None or not row.cohorts:
            continue
        if row.academy.id not in by_academy:
            items = session.scalars(select(Cohort).where(Cohort.academy_id == row.academy.id)).all()
            by_academy[row.academy.id] = {name_key(c.name): c for c in items}
        known = by_academy[row.academy.id]
        for column, name in row.cohorts:
            cohort = known.get(name_key(name))
            if cohort is None:
                row.fail(
                    column, "unknown_cohort", "{academy} has no cohort {value!r}", value=name, academy=row.academy.name
                )
            elif cohort not in row.cohort_items:
                row.cohort_items.append(cohort)


def _check_courses(session: DbSession, actor: User, rows: list[PlannedRow]) -> None:
    wanted: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        if row.academy is not None:
            wanted[row.academy.id].update(name_key(name) for _, name, _ in row.courses)
    found: dict[int, Mapping[str, Sequence[CourseRef]]] = {}
    course_links = _course_links()
    for academy_id, names in wanted.items():
        if names and course_links is not None:
            found[academy_id] = course_links.find(session, actor, academy_id, names)
    for row in rows:
        if row.academy is None:
            continue
        for column, name, role in row.courses:
            refs = found.get(row.academy.id, {}).get(name_key(name), [])
            if course_links is None:
                row.fail(column, "courses_unavailable", "courses cannot be given here")
            elif not refs:
                row.fail(
                    column, "unknown_course", "{academy} has no course {value!r}", value=name, academy=row.academy.name
                )
            elif len(refs) > 1:
                row.fail(
                    column, "ambiguous_course", "{count} courses are called {value!r}", value=name, count=len(refs)
                )
            elif role in COURSE_ROLES.values() and role not in refs[0].roles:
                row.fail(column, "role_not_allowed", "you may not give the role {value} in this course", value=role)
            else:
                row.course_refs.append((refs[0], role))


def _hash_all(passwords: list[str]) -> list[str]:
    """Hash in threads: scrypt releases the GIL, and hundreds of hashes one by one take most of a minute."""
    if len(passwords) < 4:
        return [accounts.hash_password(p) for p in passwords]
    with outside_gate(), ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(accounts.hash_password, passwords))


def apply_import(
    session: DbSession, actor: User, data: bytes, *, filename: str, default_academy_id: int
) -> ImportOutcome:
    """Check the file again and create its users, their cohort memberships and course roles, in the caller's
    transaction (flushed, not committed). Invalid (REFUSED, `refused_plan`), with nothing written, if any check
    fails."""
    plan = plan_import(session, actor, data, filename=filename, default_academy_id=default_academy_id)
    if not plan.ok:
        raise Invalid(ImportReason.REFUSED, plan=plan)
    rows = [(planned, planned.row) for planned in plan.rows if planned.row is not None and planned.academy is not None]
    passwords = [row.password or generate_password() for _, row in rows]
    created: list[User] = []
    for (planned, row), password_hash in zip(rows, _hash_all(passwords), strict=True):
        assert planned.academy is not None
        created.append(
            admin.add_user(
                session,
                planned.academy,
                username=row.username,
                first_name=row.first_name,
                last_name=row.last_name,
                role=planned.site_role,
                password_hash=password_hash,
                email=row.email,
                language=row.language,
            )
        )
    joining: dict[int, tuple[Cohort, list[User]]] = {}
    links: list[tuple[User, CourseRef, str]] = []
    for (planned, _), user in zip(rows, created, strict=True):
        for cohort in planned.cohort_items:
            joining.setdefault(cohort.id, (cohort, []))[1].append(user)
        links.extend((user, ref, role) for ref, role in planned.course_refs)
    for cohort, users in joining.values():
        cohorts.add_members(session, actor, cohort, users)
    if links and (course_links := _course_links()) is not None:
        course_links.apply(session, actor, links)
    by_academy: dict[int, list[str]] = defaultdict(list)
    for user in created:
        by_academy[user.academy_id].append(user.username)
    for academy_id, usernames in by_academy.items():
        details = {"file": filename, "count": len(usernames), "usernames": usernames}
        audit.record(session, actor, "user.import", academy_id=academy_id, target=filename, details=details)
    session.flush()
    generated = [(row.username, pw) for (_, row), pw in zip(rows, passwords, strict=True) if not row.password]
    return ImportOutcome(plan, created, generated)


def export_users(session: DbSession, actor: User, flt: admin.UserFilter) -> bytes:
    """The users `actor` administers that match `flt`, as a users CSV the import reads back; recorded in the log."""
    users = admin.all_users(session, actor, flt, MAX_EXPORT)
    memberships = cohorts.cohorts_of(session, [u.id for u in users])
    rows = []
    for user in users:
        row = {
            "username": user.username,
            "firstname": user.first_name,
            "lastname": user.last_name,
            "email": user.email or "",
            "lang": user.language or "",
            "institution": user.academy.slug,
        }
        row.update({f"cohort{n}": c.name for n, c in enumerate(memberships.get(user.id, []), start=1)})
        rows.append(row)
    academy_id = actor.academy_id if actor.role is Role.ACADEMY_ADMIN else flt.academy_id
    details: dict[str, object] = {"count": len(users)}
    details.update({k: v for k, v in _filter_details(session, flt).items() if v})
    audit.record(session, actor, "user.export", academy_id=academy_id, target="", details=details)
    return users_to_csv(rows)


def _filter_details(session: DbSession, flt: admin.UserFilter) -> dict[str, object]:
    """The export's filter as the log shows it: names, not ids."""
    academy = session.get(Academy, flt.academy_id) if flt.academy_id else None
    cohort = session.get(Cohort, flt.cohort_id) if flt.cohort_id else None
    return {
        "query": flt.query,
        "role": flt.role.value if flt.role else None,
        "academy": academy.name if academy else None,
        "cohort": cohort.name if cohort else None,
    }
