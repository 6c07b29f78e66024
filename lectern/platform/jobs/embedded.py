"""The job worker that `make run` starts beside the web app (deploy/gunicorn.conf.py), as it starts the relay: jobs
run with no setup, out of the page process.

`EmbeddedWorker.start()` runs `flask lectern worker` with the web app's environment (the same database, the same
queue: SQLite in the instance folder, or Redis) and waits for its first line. A worker that exits without being
asked to is started again; its interrupted jobs resume at its start (lectern.supervised does the watching). `stop()`
ends it with SIGTERM, and a worker whose parent has gone (the web app killed outright) ends itself. A deployment
runs its workers as services instead (deploy/lectern-worker.service) and sets LECTERN_JOBS_WORKER=service.
"""

from __future__ import annotations

import os

from lectern.supervised import Supervised


class EmbeddedWorker(Supervised):
    """One `flask lectern worker` process, kept running until `stop()` (SIGTERM: at once; the jobs it was running
    resume when a worker next starts)."""

    name = "job worker"
    ready = "worker ready"
    start_timeout = 60.0
    restart_delay = 1.0

    def __init__(self, workers: int = 2, environment: dict[str, str] | None = None) -> None:
        super().__init__(dict(os.environ if environment is None else environment))
        self.workers = workers

    def arguments(self) -> list[str]:
        return ["worker", "--workers", str(self.workers), "--exit-with-parent"]

    def start(self) -> str:
        """Start the worker and wait until it is ready; its first line (what it runs, on which queue)."""
        return self.start_process()
