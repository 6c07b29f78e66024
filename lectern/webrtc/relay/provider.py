"""The application's relay: one `RelayClient` per web process, made on first use and closed at exit.

Configuration, not code, decides which relay: the in-process one is the embedded default (DESIGN.md section 1).
ICE servers come only from LECTERN_ICE_SERVERS (none by default): never a public default.
"""

from __future__ import annotations

import atexit
import json
import threading
from typing import Any

from aiortc import RTCIceServer
from flask import Flask, current_app

from lectern.webrtc.relay.client import InProcessRelayClient, RelayClient
from lectern.webrtc.relay.sfu import RelayOptions

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
        client = app.extensions.get("lectern_relay")
        if client is None:
            options = RelayOptions(
                ice_servers=tuple(
                    RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
                    for s in ice_servers(app)
                ),
                loopback_only=bool(app.config["LECTERN_RELAY_LOOPBACK"]),
            )
            client = InProcessRelayClient(options)
            app.extensions["lectern_relay"] = client
            atexit.register(client.shutdown)
    return client
