"""The web side's client of a relay process (service.py): the `RelayClient` calls as signed HTTP requests (wire.py).
No aiortc here: a web process whose relay is remote never loads it.

The client keeps its keep-alive connections to the relay in a pool, as many as calls under way at once. A call the
relay refuses raises RelayError with the relay's reason; so does a relay that cannot be reached or does not answer in
time, as the in-process client does when its loop does not answer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lectern.gate import outside_gate
from lectern.texts import Text, from_data
from lectern.webrtc.relay import wire
from lectern.webrtc.relay.api import FULL, RelayError

if TYPE_CHECKING:
    from lectern.webrtc.relay.registry import Node, RelayRegistry

logger = logging.getLogger(__name__)


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
                with outside_gate():  # the relay answers in its own time (a join waits for ICE gathering)
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

    def open_lecture(self, lecture_id: str, region: str = "") -> None:
        """See RelayClient."""
        self._call("open_lecture", lecture_id=lecture_id)

    def close_lecture(self, lecture_id: str) -> None:
        """See RelayClient."""
        self._call("close_lecture", lecture_id=lecture_id)

    def publish(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        """See RelayClient."""
        return str(self._call("publish", lecture_id=lecture_id, peer_id=peer_id, offer_sdp=offer_sdp))

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
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

    def record(self, lecture_id: str, key: str | None) -> dict[str, Any] | None:
        """See RelayClient."""
        result = self._call("record", lecture_id=lecture_id, key=key)
        return dict(result) if result is not None else None

    def shutdown(self) -> None:
        """Close the connections to the relay; the relay process goes on serving its other web instances."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


class RoutingRelayClient:
    """A `RelayClient` over the relays of a registry (registry.py): each lecture on its origin, placed in the
    lecture's region, which every web instance finds there; each subscriber on the origin or an edge near its own
    region (`RelayRegistry.place_subscriber`), the edge pulling the lecture from the origin (pipe.py).

    Failover: a watcher thread checks the relays this instance's peers are on (their registry entries, and each one's
    /health) every WATCH_S. A relay that is gone is excluded from placement at once, and `lost(lecture_id, peer_id)`
    is called for each of this instance's peers that were on it: their browsers offer again, and are placed on a
    live relay. A lecture whose origin is gone is placed anew when its publisher offers again, and its edges pull
    from the new origin; their subscribers stay where they are. A socket lives in one web instance, so each instance
    knows where its own peers are without asking Redis.
    """

    WATCH_S = 0.5
    HEALTH_TIMEOUT_S = 1.0

    def __init__(
        self,
        registry: RelayRegistry,
        secret: str,
        region: str = "",
        timeout: float = 15.0,
        lost: Callable[[str, str], None] | None = None,
    ) -> None:
        if not secret:
            raise ValueError("LECTERN_RELAY_SECRET is not set: the relays refuse unsigned requests")
        self.registry, self.secret, self.region, self.timeout = registry, secret, region, timeout
        self.lost = lost
        self._clients: dict[str, RemoteRelayClient] = {}
        self._lock = threading.Lock()
        # This instance's peers: (lecture, peer) -> the relay they are on (its id and address).
        self._peers: dict[tuple[str, str], Node] = {}
        # Relays found gone, and when: left out of placement until their registry entries expire.
        self._gone: dict[str, float] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def _client(self, node: Node) -> RemoteRelayClient:
        with self._lock:
            client = self._clients.get(node.url)
            if client is None:
                client = self._clients[node.url] = RemoteRelayClient(node.url, self.secret, self.timeout)
            return client

    def _exclude(self) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            for node_id in [n for n, at in self._gone.items() if now - at > 2 * self.registry.ttl_s]:
                del self._gone[node_id]
            return frozenset(self._gone)

    def _origin(self, lecture_id: str, region: str = "") -> Node:
        """The lecture's origin, placed (and the lecture opened there) when it has none alive."""
        exclude = self._exclude()
        node = self.registry.placed(lecture_id)
        if node is not None and node.id not in exclude:
            return node
        node = self.registry.place(lecture_id, region or self.region, exclude)
        self._client(node).open_lecture(lecture_id)
        self.registry.remove_edge(lecture_id, node.id)
        return node

    def _placed(self, lecture_id: str, peer_id: str, node: Node) -> None:
        with self._lock:
            self._peers[(lecture_id, peer_id)] = node
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="relay-watch", daemon=True)
                self._watcher.start()

    def _node_of(self, lecture_id: str, peer_id: str) -> Node | None:
        with self._lock:
            return self._peers.get((lecture_id, peer_id))

    def open_lecture(self, lecture_id: str, region: str = "") -> None:
        """See RelayClient: the origin is placed in `region`, the lecture's."""
        self._origin(lecture_id, region)

    def close_lecture(self, lecture_id: str) -> None:
        """See RelayClient: on its origin and every edge."""
        for node in [*self.registry.edges(lecture_id), *filter(None, [self.registry.placed(lecture_id)])]:
            try:
                self._client(node).close_lecture(lecture_id)
            except RelayError as exc:
                logger.warning("lecture %s did not close on %s: %s", lecture_id, node.url, exc)
        self.registry.release(lecture_id)
        with self._lock:
            for key in [k for k in self._peers if k[0] == lecture_id]:
                del self._peers[key]

    def publish(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        """See RelayClient: on the origin; the lecture's edges pull from it (again, if it is new), in the
        background: the publisher's answer does not wait for them."""
        origin = self._origin(lecture_id)
        answer = self._client(origin).publish(lecture_id, peer_id, offer_sdp)
        self._placed(lecture_id, peer_id, origin)
        threading.Thread(target=self._feed_edges, args=(lecture_id, origin), name="relay-edges", daemon=True).start()
        return answer

    def _feed_edges(self, lecture_id: str, origin: Node) -> None:
        """Every live edge of the lecture pulls it from `origin` (a no-op for one that already does)."""
        try:
            edges = self.registry.edges(lecture_id)
        except Exception:  # Redis unreachable a moment: the edges' next subscriber makes them pull
            logger.warning("lecture %s: its edges could not be read", lecture_id, exc_info=True)
            return
        for edge in edges:
            if self._stop.is_set():  # shut down meanwhile
                return
            if edge.id == origin.id or edge.id in self._exclude():
                continue
            try:
                self._client(edge).pull(lecture_id, origin.url, edge.id)
            except RelayError as exc:
                logger.warning("edge %s did not pull lecture %s from %s: %s", edge.url, lecture_id, origin.url, exc)

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        """See RelayClient: on the origin or an edge near `region`, the subscriber's. A relay that turns out full
        (its last beat said it had room) is passed over for the next; when every one is, the refusal stands."""
        origin = self._origin(lecture_id)
        full: set[str] = set()
        while True:
            exclude = self._exclude() | full
            node = self.registry.place_subscriber(lecture_id, region or self.region, origin, exclude)
            try:
                if node.id != origin.id:
                    self._client(node).pull(lecture_id, origin.url, node.id)
                    self.registry.add_edge(lecture_id, node.id)
                answer = self._client(node).subscribe(lecture_id, peer_id, offer_sdp)
            except RelayError as exc:
                if not str(exc).startswith(FULL) or node.id in full:
                    raise
                full.add(node.id)
                continue
            self._placed(lecture_id, peer_id, node)
            return answer

    def _peer_client(self, lecture_id: str, peer_id: str) -> RemoteRelayClient:
        node = self._node_of(lecture_id, peer_id)
        if node is None:
            raise RelayError(f"no such peer: {peer_id}")
        return self._client(node)

    def add_ice_candidate(
        self, lecture_id: str, peer_id: str, candidate: str, sdp_mid: str | None = None, sdp_mline_index: int = 0
    ) -> None:
        """See RelayClient."""
        self._peer_client(lecture_id, peer_id).add_ice_candidate(
            lecture_id, peer_id, candidate, sdp_mid, sdp_mline_index
        )

    def leave(self, lecture_id: str, peer_id: str) -> None:
        """See RelayClient."""
        with self._lock:
            node = self._peers.pop((lecture_id, peer_id), None)
        if node is not None:
            self._client(node).leave(lecture_id, peer_id)

    def set_receive(self, lecture_id: str, peer_id: str, choice: str) -> None:
        """See RelayClient."""
        self._peer_client(lecture_id, peer_id).set_receive(lecture_id, peer_id, choice)

    def link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        """See RelayClient."""
        node = self._node_of(lecture_id, peer_id)
        return self._client(node).link(lecture_id, peer_id) if node is not None else None

    def stats(self, lecture_id: str) -> dict[str, Any]:
        """See RelayClient: the origin's."""
        return self._client(self._origin(lecture_id)).stats(lecture_id)

    def record(self, lecture_id: str, key: str | None) -> dict[str, Any] | None:
        """See RelayClient: the origin records (it receives the publisher; edges only carry copies)."""
        return self._client(self._origin(lecture_id)).record(lecture_id, key)

    # -- failover --

    def _watch(self) -> None:
        while not self._stop.wait(self.WATCH_S):
            try:
                self._check()
            except Exception:  # Redis unreachable a moment: the next round tries again
                logger.warning("relay watch: a check failed", exc_info=True)

    def _check(self) -> None:
        """Find the relays this instance's peers are on that are gone, and re-place what they carried."""
        with self._lock:
            in_use = {node.id: node for node in self._peers.values()}
        if not in_use:
            return
        alive = {node.id for node in self.registry.nodes()}
        for node in in_use.values():
            if node.id not in alive or not self._healthy(node):
                self._gone_node(node)

    def _healthy(self, node: Node) -> bool:
        parts = urlsplit(node.url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.HEALTH_TIMEOUT_S)
        try:
            connection.request("GET", "/health")
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def _gone_node(self, node: Node) -> None:
        logger.warning("relay %s (%s) is gone: its peers are placed again", node.id, node.url)
        with self._lock:
            self._gone[node.id] = time.monotonic()
            lost = [key for key, at in self._peers.items() if at.id == node.id]
            for key in lost:
                del self._peers[key]
            client = self._clients.pop(node.url, None)
        if client is not None:
            client.shutdown()
        lectures = {lecture_id for lecture_id, _peer in lost}
        for lecture_id in lectures:
            self.registry.remove_edge(lecture_id, node.id)
            origin = self.registry.placed(lecture_id)
            if origin is not None and origin.id != node.id and origin.id not in self._exclude():
                for name in ("high", "low"):  # the origin stops feeding the edge that is gone
                    with contextlib.suppress(RelayError):
                        self._client(origin).leave(lecture_id, f"edge:{node.id}:{name}")
        for lecture_id, peer_id in lost:
            if self.lost is not None:
                try:
                    self.lost(lecture_id, peer_id)
                except Exception:
                    logger.exception("relay watch: telling %s its relay is gone failed", peer_id)

    def shutdown(self) -> None:
        """Stop watching; close the connections to every relay."""
        self._stop.set()
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.shutdown()
