"""The job worker that `make run` starts beside the web app (deploy/gunicorn.conf.py), as it starts the relay: jobs
run with no setup, out of the page process.

`EmbeddedWorker.start()` runs `flask lectern worker` with the web app's environment (the same database, the same
queue: SQLite in the instance folder, or Redis) and waits for its first line. A worker that exits without being
asked to is started again; its interrupted jobs resume at its start. `stop()` ends it with SIGTERM, and a worker
whose parent has gone (the web app killed outright) ends itself. A deployment
runs its workers as services instead (deploy/lectern-worker.service) and sets LECTERN_JOBS_WORKER=service.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

logger = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
RESTART_DELAY_S = 1.0


class EmbeddedWorker:
    """One `flask lectern worker` process, kept running until `stop()`."""

    def __init__(self, workers: int = 2, environment: dict[str, str] | None = None) -> None:
        self.workers = workers
        self.environment = dict(os.environ if environment is None else environment)
        self.process: subprocess.Popen[str] | None = None
        self.restarts = 0
        self.ready_line = ""
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> str:
        """Start the worker and wait until it is ready; its first line (what it runs, on which queue)."""
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="job-worker-watch", daemon=True)
        self._watcher.start()
        return self.ready_line

    def _spawn(self) -> None:
        process = subprocess.Popen(  # noqa: S603 (this interpreter, our own command)
            [sys.executable, "-m", "flask", "lectern", "worker", "--workers", str(self.workers), "--exit-with-parent"],
            env=self.environment,
            stdout=subprocess.PIPE,
            text=True,
            # Out of the terminal's process group: Ctrl-C reaches the web app, whose exit stops the worker (and a
            # worker that saw Ctrl-C first would be started again by the watcher meanwhile).
            start_new_session=True,
        )
        line = _read_line(process, START_TIMEOUT_S)
        assert process.stdout is not None
        process.stdout.close()  # it prints nothing more there; its log goes to stderr, the web app's
        if not line.startswith("worker ready"):
            process.kill()
            process.wait()
            raise RuntimeError(f"the job worker did not start: {line or 'no output'}")
        self.process, self.ready_line = process, line
        logger.info("job worker %d: %s", process.pid, line)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            logger.error("the job worker exited (%s); starting it again", code)
            time.sleep(RESTART_DELAY_S)
            try:
                self._spawn()
                self.restarts += 1
                if self._stopping.is_set():  # stop() came while it started
                    _end(self.process)
            except (OSError, RuntimeError):
                logger.exception("the job worker could not be started again")
                time.sleep(5)

    def stop(self) -> None:
        """End the worker (SIGTERM: at once; the jobs it was running resume when a worker next starts)."""
        self._stopping.set()
        _end(self.process)
        if self._watcher is not None:
            self._watcher.join(5)


def _end(process: subprocess.Popen[str] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints, or "" when it prints none within `timeout` (it is then killed)."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        process.kill()
        reader.join()
    return found[0].strip() if found else ""
