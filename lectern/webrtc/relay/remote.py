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
from typing import Any
from urllib.parse import urlsplit

from lectern.webrtc.relay import wire
from lectern.webrtc.relay.api import RelayError


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
        raise RelayError(reason or f"the relay answered {response.status}")

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
