"""The in-process `RelayClient` (api.py): the relay on an asyncio loop in a daemon thread of the web process.

The web process is threaded (Flask-SocketIO, async_mode="threading"); the relay is asyncio. The in-process client
runs the relay's event loop in one daemon thread and hands each call over with `run_coroutine_threadsafe`
(DESIGN.md section 4 item 8). A remote implementation (relay nodes over HTTP) would provide the same methods.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar

from lectern.webrtc.relay import seams
from lectern.webrtc.relay.api import RelayError, RelayOptions
from lectern.webrtc.relay.sfu import Relay

T = TypeVar("T")


class FeedSource(Protocol):
    """An origin relay as an edge reaches it: its client's `feed` call."""

    def feed(self, lecture_id: str, peer_id: str, offer_sdp: str, feed: str) -> str: ...


logger = logging.getLogger(__name__)


class InProcessRelayClient:
    """The embedded default `RelayClient`: a `Relay` on an asyncio loop in a daemon thread of this process."""

    def __init__(self, options: RelayOptions | None = None, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._origins: dict[str, FeedSource] = {}  # the clients of the origins this relay pulls from
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="lectern-relay", daemon=True)
        self._thread.start()
        # aiortc objects grab the running loop when built, so the relay is built on its own loop.
        self.relay: Relay = self._call(self._make_relay(options))

    @staticmethod
    async def _make_relay(options: RelayOptions | None) -> Relay:
        return Relay(options)

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        # Let cancelled tasks finish their cleanup before the loop is closed.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        # The relay closed its connections (Relay.close); a socket that outlived them (a close that timed out, a
        # gathering or an mDNS lookup aioice finished after its connection's close) is closed with the loop, not left
        # for the garbage collector to find open later, in whatever code runs then.
        left = seams.open_transports(self._loop)
        if left:
            logger.warning("the relay stopped with %d socket(s) still open: closing them", len(left))
            for transport in left:
                transport.close()
            self._loop.run_until_complete(asyncio.sleep(0))  # their connection_lost callbacks
        self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop.is_closed() or not self._thread.is_alive():
            coro.close()
            raise RelayError("relay is shut down")
        try:
            future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        except RuntimeError as exc:  # the loop closed since the check above (a late event during shutdown)
            coro.close()
            raise RelayError("relay is shut down") from exc
        try:
            return future.result(self.timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            if self._loop.is_closed() and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
                coro.close()  # handed over as the loop stopped: it never ran and never will
            raise RelayError("relay did not answer in time") from exc
        except RelayError:
            raise
        except Exception as exc:
            # An aiortc failure on one request: the caller gets the domain error, the loop and the other peers
            # carry on (the coroutine failed on its own future, not on the loop).
            logger.exception("relay request failed")
            raise RelayError(f"relay request failed: {exc!r}") from exc

    def open_lecture(self, lecture_id: str, region: str = "") -> None:
        """See RelayClient."""
        self._call(self.relay.open_lecture(lecture_id))

    def close_lecture(self, lecture_id: str) -> None:
        """See RelayClient."""
        self._call(self.relay.close_lecture(lecture_id))

    def publish(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        """See RelayClient."""
        return self._call(self.relay.publish(lecture_id, peer_id, offer_sdp))

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        """See RelayClient."""
        return self._call(self.relay.subscribe(lecture_id, peer_id, offer_sdp))

    def feed(self, lecture_id: str, peer_id: str, offer_sdp: str, feed: str) -> str:
        """An edge relay's offer for one of the lecture's feeds ("high" or "low", pipe.py); the answer out."""
        return self._call(self.relay.subscribe(lecture_id, peer_id, offer_sdp, feed))

    def pull(self, lecture_id: str, origin_url: str, edge_id: str) -> None:
        """Carry the lecture as an edge of the relay process at `origin_url`, whose feeds are asked for with
        signed requests (the relays share RelayOptions.secret), as `edge_id`."""
        from lectern.webrtc.relay.remote import RemoteRelayClient

        with self._lock:
            origin = self._origins.get(origin_url)
            if origin is None:
                origin = self._origins[origin_url] = RemoteRelayClient(origin_url, self.relay.options.secret)
        self.pull_from(lecture_id, origin, origin_url, edge_id)

    def pull_from(self, lecture_id: str, origin: FeedSource, origin_url: str, edge_id: str) -> None:
        """`pull`, with the origin's client given (`origin.feed` is called on a worker thread)."""
        loop = self._loop

        async def feeder(peer_id: str, offer_sdp: str, feed: str) -> str:
            return await loop.run_in_executor(None, origin.feed, lecture_id, peer_id, offer_sdp, feed)

        self._call(self.relay.pull(lecture_id, origin_url, edge_id, feeder))

    def add_ice_candidate(
        self, lecture_id: str, peer_id: str, candidate: str, sdp_mid: str | None = None, sdp_mline_index: int = 0
    ) -> None:
        """See RelayClient."""
        self._call(self.relay.add_ice_candidate(lecture_id, peer_id, candidate, sdp_mid, sdp_mline_index))

    def leave(self, lecture_id: str, peer_id: str) -> None:
        """See RelayClient."""
        self._call(self.relay.leave(lecture_id, peer_id))

    def set_receive(self, lecture_id: str, peer_id: str, choice: str) -> None:
        """See RelayClient."""
        self._call(self.relay.set_receive(lecture_id, peer_id, choice))

    def link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        """See RelayClient."""
        return self._call(self._link(lecture_id, peer_id))

    async def _link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        return self.relay.link(lecture_id, peer_id)

    def stats(self, lecture_id: str) -> dict[str, Any]:
        """See RelayClient."""
        return self._call(self._stats(lecture_id))

    def record(self, lecture_id: str, key: str | None) -> dict[str, Any] | None:
        """See RelayClient."""
        return self._call(self.relay.record(lecture_id, key))

    async def _stats(self, lecture_id: str) -> dict[str, Any]:
        return self.relay.stats(lecture_id)

    def load(self) -> int:
        """The subscribers the relay carries now (what its capacity counts): what its registry entry says."""
        return self._call(self._load())

    async def _load(self) -> int:
        return self.relay.load()

    def shutdown(self) -> None:
        """Close every peer connection, then stop the loop and its thread."""
        if not self._thread.is_alive():
            return
        with self._lock:
            origins, self._origins = list(self._origins.values()), {}
        for origin in origins:
            close = getattr(origin, "shutdown", None)
            if close is not None:
                close()
        try:
            self._call(self.relay.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(self.timeout)
