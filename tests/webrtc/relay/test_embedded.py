"""The relay process `make run` starts beside the web app (lectern.webrtc.relay.embedded, deploy/gunicorn.conf.py):
started with gunicorn, started again when it dies, ended with gunicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.embedded import EmbeddedRelay
from lectern.webrtc.relay.remote import RemoteRelayClient
from tests.webrtc.conftest import relay_environment

ROOT = Path(__file__).resolve().parents[3]


def test_a_relay_that_dies_is_started_again_on_its_address(tmp_path: Path) -> None:
    relay = EmbeddedRelay(relay_environment(tmp_path))
    environment = relay.start()
    try:
        assert environment["LECTERN_RELAYS"] == relay.url and environment["LECTERN_RELAY_SECRET"]
        client = RemoteRelayClient(relay.url, environment["LECTERN_RELAY_SECRET"], timeout=5)
        client.open_lecture("L1")
        assert relay.process is not None
        os.kill(relay.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.open_lecture("L1")
                break
            except RelayError:
                assert time.monotonic() < deadline, "the relay was not started again"
                time.sleep(0.2)
        assert relay.restarts == 1
        client.shutdown()
    finally:
        relay.stop()
    assert relay.process is not None and relay.process.poll() is not None
    with pytest.raises(RelayError, match="did not answer"):
        RemoteRelayClient(relay.url, environment["LECTERN_RELAY_SECRET"], timeout=2).open_lecture("L2")


def _children(pid: int) -> list[str]:
    """The command lines of a process's children (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append((Path("/proc") / child / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def test_gunicorn_starts_a_relay_process_beside_the_web_app_and_ends_it(tmp_path: Path) -> None:
    """What `make run` serves: the web worker and, beside it, the relay process the worker is pointed at."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env={**relay_environment(tmp_path), "LECTERN_THREADS": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        relays = [c for c in _children(server.pid) if "lectern relay" in c]
        assert len(relays) == 1, _children(server.pid)
        relay_pid = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p) == relays[0])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert not Path(f"/proc/{relay_pid}").exists() or "zombie" in _status(relay_pid)


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "gone"
