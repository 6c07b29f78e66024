"""The application's relay: one `RelayClient` per web process, made on first use and closed at exit.

Configuration, not code, decides which relay: the in-process one is the embedded default (DESIGN.md section 1). It
is imported when the first lecture needs a relay, not before: a web process that serves no lecture never loads
aiortc. ICE servers come only from configuration (none by default), never a public default: the static ones of
LECTERN_ICE_SERVERS, and Lectern's coturn (LECTERN_TURN_URLS) with credentials minted for each user (turn.py).
"""

from __future__ import annotations

import atexit
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from lectern.webrtc import turn
from lectern.webrtc.relay.api import IceServer, IceServerLike, RelayClient, RelayOptions, peer_lost

if TYPE_CHECKING:
    from lectern.webrtc.relay.registry import RelayRegistry

_lock = threading.Lock()


def _static_servers(app: Flask) -> list[dict[str, Any]]:
    value = app.config["LECTERN_ICE_SERVERS"]
    servers = json.loads(value) if isinstance(value, str) else list(value or [])
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        raise ValueError("LECTERN_ICE_SERVERS must be a JSON list of {urls, username?, credential?}")
    return servers


def _turn(app: Flask) -> tuple[list[str], str, int] | None:
    """Lectern's coturn as configured: its URLs, the shared secret and the credentials' lifetime; None if unset."""
    urls = turn.parse_urls(app.config["LECTERN_TURN_URLS"])
    if not urls:
        return None
    secret = app.config["LECTERN_TURN_SECRET"]
    if not secret:
        raise ValueError("LECTERN_TURN_URLS is set, LECTERN_TURN_SECRET (coturn's static-auth-secret) is not")
    return urls, secret, int(app.config["LECTERN_TURN_TTL"])


def ice_servers(app: Flask, user_id: int) -> list[dict[str, Any]]:
    """The ICE servers for a user's browser, as RTCPeerConnection takes them: the static ones, then Lectern's
    coturn with a credential minted now for this user."""
    servers = _static_servers(app)
    configured = _turn(app)
    if configured is not None:
        urls, secret, ttl = configured
        minted = turn.mint(secret, user_id, time.time(), ttl)
        servers.append({"urls": urls, "username": minted.username, "credential": minted.credential})
    return servers


def ice_transport_policy(app: Flask) -> str:
    """The browsers' iceTransportPolicy: "all", or "relay" to use TURN only."""
    return turn.transport_policy(app.config["LECTERN_ICE_TRANSPORT_POLICY"])


def relay_ice_servers(app: Flask) -> tuple[IceServerLike, ...]:
    """The ICE servers of the relay's own peer connections: the static ones, and Lectern's coturn (credentials
    renewed as they age) only where LECTERN_RELAY_TURN says the relay sits behind NAT."""
    servers: list[IceServerLike] = [
        IceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in _static_servers(app)
    ]
    configured = _turn(app)
    if configured is not None and app.config["LECTERN_RELAY_TURN"]:
        urls, secret, ttl = configured
        servers.append(turn.RefreshingTurnServer(urls, secret, ttl))
    return tuple(servers)


def relay(app: Flask | None = None) -> RelayClient:
    """The relay of `app` (default: the current one)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        client: RelayClient | None = app.extensions.get("lectern_relay")
        if client is None:
            relays = [url.strip() for url in app.config["LECTERN_RELAYS"].split(",") if url.strip()]
            if relays == ["registry"]:
                from lectern.webrtc.relay.remote import RoutingRelayClient

                secret = app.config["LECTERN_RELAY_SECRET"] or ""

                def lost(lecture_id: str, peer_id: str) -> None:
                    peer_lost.send(app, lecture_id=lecture_id, peer_id=peer_id)

                client = RoutingRelayClient(relay_registry(app), secret, app.config["LECTERN_RELAY_REGION"], lost=lost)
            elif relays:
                from lectern.webrtc.relay.remote import RemoteRelayClient

                client = RemoteRelayClient(relays[0], app.config["LECTERN_RELAY_SECRET"] or "")
            else:
                # Here, not at the top: this loads aiortc, PyAV and aioice, which only a lecture needs.
                from lectern.webrtc.relay.inprocess import InProcessRelayClient

                client = InProcessRelayClient(relay_options(app))
            app.extensions["lectern_relay"] = client
            atexit.register(client.shutdown)
    return client


def relay_options(app: Flask) -> RelayOptions:
    """The relay's options from the configuration: the relay inside a web process reads them there, a relay process
    (`flask lectern relay`) from its own."""
    return RelayOptions(
        ice_servers=relay_ice_servers(app),
        loopback_only=bool(app.config["LECTERN_RELAY_LOOPBACK"]),
        adapt=bool(app.config.get("LECTERN_RELAY_ADAPT", True)),
        capacity=int(app.config["LECTERN_RELAY_CAPACITY"]) or None,
        secret=app.config["LECTERN_RELAY_SECRET"] or "",
        recordings=recordings_root(app),
    )


def recordings_root(app: Flask) -> str:
    """Where relays write recordings and the replay job reads them: under LECTERN_STORAGE (shared by the relay
    nodes and the workers in production, deploy/README.md)."""
    return str(Path(app.config["LECTERN_STORAGE"]) / "recordings")


def relay_registry(app: Flask) -> RelayRegistry:
    """The registry of relay processes in Redis (LECTERN_RELAYS=registry needs REDIS_URL)."""
    import redis

    from lectern.webrtc.relay.registry import RelayRegistry

    url = app.config["REDIS_URL"]
    if not url:
        raise ValueError("LECTERN_RELAYS=registry keeps the relays in Redis: set REDIS_URL")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return RelayRegistry(client, app.config["LECTERN_RELAY_REGISTRY_KEY"])


def region_of(app: Flask, academy_slug: str | None, country: str | None) -> str:
    """The relay region of an academy's participants (LECTERN_RELAY_REGIONS, by slug or by country; else the
    country code in lower case); the web instance's own (LECTERN_RELAY_REGION) for no academy."""
    named: dict[str, str] = {}
    for item in str(app.config["LECTERN_RELAY_REGIONS"] or "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip() and value.strip():
            named[key.strip().lower()] = value.strip()
    for name in (academy_slug, country):
        if name and name.lower() in named:
            return named[name.lower()]
    return country.lower() if country else str(app.config["LECTERN_RELAY_REGION"] or "")
