"""A real coturn (Debian's `coturn` package, binary `turnserver`) on loopback for a test, and stopped after it.

It listens on 127.0.0.1 on free ports (UDP and TCP, and TLS for deploy/'s configuration), relays from 127.0.0.1,
and checks credentials as the deployed one does (`use-auth-secret`). Either a minimal configuration with
`allow-loopback-peers` (tests only), or deploy/coturn/turnserver.conf itself with the relay's address (127.0.0.1)
as the one allowed private peer. Debian's own coturn service (disabled by `make test`, and never started by the
package in a container) would hold port 3478: the test's coturn takes free ports instead.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TURNSERVER = "/usr/bin/turnserver"
SECRET = "test-turn-secret"
REALM = "lectern.test"

# A STUN Binding request (RFC 5389): type 0x0001, length 0, the magic cookie, a 12-byte transaction id.
BINDING = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + b"lectern-test"


@dataclass(frozen=True)
class Coturn:
    port: int
    secret: str
    log: Path

    def urls(self, transport: str) -> list[str]:
        return [f"turn:127.0.0.1:{self.port}?transport={transport}"]


def _free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port for coturn")


def _answers_stun(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.2)
        try:
            udp.sendto(BINDING, ("127.0.0.1", port))
            reply = udp.recv(2048)
        except OSError:
            return False
    return reply[:2] == b"\x01\x01" and reply[8:20] == BINDING[8:20]  # a Binding success for our transaction


def _accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _port_released(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


DEPLOYED = Path(__file__).resolve().parents[2] / "deploy" / "coturn" / "turnserver.conf"


def _minimal(workdir: Path, port: int, log: Path) -> list[str]:
    """The fewest options that check credentials as the deployed coturn does."""
    return [
        TURNSERVER,
        "-n",  # no configuration file: Debian's /etc/turnserver.conf would send the log to syslog
        "--no-stdout-log",
        f"--log-file={log}",
        "--simple-log",
        "--verbose",  # one line per request, with the user's name: the tests read them
        f"--pidfile={workdir / 'turnserver.pid'}",
        f"--userdb={workdir / 'turndb'}",
        "--listening-ip=127.0.0.1",
        f"--listening-port={port}",
        "--relay-ip=127.0.0.1",
        "--use-auth-secret",
        f"--static-auth-secret={SECRET}",
        f"--realm={REALM}",
        "--fingerprint",
        "--allow-loopback-peers",  # the relay's candidates are on 127.0.0.1 here; never in deploy/
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--no-multicast-peers",
    ]


def _deployed(workdir: Path, port: int, tls_port: int, log: Path) -> list[str]:
    """deploy/coturn/turnserver.conf as shipped, with only what a machine fills in changed: its ports and
    address (loopback), the certificate (a self-signed one), the secret, a log file instead of syslog, and the
    one exception its comments allow, the relay's address (127.0.0.1 here) as an allowed peer. coturn refuses
    loopback peers whatever allowed-peer-ip says, so allow-loopback-peers is added too: only here."""
    certificate = ["-keyout", str(workdir / "key.pem"), "-out", str(workdir / "cert.pem")]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            *certificate,
        ],
        check=True,
        capture_output=True,
    )
    replaced = {
        "listening-port": f"listening-port={port}",
        "tls-listening-port": f"tls-listening-port={tls_port}",
        "cert": f"cert={workdir / 'cert.pem'}",
        "pkey": f"pkey={workdir / 'key.pem'}",
        "static-auth-secret": f"static-auth-secret={SECRET}",
        "realm": f"realm={REALM}",
        "syslog": f"log-file={log}",
    }
    lines = [replaced.get(line.split("=")[0], line) for line in DEPLOYED.read_text().splitlines()]
    lines += [
        "listening-ip=127.0.0.1",
        "relay-ip=127.0.0.1",
        "allowed-peer-ip=127.0.0.1",
        "allow-loopback-peers",
        "verbose",
        f"pidfile={workdir / 'turnserver.pid'}",
        f"userdb={workdir / 'turndb'}",
    ]
    config = workdir / "turnserver.conf"
    config.write_text("\n".join(lines) + "\n")
    return [TURNSERVER, "-c", str(config), "--no-stdout-log"]


@contextmanager
def coturn(workdir: Path, deployed: bool = False) -> Iterator[Coturn]:
    """Start coturn (a minimal configuration, or deploy/'s), wait until it answers STUN over UDP and accepts TCP
    (and TLS), yield it; stop it and wait until its ports are free again."""
    assert shutil.which(TURNSERVER), "coturn is not installed: `make test` installs it (apt-get install coturn)"
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    tls_port = _free_port() if deployed else None
    log = workdir / "turnserver.log"
    args = _deployed(workdir, port, tls_port, log) if tls_port else _minimal(workdir, port, log)
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not (_answers_stun(port) and _accepts_tcp(port) and (tls_port is None or _accepts_tcp(tls_port))):
            assert process.poll() is None, f"coturn exited ({process.returncode}): {_tail(log)}"
            assert time.monotonic() < deadline, f"coturn did not start: {_tail(log)}"
            time.sleep(0.1)
        yield Coturn(port, SECRET, log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        deadline = time.monotonic() + 10
        while not all(_port_released(p) for p in (port, tls_port) if p) and time.monotonic() < deadline:
            time.sleep(0.1)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
