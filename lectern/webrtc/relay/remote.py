"""The web side's client of a relay process (service.py): the `RelayClient` calls as signed HTTP requests (wire.py).
No aiortc here: a web process whose relay is remote never loads it.

The client keeps its keep-alive connections to the relay in a pool, as many as calls under way at once. A call the
relay refuses raises RelayError with the relay's reason; so does a relay that cannot be reached or does not answer in
time, as the in-process client does when its loop does not answer.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lectern.texts import Text, from_data
from lectern.webrtc.relay import wire
from lectern.webrtc.relay.api import RelayError

if TYPE_CHECKING:
    from lectern.webrtc.relay.registry import RelayRegistry


class RemoteRelayClient:
    """A `RelayClient` for the relay process at `url` (http://host:port), sharing `secret` with it."""

    def __init__(self, url: str, secret: str, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"a relay's address is http://host:port, not {url!r}")
        if not secret:
            raise ValueError("LECTERN_RELAY_SECRET is not set: the relay refuses unsigned requests")
        self.url, self.host, self.port = url, parts.hostname, parts.port
        self.secret, self.timeout = secret, timeout
        # Keep-alive connections not in use: a call takes one (or makes one) and gives it back.
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection to the relay, and whether it was used before (and may since have been closed by the
        relay); a new one when none is idle."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout), False

    def _release(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def _call(self, call: str, **arguments: Any) -> Any:
        body = json.dumps(arguments).encode()
        path = wire.PREFIX + call
        while True:
            connection, reused = self._connection()
            headers = {"Content-Type": "application/json", **wire.sign(self.secret, "POST", path, body, time.time())}
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                connection.close()
                if reused:
                    continue  # the relay closed an idle connection before reading this request: send it again
                raise RelayError(f"the relay at {self.url} closed the connection: {exc!r}") from exc
            except (OSError, http.client.HTTPException) as exc:  # refused, unreachable, timed out
                connection.close()
                raise RelayError(f"the relay at {self.url} did not answer: {exc!r}") from exc
            self._release(connection)
            break
        try:
            payload = json.loads(data)
        except ValueError:
            payload = {}
        if response.status == 200 and isinstance(payload, dict) and "result" in payload:
            return payload["result"]
        reason = payload.get("error") if isinstance(payload, dict) else None
        text = from_data(payload.get("text")) if isinstance(payload, dict) else None
        raise RelayError(reason or f"the relay answered {response.status}", text if isinstance(text, Text) else None)

    def open_lecture(self, lecture_id: str) -> None:
        """See RelayClient."""
        self._call("open_lecture", lecture_id=lecture_id)

    def close_lecture(self, lecture_id: str) -> None:
        """See RelayClient."""
        self._call("close_lecture", lecture_id=lecture_id)

    def publish(self, lecture_id: str, peer_id: str, offer_sdp: str) -> str:
        """See RelayClient."""
        return str(self._call("publish", lecture_id=lecture_id, peer_id=peer_id, offer_sdp=offer_sdp))

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str) -> str:
        """See RelayClient."""
        return str(self._call("subscribe", lecture_id=lecture_id, peer_id=peer_id, offer_sdp=offer_sdp))

    def feed(self, lecture_id: str, peer_id: str, offer_sdp: str, feed: str) -> str:
        """An edge relay's offer for one of the lecture's feeds (pipe.py); the origin's answer out."""
        return str(self._call("feed", lecture_id=lecture_id, peer_id=peer_id, offer_sdp=offer_sdp, feed=feed))

    def pull(self, lecture_id: str, origin_url: str, edge_id: str) -> None:
        """This relay carries the lecture as an edge of the relay at `origin_url` (idempotent)."""
        self._call("pull", lecture_id=lecture_id, origin_url=origin_url, edge_id=edge_id)

    def add_ice_candidate(
        self, lecture_id: str, peer_id: str, candidate: str, sdp_mid: str | None = None, sdp_mline_index: int = 0
    ) -> None:
        """See RelayClient."""
        self._call(
            "add_ice_candidate",
            lecture_id=lecture_id,
            peer_id=peer_id,
            candidate=candidate,
            sdp_mid=sdp_mid,
            sdp_mline_index=sdp_mline_index,
        )

    def leave(self, lecture_id: str, peer_id: str) -> None:
        """See RelayClient."""
        self._call("leave", lecture_id=lecture_id, peer_id=peer_id)

    def set_receive(self, lecture_id: str, peer_id: str, choice: str) -> None:
        """See RelayClient."""
        self._call("set_receive", lecture_id=lecture_id, peer_id=peer_id, choice=choice)

    def link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        """See RelayClient."""
        result = self._call("link", lecture_id=lecture_id, peer_id=peer_id)
        return dict(result) if isinstance(result, dict) else None

    def stats(self, lecture_id: str) -> dict[str, Any]:
        """See RelayClient."""
        return dict(self._call("stats", lecture_id=lecture_id))

    def shutdown(self) -> None:
        """Close the connections to the relay; the relay process goes on serving its other web instances."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


class RoutingRelayClient:
    """A `RelayClient` over the relays of a registry (registry.py): each lecture on the relay placed for it, which
    every web instance finds there. A lecture whose relay is gone is placed on another and opened there; its
    participants' next offers go to it."""

    def __init__(self, registry: RelayRegistry, secret: str, region: str = "", timeout: float = 15.0) -> None:
        if not secret:
            raise ValueError("LECTERN_RELAY_SECRET is not set: the relays refuse unsigned requests")
        self.registry, self.secret, self.region, self.timeout = registry, secret, region, timeout
        self._clients: dict[str, RemoteRelayClient] = {}
        self._lock = threading.Lock()

    def _client(self, url: str) -> RemoteRelayClient:
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = self._clients[url] = RemoteRelayClient(url, self.secret, self.timeout)
            return client

    def _relay_of(self, lecture_id: str) -> RemoteRelayClient:
        """The client of the lecture's relay; placed (and opened) anew when it has none alive."""
        node = self.registry.placed(lecture_id)
        if node is not None:
            return self._client(node.url)
        node = self.registry.place(lecture_id, self.region)
        client = self._client(node.url)
        client.open_lecture(lecture_id)
        return client

    def open_lecture(self, lecture_id: str) -> None:
        """See RelayClient."""
        node = self.registry.place(lecture_id, self.region)
        self._client(node.url).open_lecture(lecture_id)

    def close_lecture(self, lecture_id: str) -> None:
        """See RelayClient."""
        node = self.registry.placed(lecture_id)
        if node is not None:
            self._client(node.url).close_lecture(lecture_id)
        self.registry.release(lecture_id)

    def publish(self, lecture_id: str, peer_id: str, offer_sdp: str) -> str:
        """See RelayClient."""
        return self._relay_of(lecture_id).publish(lecture_id, peer_id, offer_sdp)

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str) -> str:
        """See RelayClient."""
        return self._relay_of(lecture_id).subscribe(lecture_id, peer_id, offer_sdp)

    def add_ice_candidate(
        self, lecture_id: str, peer_id: str, candidate: str, sdp_mid: str | None = None, sdp_mline_index: int = 0
    ) -> None:
        """See RelayClient."""
        self._relay_of(lecture_id).add_ice_candidate(lecture_id, peer_id, candidate, sdp_mid, sdp_mline_index)

    def leave(self, lecture_id: str, peer_id: str) -> None:
        """See RelayClient."""
        node = self.registry.placed(lecture_id)
        if node is not None:
            self._client(node.url).leave(lecture_id, peer_id)

    def set_receive(self, lecture_id: str, peer_id: str, choice: str) -> None:
        """See RelayClient."""
        self._relay_of(lecture_id).set_receive(lecture_id, peer_id, choice)

    def link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        """See RelayClient."""
        node = self.registry.placed(lecture_id)
        return self._client(node.url).link(lecture_id, peer_id) if node is not None else None

    def stats(self, lecture_id: str) -> dict[str, Any]:
        """See RelayClient."""
        return self._relay_of(lecture_id).stats(lecture_id)

    def shutdown(self) -> None:
        """Close the connections to every relay."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.shutdown()
