"""The worker: Huey's consumer for the application's queue (`flask lectern worker`), or in threads of this process.

The worker makes the application once (the Flask command does) and runs each job in an application context of its
own. On start it sweeps for jobs that a stopped worker left running (lectern.platform.jobs.runs), then every minute.

Signals, as Huey's consumer takes them: SIGTERM stops at once (systemd's stop; the jobs it was running resume at the
next sweep, here or on another host); SIGINT (Ctrl-C) lets the running jobs finish, for at most `shutdown_timeout`
seconds; SIGHUP restarts the worker.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from lectern.extensions import db
from lectern.platform.jobs.queue import jobs_of

log = logging.getLogger(__name__)

WORKER_TYPES = ("thread", "process")


def consumer(
    app: Flask,
    workers: int = 1,
    worker_type: str = "thread",
    *,
    periodic: bool = True,
    max_delay: float = 1.0,
    shutdown_timeout: float | None = 10.0,
) -> Any:
    """Huey's consumer of `app`'s queue: `workers` threads or processes, polling an idle SQLite queue at least every
    `max_delay` seconds (Redis wakes them at once)."""
    if worker_type not in WORKER_TYPES:
        raise ValueError(f"worker_type must be one of {', '.join(WORKER_TYPES)}")
    huey = jobs_of(app).huey
    if huey.immediate:
        raise RuntimeError("LECTERN_JOBS_IMMEDIATE is set: jobs run where they are asked for, a worker has none")
    if worker_type == "process":

        def fresh_connections() -> None:
            # A forked worker must not use the connections of the process it was forked from.
            with app.app_context():
                db.engine.dispose(close=False)

        huey.on_startup("lectern.dispose-engine")(fresh_connections)
    return huey.create_consumer(
        workers=workers,
        worker_type=worker_type,
        periodic=periodic,
        initial_delay=min(0.1, max_delay),
        max_delay=max_delay,
        check_worker_health=True,
        shutdown_timeout=shutdown_timeout,
    )


def run(
    app: Flask,
    workers: int = 1,
    worker_type: str = "thread",
    *,
    shutdown_timeout: float | None = 10.0,
    exit_with_parent: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Sweep, then consume until a signal stops it (see the module's docstring). `ready` is called with a line
    saying what runs where, just before the consumer starts. `exit_with_parent`: stop (as on SIGTERM) once the
    process that started this one has gone (a worker embedded in the web app, which was killed)."""
    jobs = jobs_of(app)
    the_consumer = consumer(app, workers, worker_type, shutdown_timeout=shutdown_timeout)
    jobs.sweep()
    if exit_with_parent:
        threading.Thread(target=_exit_with, args=(os.getppid(),), name="worker-parent-watch", daemon=True).start()
    if ready is not None:
        kind = {"thread": ("thread", "threads"), "process": ("process", "processes")}[worker_type][workers != 1]
        ready(f"worker ready: {workers} {kind} on {jobs.describe()}")
    the_consumer.run()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    log.warning("the process that started this worker has gone: stopping")
    os.kill(os.getpid(), signal.SIGTERM)


class ThreadedWorker:
    """A consumer in threads of this process, which installs no signal handlers: for tests, and for a process that
    runs jobs beside its own work. `stop()` waits for the running jobs."""

    def __init__(self, app: Flask, workers: int = 1, *, max_delay: float = 0.2) -> None:
        self.consumer = consumer(app, workers, "thread", periodic=False, max_delay=max_delay, shutdown_timeout=30)

    def __enter__(self) -> ThreadedWorker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.consumer.scheduler.start()
        for _, thread in self.consumer.worker_threads:
            thread.start()

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
