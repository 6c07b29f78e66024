"""Academies (the tenants) and their users."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated

from flask_login import UserMixin
from sqlalchemy import JSON, DateTime, Dialect, Enum, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from lectern.extensions import Model


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC and always read back timezone-aware, on PostgreSQL and on SQLite alike.

    SQLite keeps no offset: without this an aware time written there comes back naive, and a time typed in Bishkek
    would silently move by six hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: say which timezone it is in")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
# Timestamps are stored in UTC and shown in the viewer's academy timezone.
timestamp = Annotated[datetime, mapped_column(UTCDateTime())]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), server_default=func.now())]


def string_enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    """A string column holding the enum's values: the same on SQLite and PostgreSQL, no native type to migrate."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda members: [m.value for m in members])


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(enum.StrEnum):
    """A user's site role. Course roles (instructor, assistant of one course) come with the courses area."""

    GLOBAL_ADMIN = "global_admin"
    ACADEMY_ADMIN = "academy_admin"
    INSTRUCTOR = "instructor"
    CADET = "cadet"
    CLASSROOM = "classroom"

    @property
    def is_admin(self) -> bool:
        return self in (Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN)


class Academy(Model):
    """A training institution; every user, course and lecture belongs to one."""

    __tablename__ = "academy"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    timezone: Mapped[str] = mapped_column(String(64))  # an IANA name, e.g. Asia/Bishkek
    default_language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[created_at]

    users: Mapped[list[User]] = relationship(back_populates="academy")

    def __repr__(self) -> str:
        return f"<Academy {self.slug}>"


class User(UserMixin, Model):
    """A person (or a lecture hall's shared screen) who signs in."""

    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __allow_unmapped__ = True  # for `login_token` and `login_session_id` below, which are not columns

    id: Mapped[intpk]
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(string_enum(Role))
    language: Mapped[str | None] = mapped_column(String(8))  # None: follow the browser
    password_hash: Mapped[str] = mapped_column(String(256))
    # Bumped on password change and suspension: the calendar feed's address stops working (lectures.feed_token).
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    last_login_at: Mapped[timestamp | None]

    academy: Mapped[Academy] = relationship(back_populates="users")

    # The sign-in (LoginSession) this object was loaded through, set by `platform.sessions`; None outside a request.
    login_token: str | None = None
    login_session_id: int | None = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive (suspended) users
        return self.active

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_id(self) -> str | None:
        # An alternative token (Flask-Login docs, "Alternative Tokens"): the sign-in's own token, so that ending the
        # sign-in on the server ends the session cookie and the remember-me cookie that carry it.
        return self.login_token

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class Cohort(Model):
    """A group of users of one academy, such as an intake ("Border guards intake 2026, Bishkek").

    Enrolling a cohort in a course keeps the course's enrolments in step with the members (the courses area listens
    to the membership signals of `lectern.platform.cohorts.services`).
    """

    __tablename__ = "cohort"
    __table_args__ = (UniqueConstraint("academy_id", "name"),)

    id: Mapped[intpk]
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]

    academy: Mapped[Academy] = relationship()

    def __repr__(self) -> str:
        return f"<Cohort {self.name}>"


class CohortMember(Model):
    __tablename__ = "cohort_member"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[created_at]

    user: Mapped[User] = relationship()


class AuditEntry(Model):
    """One administrative action: who did what to whom, when. Written in the transaction of the action itself."""

    __tablename__ = "audit_entry"

    id: Mapped[intpk]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now(), index=True)
    # None: the command line. SET NULL keeps the entry if an account is ever removed from the database by hand.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    # The academy the action concerns: what its academy administrators may read. None: site-wide.
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("academy.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    # What was acted on, as people read it ("user l.asanov", "cohort Intake 2026"), kept even if the object goes.
    target: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
    academy: Mapped[Academy | None] = relationship()


class LoginSession(Model):
    """One sign-in of one browser, kept on the server: signing out, a password change or a suspension deletes it,
    and every copy of its cookies stops working at once (`platform.sessions`)."""

    __tablename__ = "login_session"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token the cookies carry: the table alone opens no session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
