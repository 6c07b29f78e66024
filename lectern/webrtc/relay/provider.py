"""The application's relay: one `RelayClient` per web process, made on first use and closed at exit.

Configuration, not code, decides which relay: the in-process one is the embedded default (DESIGN.md section 1). It
is imported when the first lecture needs a relay, not before: a web process that serves no lecture never loads
aiortc. ICE servers come only from LECTERN_ICE_SERVERS (none by default): never a public default.
"""

from __future__ import annotations

import atexit
import json
import threading
from typing import Any

from flask import Flask, current_app

from lectern.webrtc.relay.api import IceServer, RelayClient, RelayOptions

_lock = threading.Lock()


def ice_servers(app: Flask) -> list[dict[str, Any]]:
    """The ICE servers, as browsers' RTCPeerConnection takes them."""
    value = app.config["LECTERN_ICE_SERVERS"]
    servers = json.loads(value) if isinstance(value, str) else list(value or [])
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        raise ValueError("LECTERN_ICE_SERVERS must be a JSON list of {urls, username?, credential?}")
    return servers


def relay(app: Flask | None = None) -> RelayClient:
    """The relay of `app` (default: the current one)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        client: RelayClient | None = app.extensions.get("lectern_relay")
        if client is None:
            # Here, not at the top: this loads aiortc, PyAV and aioice, which only a lecture needs.
            from lectern.webrtc.relay.inprocess import InProcessRelayClient

            options = RelayOptions(
                ice_servers=tuple(
                    IceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
                    for s in ice_servers(app)
                ),
                loopback_only=bool(app.config["LECTERN_RELAY_LOOPBACK"]),
                adapt=bool(app.config.get("LECTERN_RELAY_ADAPT", True)),
            )
            client = InProcessRelayClient(options)
            app.extensions["lectern_relay"] = client
            atexit.register(client.shutdown)
    return client
