"""The relay as a process of its own (`flask lectern relay`): it owns the asyncio loop and aiortc, and the web side
reaches it over HTTP (remote.py), so a lecture's media never shares an interpreter with the pages.

The API is wire.py's: signed POSTs, each a `RelayClient` call, answered by the same in-process relay the embedded
default uses (inprocess.py, on its own loop thread); `GET /health` answers unsigned, for a supervisor or a load
balancer, and says nothing else. The HTTP server is the standard library's, a thread per connection: signalling is a
few requests per participant, and every call is handed to the relay's loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lectern.texts import as_data
from lectern.webrtc.relay import wire
from lectern.webrtc.relay.api import RelayError, RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.registry import BEAT_S, Node, RelayRegistry

logger = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # an offer with every codec is a few kB


class RelayServer(ThreadingHTTPServer):
    """The HTTP server of one relay process, and the relay it serves."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], secret: str, options: RelayOptions) -> None:
        if not secret:
            raise ValueError("the relay needs LECTERN_RELAY_SECRET: it refuses every unsigned request")
        super().__init__(address, _Handler)
        self.secret = secret
        self.relay = InProcessRelayClient(options)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-connection (a web instance stopped, a pooled connection reset) is no error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("relay API: %s went away", client_address)
            return
        super().handle_error(request, client_address)

    def close(self) -> None:
        """Stop answering, then close every peer connection and the relay's loop."""
        self.shutdown()
        self.server_close()
        self.relay.shutdown()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the web side reuses its connection
    server: RelayServer

    def do_GET(self) -> None:
        if self.path == "/health":
            self._answer(200, {"status": "ok"})
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._answer(413, {"error": "request too large"})
            return
        body = self.rfile.read(length)
        try:
            wire.verify(self.server.secret, "POST", self.path, body, self.headers, time.time())
        except wire.SignatureError as exc:
            logger.warning("relay API: %s refused: %s", self.path, exc)
            self._answer(401, {"error": str(exc)})
            return
        call = self.path.removeprefix(wire.PREFIX)
        try:
            arguments = wire.arguments(call, json.loads(body or b"{}"))
        except ValueError as exc:  # JSONDecodeError is one
            self._answer(400, {"error": str(exc)})
            return
        try:
            result = getattr(self.server.relay, call)(**arguments)
            self._answer(200, {"result": result})
        except RelayError as exc:
            self._answer(422, {"error": str(exc), "text": as_data(exc.text)})
        except Exception:  # a bug, not the caller's fault: logged here, the relay goes on serving
            logger.exception("relay API: %s failed", call)
            self._answer(500, {"error": "the relay failed on this request; it has been logged"})

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("relay API: " + format, *args)


def serve(
    host: str,
    port: int,
    secret: str,
    options: RelayOptions,
    ready: Any = None,
    registry: RelayRegistry | None = None,
    node: Node | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then close every connection. `ready(server)` is called once it listens. With
    a `registry`, the relay beats there as `node` (its load updated each beat; an empty id or address: the address it
    listens on) and is forgotten when it stops."""
    server = RelayServer((host, port), secret, options)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="relay-api", daemon=True)
    thread.start()
    me = replace(node or Node("", ""), id=(node and node.id) or server.url, url=(node and node.url) or server.url)
    if registry is not None:
        threading.Thread(target=_beat, args=(registry, me, server, stop), name="relay-beat", daemon=True).start()
    if ready is not None:
        ready(server)
    try:
        stop.wait()
    finally:
        if registry is not None:
            with contextlib.suppress(Exception):  # Redis gone too: the entry expires by itself
                registry.forget(me.id)
        server.close()


def _beat(registry: RelayRegistry, node: Node, server: RelayServer, stop: threading.Event) -> None:
    """Tell the registry every BEAT_S that this relay is alive, and its load."""
    while not stop.is_set():
        try:
            registry.beat(replace(node, load=server.relay.load()))
        except Exception:  # Redis unreachable, or the relay's loop busy: the next beat tries again
            logger.warning("relay: a heartbeat to the registry failed", exc_info=True)
        stop.wait(BEAT_S)
