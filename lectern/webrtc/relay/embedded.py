"""The relay process that `make run` starts beside the web app (deploy/gunicorn.conf.py): media out of the page
process with no setup. No aiortc here: the relay loads it in its own process.

`EmbeddedRelay.start()` runs `flask lectern relay` on a free loopback port with a secret made for this run, and
returns the environment that points the web workers at it (LECTERN_RELAYS, LECTERN_RELAY_SECRET); gunicorn forks
its workers after that. A relay that exits without being asked to is started again on the same port (a lecture's
pages reconnect by themselves; lectern.supervised does the watching). `stop()` ends it with SIGTERM, which closes its
connections. A deployment runs its relays as services of their own instead (deploy/) and sets LECTERN_RELAYS.
"""

from __future__ import annotations

import os
import secrets
import socket

from lectern.supervised import Supervised


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedRelay(Supervised):
    """One relay process on loopback, kept running until `stop()`."""

    name = "relay process"
    ready = "relay listening on "

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        super().__init__(dict(os.environ if environment is None else environment))
        self.secret = self.environment.get("LECTERN_RELAY_SECRET") or secrets.token_urlsafe(32)
        self.environment["LECTERN_RELAY_SECRET"] = self.secret
        self.environment.pop("LECTERN_RELAYS", None)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def arguments(self) -> list[str]:
        return ["relay", "--bind", f"127.0.0.1:{self.port}"]

    def start(self) -> dict[str, str]:
        """Start the relay and wait until it listens; the environment the web workers need to reach it."""
        self.start_process()
        return {"LECTERN_RELAYS": self.url, "LECTERN_RELAY_SECRET": self.secret}
