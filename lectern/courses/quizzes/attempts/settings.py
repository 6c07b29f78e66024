"""A quiz's settings for one cadet: when it opens and closes, the time limit and the attempts allowed, with the
cadet's override (extra time, extra attempts, a later close) applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lectern.courses.quizzes.models import Quiz, QuizOverride
from lectern.extensions import DbSession


@dataclass(frozen=True)
class Settings:
    """A quiz's settings for one cadet, overrides applied."""

    opens_at: datetime | None
    closes_at: datetime | None
    time_limit: timedelta | None
    attempts_allowed: int  # 0: unlimited

    def is_open(self, now: datetime) -> bool:
        return (self.opens_at is None or self.opens_at <= now) and not self.is_closed(now)

    def is_closed(self, now: datetime) -> bool:
        return self.closes_at is not None and now >= self.closes_at


def settings_for(session: DbSession, quiz: Quiz, user_id: int) -> Settings:
    return settings_of(quiz, session.get(QuizOverride, (quiz.id, user_id)))


def settings_of(quiz: Quiz, override: QuizOverride | None) -> Settings:
    """The quiz's settings with the cadet's override (None: they have none) applied."""
    closes_at = quiz.closes_at
    minutes = quiz.time_limit_minutes
    allowed = quiz.attempts_allowed
    if override is not None:
        if override.closes_at is not None and (closes_at is None or override.closes_at > closes_at):
            closes_at = override.closes_at
        if minutes and override.extra_minutes:
            minutes += override.extra_minutes
        if allowed and override.extra_attempts:
            allowed += override.extra_attempts
    return Settings(quiz.opens_at, closes_at, timedelta(minutes=minutes) if minutes else None, allowed)
