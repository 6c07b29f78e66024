"""Janus for the relay benchmark (relay.py): Debian's `janus` as a child process with a configuration of its own,
and the few calls of its HTTP API and VideoRoom plugin that a publisher and its subscribers need.

The configuration loads only the VideoRoom plugin and the HTTP transport (each folder Janus scans holds a link to
that one library), listens on a free loopback port, has no STUN server and, unless told otherwise, one event loop
for all handles (`event_loops = 1`). Janus leaves the loopback interface out of ICE, so it is started with a tiny
`getifaddrs` wrapper preloaded (compiled here with the system's C compiler) that clears IFF_LOOPBACK, and told to
use `lo` alone: its candidates are 127.0.0.1, as the Lectern relay's are in the benchmark (DESIGN.md section 3).
Installing Janus is not the benchmark's job: `janus_binary()` says how when it is missing.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks._common import free_port
from benchmarks._media import Audience

INSTALL_HINT = "Janus is not installed: `apt-get install janus` (Debian's package, 1.1.x) and run again."

SHIM_SOURCE = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>

/* Janus leaves loopback interfaces out of ICE; the benchmark runs on loopback alone. */
int getifaddrs(struct ifaddrs **ifap) {
    static int (*real)(struct ifaddrs **);
    if (!real)
        real = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int rc = real(ifap);
    if (rc == 0)
        for (struct ifaddrs *i = *ifap; i; i = i->ifa_next)
            i->ifa_flags &= ~IFF_LOOPBACK;
    return rc;
}
"""

ROOM = 1234


class JanusError(RuntimeError):
    """Janus is missing, did not start, or refused a request."""


def janus_binary() -> str:
    """The path of Debian's `janus`; JanusError with the install hint when there is none."""
    found = shutil.which("janus") or ("/usr/bin/janus" if os.access("/usr/bin/janus", os.X_OK) else None)
    if not found:
        raise JanusError(INSTALL_HINT)
    return found


def janus_version(binary: str) -> str:
    """What `janus --version` says, e.g. "1.1.2"."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if line.startswith("Janus version:"):
            return line.split("(")[-1].rstrip(")").strip()
    return "?"


def _library_folders(binary: str) -> dict[str, Path]:
    """Where the package keeps its plugins, transports, event handlers and loggers (from its own janus.jcfg)."""
    folders: dict[str, Path] = {}
    default = Path("/etc/janus/janus.jcfg")
    if default.exists():
        for line in default.read_text().splitlines():
            key, _, value = line.partition("=")
            key = key.strip()
            if key in ("plugins_folder", "transports_folder"):
                folders[key] = Path(value.split("#")[0].strip().strip('"'))
    if len(folders) < 2:
        for base in Path("/usr/lib").glob("*/janus"):
            folders.setdefault("plugins_folder", base / "plugins")
            folders.setdefault("transports_folder", base / "transports")
    if not (folders.get("plugins_folder", Path("/nonexistent")) / "libjanus_videoroom.so").exists():
        raise JanusError(f"no VideoRoom plugin next to {binary} (libjanus_videoroom.so): {INSTALL_HINT}")
    return folders


def _shim(folder: Path) -> Path:
    """Compile the getifaddrs wrapper into `folder`; JanusError when there is no C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        raise JanusError("a C compiler (cc) is needed to let Janus use loopback: `apt-get install gcc`")
    source, library = folder / "loopback.c", folder / "loopback.so"
    source.write_text(SHIM_SOURCE)
    done = subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(source), "-ldl"], capture_output=True, text=True
    )
    if done.returncode:
        raise JanusError(f"could not build the loopback wrapper for Janus: {done.stderr.strip()}")
    return library


def write_config(folder: Path, binary: str, port: int, event_loops: int) -> None:
    """Janus's configuration in `folder`: VideoRoom and HTTP only, on 127.0.0.1:`port`, no STUN, `event_loops` loops
    (0: Janus's default, a thread per handle)."""
    libraries = _library_folders(binary)
    for kind, name in (("plugins", "libjanus_videoroom.so"), ("transports", "libjanus_http.so")):
        (folder / kind).mkdir()
        (folder / kind / name).symlink_to(libraries[f"{kind}_folder"] / name)
    (folder / "events").mkdir()
    (folder / "loggers").mkdir()
    loops = f"\tevent_loops = {event_loops}\n" if event_loops > 0 else ""
    (folder / "janus.jcfg").write_text(
        "general: {\n"
        f'\tconfigs_folder = "{folder}"\n'
        f'\tplugins_folder = "{folder / "plugins"}"\n'
        f'\ttransports_folder = "{folder / "transports"}"\n'
        f'\tevents_folder = "{folder / "events"}"\n'
        f'\tloggers_folder = "{folder / "loggers"}"\n'
        "\tdebug_level = 3\n"
        "\tdebug_timestamps = true\n"
        f'\tserver_name = "lectern-benchmark"\n{loops}'
        "\tsession_timeout = 120\n"
        "}\n"
        "certificates: {\n}\n"
        "media: {\n\tipv6 = false\n}\n"
        "nat: {\n\tnice_debug = false\n\tfull_trickle = false\n\tignore_mdns = true\n"
        '\tice_enforce_list = "lo"\n}\n'
        "plugins: {\n}\ntransports: {\n}\nloggers: {\n}\nevents: {\n\tbroadcast = false\n}\n"
    )
    (folder / "janus.transport.http.jcfg").write_text(
        'general: {\n\tjson = "plain"\n\tbase_path = "/janus"\n\thttp = true\n'
        f'\tport = {port}\n\tip = "127.0.0.1"\n\thttps = false\n}}\n'
        "admin: {\n\tadmin_http = false\n\tadmin_https = false\n}\n"
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")


class Janus:
    """A Janus process on loopback, its API session, and one VideoRoom room for the lecture: the relay interface
    of relay.py's lectures (`pids`, `publish`, `wait_published`, `subscribe`, `close`), as _lectern.py's."""

    name = "janus"

    @staticmethod
    def check() -> None:
        """JanusError, saying what to install, unless Janus can be run here."""
        _library_folders(janus_binary())
        if not (shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")):
            raise JanusError("a C compiler (cc) is needed to let Janus use loopback: `apt-get install gcc`")

    def __init__(self, event_loops: int = 1, cpus: set[int] | None = None) -> None:
        self.binary = janus_binary()
        self.version = janus_version(self.binary)
        self.folder = Path(tempfile.mkdtemp(prefix="lectern-janus-"))
        self.port = free_port()
        self.event_loops = event_loops
        write_config(self.folder, self.binary, self.port, event_loops)
        shim = _shim(self.folder)
        self.log = (self.folder / "janus.log").open("w")
        env = {**os.environ, "LD_PRELOAD": str(shim)}
        self.process = subprocess.Popen(
            [self.binary, "-C", str(self.folder / "janus.jcfg"), "-F", str(self.folder), "-o"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        self.pid = self.process.pid
        self._events: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._stop = threading.Event()
        deadline = time.time() + 20
        while True:
            try:
                self.session = int(self._post("/janus", {"janus": "create"})["data"]["id"])
                break
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    self.close()
                    raise JanusError(f"Janus did not start; its log:\n{self.log_tail()}") from None
                time.sleep(0.1)
        self._poller = threading.Thread(target=self._poll, name="janus-poll", daemon=True)
        self._poller.start()
        control = self.attach()
        created = self.message(
            control,
            {
                "request": "create",
                "room": ROOM,
                "publishers": 1,
                "bitrate": 0,
                "fir_freq": 0,
                "videocodec": "vp8",
                "audiocodec": "opus",
                "notify_joining": False,
                "audiolevel_event": False,
            },
        )
        if created.get("videoroom") != "created":
            raise JanusError(f"Janus did not create the room: {created}")
        self.publisher_id: int | None = None

    # ------------------------------------------------------------ the HTTP API

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("POST", path, json.dumps({**body, "transaction": secrets.token_hex(6)}))
            answer: dict[str, Any] = json.loads(connection.getresponse().read())
        finally:
            connection.close()
        if answer.get("janus") == "error":
            raise JanusError(f"Janus refused {body.get('janus')}: {answer.get('error')}")
        return answer

    def _poll(self) -> None:
        """Long-poll the session's events (this also keeps the session alive) and queue them by handle."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self._stop.is_set():
            try:
                connection.request("GET", f"/janus/{self.session}?maxev=10&rid={int(time.time() * 1000)}")
                data = json.loads(connection.getresponse().read())
            except (OSError, http.client.HTTPException, ValueError):
                if self._stop.is_set() or self.process.poll() is not None:
                    return
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                time.sleep(0.1)
                continue
            for event in data if isinstance(data, list) else [data]:
                sender = event.get("sender")
                if sender is not None:
                    self._queue(int(sender)).put(event)

    def _queue(self, handle: int) -> queue.Queue[dict[str, Any]]:
        return self._events.setdefault(handle, queue.Queue())

    def attach(self) -> int:
        """A new VideoRoom handle in the session."""
        handle = int(self._post(f"/janus/{self.session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})
                     ["data"]["id"])  # fmt: skip
        self._queue(handle)
        return handle

    def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, Any] | None = None, timeout: float = 15
    ) -> dict[str, Any]:
        """Send a request to the plugin on `handle`; its answer (plugindata.data), with "jsep" added when the
        answer carries one. Janus answers some requests at once and the others as an event after an ack."""
        request: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        answer = self._post(f"/janus/{self.session}/{handle}", request)
        if answer.get("janus") == "ack":
            deadline = time.time() + timeout
            while True:
                try:
                    answer = self._queue(handle).get(timeout=max(0.01, deadline - time.time()))
                except queue.Empty:
                    raise JanusError(f"Janus did not answer {body.get('request')} in {timeout} s") from None
                if answer.get("janus") == "event":
                    break
        data: dict[str, Any] = dict(answer.get("plugindata", {}).get("data", {}))
        if "error" in data:
            raise JanusError(f"VideoRoom refused {body.get('request')}: {data['error']}")
        if "jsep" in answer:
            data["jsep"] = answer["jsep"]
        return data

    # ------------------------------------------------------------ the lecture

    def publish(self, offer_sdp: str) -> str:
        """The publisher joins the room and publishes its offer; Janus's answer SDP."""
        handle = self.attach()
        joined = self.message(handle, {"request": "join", "ptype": "publisher", "room": ROOM, "display": "pub"})
        self.publisher_id = int(joined["id"])
        answer = self.message(
            handle,
            {"request": "publish", "audio": True, "video": True},
            {"type": "offer", "sdp": offer_sdp, "trickle": False},
        )
        self._publisher_handle = handle
        return str(answer["jsep"]["sdp"])

    def wait_published(self, timeout: float = 15) -> None:
        """Wait until the publisher's connection is up (Janus's "webrtcup"): its feed takes subscribers from then."""
        deadline = time.time() + timeout
        while True:
            try:
                event = self._queue(self._publisher_handle).get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                raise JanusError(f"the publisher's connection to Janus was not up in {timeout} s") from None
            if event.get("janus") == "webrtcup":
                return

    def subscribe_offer(self) -> tuple[int, str]:
        """A subscriber's handle and Janus's offer for it (Janus offers to subscribers)."""
        handle = self.attach()
        attached = self.message(
            handle, {"request": "join", "ptype": "subscriber", "room": ROOM, "streams": [{"feed": self.publisher_id}]}
        )
        return handle, str(attached["jsep"]["sdp"])

    def subscribe_answer(self, handle: int, answer_sdp: str) -> None:
        """The subscriber's answer: Janus starts sending."""
        self.message(handle, {"request": "start"}, {"type": "answer", "sdp": answer_sdp, "trickle": False})

    @property
    def pids(self) -> list[int]:
        return [self.pid]

    def subscribe(self, peer: str, index: int, audience: Audience) -> None:
        """A subscriber of `audience` joins the publisher's feed: Janus offers, the subscriber answers."""
        handle, offer = self.subscribe_offer()
        self.subscribe_answer(handle, audience.accept(peer, offer))

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join((self.folder / "janus.log").read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        """Stop Janus (SIGTERM, then SIGKILL) and remove its folder."""
        self._stop.set()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
