"""Lectern's relay for the relay benchmark (relay.py): N relay processes (`flask lectern relay`) on loopback, as a
deployment runs them, reached through the web side's own client (`RemoteRelayClient`) with one shared secret.

Process 0 is the origin: the publisher publishes there. With more than one process, each other process is an edge
that pulls the lecture's tracks from the origin once (`RemoteRelayClient(edge).pull(lecture, origin, edge_id)`), and the
subscribers are spread evenly over all of them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks._common import ROOT
from benchmarks._media import Audience
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.remote import RemoteRelayClient

LECTURE = "bench"


def can_pull() -> bool:
    """Whether this checkout's relay has the origin/edge call yet."""
    return callable(getattr(RemoteRelayClient, "pull", None))


class LecternRelays:
    """`processes` relay processes, process i on `cpus(i)`; `capacity` subscribers each at most (0: no limit)."""

    name = "lectern"

    def __init__(
        self,
        processes: int = 1,
        capacity: int = 0,
        cpus: Callable[[int], set[int] | None] = lambda i: None,
        fan_out: str = "",
    ) -> None:
        if processes > 1 and not can_pull():
            raise RelayError("RemoteRelayClient.pull is not in this checkout yet: no edges, only one relay process")
        self.home = Path(tempfile.mkdtemp(prefix="lectern-relays-"))
        self.secret = secrets.token_urlsafe(24)
        self.env = {
            **os.environ,
            "FLASK_APP": "wsgi.py",
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": f"sqlite:///{self.home / 'lectern.db'}",
            "LECTERN_STORAGE": str(self.home / "storage"),
            "LECTERN_RELAY_LOOPBACK": "1",
            "LECTERN_RELAY_SECRET": self.secret,
            "LECTERN_RELAY_CAPACITY": str(capacity),
            "LECTERN_RELAY_FAN_OUT": fan_out,  # "python": the Python loop instead of the compiled one
        }
        for name in ("LECTERN_RELAYS", "LECTERN_RELAY_URL", "REDIS_URL"):
            self.env.pop(name, None)
        self.processes: list[subprocess.Popen[str]] = []
        self.urls: list[str] = []
        self.clients: list[RemoteRelayClient] = []
        try:
            for i in range(processes):
                self._spawn(i, cpus(i))
            self.clients[0].open_lecture(LECTURE)
        except BaseException:
            self.close()
            raise

    def _spawn(self, index: int, cpus: set[int] | None) -> None:
        log = (self.home / f"relay-{index}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "lectern", "relay", "--bind", "127.0.0.1:0"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        log.close()
        self.processes.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        process.stdout.close()
        if not line.startswith("relay listening on "):
            raise RuntimeError(f"relay process {index} did not start: {line}{self.log_tail(index)}")
        self.urls.append(line.split()[-1])
        self.clients.append(RemoteRelayClient(self.urls[-1], self.secret, timeout=60))

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def publish(self, offer_sdp: str) -> str:
        """The publisher's offer to the origin; its answer."""
        return self.clients[0].publish(LECTURE, "pub", offer_sdp)

    def wait_published(self) -> None:
        """Have every edge pull the lecture from the origin (the publisher is connected by now)."""
        for i, client in enumerate(self.clients[1:], 1):
            client.pull(LECTURE, self.urls[0], f"edge-{i}")

    def subscribe(self, peer: str, index: int, audience: Audience) -> None:
        """Subscriber number `index` of `audience` joins on process index % N (it offers, the relay answers).
        RelayError when the relay refuses it (full, or no answer in time); it is then dropped from the audience."""
        sdp = audience.offer(peer)
        try:
            answer = self.clients[index % len(self.clients)].subscribe(LECTURE, peer, sdp)
        except RelayError:
            audience.drop(peer)
            raise
        audience.answer(peer, answer)

    def log_tail(self, index: int = 0, lines: int = 20) -> str:
        path = self.home / f"relay-{index}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def record(self) -> None:
        """Record the lecture on the origin, as a host's Record button does (relay/record.py)."""
        self.clients[0].record(LECTURE, "bench/rec-1")

    def recorded_bytes(self) -> int:
        """What the recording has written so far."""
        folder = self.home / "storage" / "recordings" / "bench"
        return sum(p.stat().st_size for p in folder.rglob("*.webm")) if folder.exists() else 0

    def close(self) -> None:
        for client in self.clients:
            client.shutdown()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.home, ignore_errors=True)
