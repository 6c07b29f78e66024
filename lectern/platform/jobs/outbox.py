"""A job's message leaves with its transaction: queued in the session that wrote the job's row, sent once that
session commits, dropped if it rolls back.

Sent before the commit, a fast worker would look for a row it cannot see yet (or one that is never written); sent by
the caller after its commit, a forgotten send leaves a job queued forever. So the message waits in the session's
`info` and one listener on every session sends it.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "lectern.jobs.outbox"


class Sender(Protocol):
    """Where a committed job's message goes (the application's queue, `lectern.platform.jobs.queue.Jobs`)."""

    def send(self, job_id: int, kind: str) -> None: ...


def defer(session: Session, sender: Sender, job_id: int, kind: str) -> None:
    """Send job `job_id`'s message to `sender` once `session` commits."""
    session.info.setdefault(_KEY, []).append((sender, job_id, kind))


def pending(session: Session) -> list[int]:
    """The ids of the jobs whose messages wait for `session` to commit."""
    return [job_id for _, job_id, _ in session.info.get(_KEY, ())]


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    for sender, job_id, kind in session.info.pop(_KEY, ()):
        sender.send(job_id, kind)


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction: SessionTransaction) -> None:
    # A savepoint rolled back leaves the outer transaction, whose commit may still come: keep its messages (a
    # message for a row that was never written finds nothing to run).
    if not session.in_transaction():
        session.info.pop(_KEY, None)
