"""The relay process that `make run` starts beside the web app (deploy/gunicorn.conf.py): media out of the page
process with no setup. No aiortc here: the relay loads it in its own process.

`EmbeddedRelay.start()` runs `flask lectern relay` on a free loopback port with a secret made for this run, and
returns the environment that points the web workers at it (LECTERN_RELAYS, LECTERN_RELAY_SECRET); gunicorn forks
its workers after that. A relay that exits without being asked to is started again on the same port (a lecture's
pages reconnect by themselves). `stop()` ends it with SIGTERM, which closes its connections. A deployment runs its
relays as services of their own instead (deploy/) and sets LECTERN_RELAYS.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time

logger = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
RESTART_DELAY_S = 0.5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedRelay:
    """One relay process on loopback, kept running until `stop()`."""

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        self.environment = dict(os.environ if environment is None else environment)
        self.secret = self.environment.get("LECTERN_RELAY_SECRET") or secrets.token_urlsafe(32)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> dict[str, str]:
        """Start the relay and wait until it listens; the environment the web workers need to reach it."""
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="relay-watch", daemon=True)
        self._watcher.start()
        return {"LECTERN_RELAYS": self.url, "LECTERN_RELAY_SECRET": self.secret}

    def _spawn(self) -> None:
        env = {**self.environment, "LECTERN_RELAY_SECRET": self.secret}
        env.pop("LECTERN_RELAYS", None)
        process = subprocess.Popen(  # noqa: S603 (this interpreter, our own command)
            [sys.executable, "-m", "flask", "lectern", "relay", "--bind", f"127.0.0.1:{self.port}"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            # Its own session: a Ctrl-C in `make run`'s terminal reaches gunicorn, which stops it (`stop`); were it
            # in the terminal's process group too, it would exit at once and the watcher would start it again.
            start_new_session=True,
        )
        assert process.stdout is not None
        line = _read_line(process, START_TIMEOUT_S)
        process.stdout.close()  # it prints nothing more there; its log goes to stderr, the web app's
        if not line.startswith("relay listening on "):
            process.kill()
            process.wait()
            raise RuntimeError(f"the relay process did not start: {line or 'no output'}")
        self.process = process
        logger.info("relay process %d listening on %s", process.pid, self.url)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            logger.error("the relay process exited (%s); starting it again on %s", code, self.url)
            time.sleep(RESTART_DELAY_S)
            try:
                self._spawn()
                self.restarts += 1
                if self._stopping.is_set() and self.process is not None:  # stopped while it started: no orphan
                    self.process.terminate()
            except (OSError, RuntimeError):
                logger.exception("the relay process could not be started again")
                time.sleep(5)

    def stop(self) -> None:
        """End the relay (SIGTERM: it closes its connections first) and stop watching it."""
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.join(5)


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints, or "" when it prints none within `timeout` (it is then killed)."""
    assert process.stdout is not None
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        process.kill()
        reader.join()
    return found[0].strip() if found else ""
