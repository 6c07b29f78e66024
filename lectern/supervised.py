"""A helper process that `make run`'s web app starts beside itself and keeps running (deploy/gunicorn.conf.py): the
relay (lectern/webrtc/relay/embedded.py) and the job worker (lectern/platform/jobs/embedded.py).

`Supervised.start()` runs the command with the web app's environment and waits for its first line, which says it is
ready. One that exits without being asked to is started again (after `restart_delay`). `stop()` ends it with SIGTERM
(SIGKILL 20 s later). The process has a session of its own: a Ctrl-C in `make run`'s terminal reaches gunicorn,
which stops it; were it in the terminal's process group too, it would exit at once and be started again meanwhile.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time

logger = logging.getLogger(__name__)


class Supervised:
    """One helper process, `flask lectern <arguments>`, kept running until `stop()`. `name` is what the log calls it;
    its first line must begin with `ready` for it to count as started."""

    name = "helper process"
    ready = ""
    start_timeout = 30.0
    restart_delay = 0.5

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment
        self.process: subprocess.Popen[str] | None = None
        self.ready_line = ""
        self.restarts = 0
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def arguments(self) -> list[str]:
        """The `flask lectern` command and its options."""
        raise NotImplementedError

    def start_process(self) -> str:
        """Start it, wait until it is ready, and watch it from now on; its first line."""
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name=f"{self.name}-watch", daemon=True)
        self._watcher.start()
        return self.ready_line

    def _spawn(self) -> None:
        process = subprocess.Popen(  # noqa: S603 (this interpreter, our own command)
            [sys.executable, "-m", "flask", "lectern", *self.arguments()],
            env=self.environment,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        line = read_line(process, self.start_timeout)
        assert process.stdout is not None
        process.stdout.close()  # it prints nothing more there; its log goes to stderr, the web app's
        if not line.startswith(self.ready):
            process.kill()
            process.wait()
            raise RuntimeError(f"the {self.name} did not start: {line or 'no output'}")
        self.process, self.ready_line = process, line
        logger.info("%s %d: %s", self.name, process.pid, line)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            logger.error("the %s exited (%s); starting it again", self.name, code)
            time.sleep(self.restart_delay)
            try:
                self._spawn()
                self.restarts += 1
                if self._stopping.is_set():  # stopped while it started: no orphan
                    end(self.process)
            except (OSError, RuntimeError):
                logger.exception("the %s could not be started again", self.name)
                time.sleep(5)

    def stop(self) -> None:
        """End it (SIGTERM) and stop watching it."""
        self._stopping.set()
        end(self.process)
        if self._watcher is not None:
            self._watcher.join(5)


def end(process: subprocess.Popen[str] | None) -> None:
    """SIGTERM, then SIGKILL if it is still there 20 s later."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints, or "" when it prints none within `timeout` (it is then killed)."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        process.kill()
        reader.join()
    return found[0].strip() if found else ""
