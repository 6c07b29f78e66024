"""Closing a lecture, or the whole relay, with real aiortc peers over loopback, when one peer connection's close
hangs or fails: the others all close, at once, and the caller gets no error; the failure is logged."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from aiortc import RTCPeerConnection

from lectern.webrtc.relay import seams
from lectern.webrtc.relay.api import RelayError, RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.sfu import Relay, _Lecture
from tests.webrtc.conftest import start_publisher, start_subscriber

CLOSE_TIMEOUT = 1.0
T = TypeVar("T")


@pytest.fixture
def relay_client() -> Iterator[InProcessRelayClient]:
    client = InProcessRelayClient(RelayOptions(loopback_only=True, close_timeout=CLOSE_TIMEOUT))
    client.open_lecture("L1")
    yield client
    client.shutdown()


def _break(pc: RTCPeerConnection, how: str) -> None:
    """Make this one real peer connection's close hang forever, or fail."""

    async def hang() -> None:
        await asyncio.Event().wait()

    async def fail() -> None:
        raise RuntimeError("the transport would not stop")

    pc.close = {"hangs": hang, "fails": fail}[how]  # type: ignore[method-assign]


async def _on_relay(client: InProcessRelayClient, coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the relay's own loop (where its aiortc objects live) and wait for it here."""
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, client._loop))


@pytest.mark.parametrize("closing", ["the lecture", "the relay"])
@pytest.mark.parametrize("how", ["hangs", "fails"])
def test_one_peer_that_will_not_close_does_not_stop_the_others(
    relay_client: InProcessRelayClient, caplog: pytest.LogCaptureFixture, how: str, closing: str
) -> None:
    caplog.set_level(logging.WARNING, logger="lectern.webrtc.relay.sfu")
    relay = relay_client.relay

    async def scenario() -> tuple[list[str], float]:
        pub = await start_publisher(relay_client, "L1")
        subs = [await start_subscriber(relay_client, "L1", f"cadet-{i}", read=False) for i in range(4)]
        deadline = time.monotonic() + 10
        while any(s.pc.connectionState != "connected" for s in subs) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        lecture = relay.lectures["L1"]
        assert lecture.publisher is not None
        relay_side = [*(lecture.subscribers[s.peer].pc for s in subs), lecture.publisher.pc]
        broken = relay_side[0]  # the first to be closed, so every other one comes after it
        _break(broken, how)
        started = time.monotonic()
        if closing == "the lecture":
            await asyncio.to_thread(relay_client.close_lecture, "L1")
        else:
            await _on_relay(relay_client, relay.close())
        took = time.monotonic() - started
        states = [pc.connectionState for pc in relay_side if pc is not broken]

        async def mend() -> None:
            del broken.close  # aiortc's own close again, to clean up
            for task in list(relay._closing):
                task.cancel()
            await broken.close()

        await _on_relay(relay_client, mend())
        for sub in subs:
            await sub.close()
        await pub.pc.close()
        return states, took

    states, took = asyncio.run(scenario())
    assert states == ["closed"] * 4
    # Concurrently: about one timeout in all (and once more for shutdown), not one per peer.
    assert took < 2 * CLOSE_TIMEOUT + 2, took
    messages = [r.getMessage() for r in caplog.records]
    expected = "did not close within" if how == "hangs" else "closing a peer connection failed"
    assert any(expected in m for m in messages), messages


def test_a_call_that_meets_the_loop_closing_is_refused_and_leaves_no_coroutine_behind() -> None:
    """A late Socket.IO event (a page reconnecting and joining) asks the relay to open its lecture just as the
    relay shuts down: the loop closes between the client's check and the hand-over. The caller gets RelayError and
    the coroutine is closed, not left to warn "never awaited" in whatever runs next."""
    client = InProcessRelayClient(RelayOptions(loopback_only=True))
    client.shutdown()
    client._thread.join(5)
    assert client._loop.is_closed()
    # The state of the check a moment earlier: the thread alive, the loop not yet closed.
    client._thread = type("Alive", (), {"is_alive": staticmethod(lambda: True)})()  # type: ignore[assignment]
    client._loop.is_closed = lambda: False  # type: ignore[method-assign]
    coro = client.relay.open_lecture("L9")
    try:
        with pytest.raises(RelayError, match="shut down"):
            client._call(coro)
    finally:
        del client._loop.is_closed  # the loop's own again: it is closed
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_a_relay_that_closed_makes_no_new_connection() -> None:
    """Shutting down closes every page's connection; a page that subscribes again at once must be refused, or its
    new connection (and its sockets) would outlive the relay."""

    async def scenario() -> None:
        relay = Relay(RelayOptions(loopback_only=True))
        await relay.open_lecture("L1")
        offerer = RTCPeerConnection()
        offerer.addTransceiver("audio", direction="recvonly")
        await offerer.setLocalDescription(await offerer.createOffer())
        await relay.close()
        with pytest.raises(RelayError, match="shut down"):
            await relay.open_lecture("L1")  # the page joins again
        relay.lectures["L1"] = _Lecture("L1")  # or had joined a moment before
        with pytest.raises(RelayError, match="shut down"):
            await relay.subscribe("L1", "late", offerer.localDescription.sdp)
        assert not relay._pcs
        await offerer.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("closing", ["the relay", "the peer"])
def test_a_connection_closed_while_it_gathers_leaves_no_socket_open(closing: str) -> None:
    """A page leaves, or the relay shuts down, while the relay still gathers the ICE candidates of that page's
    answer. aioice holds the sockets of a gathering under way where its close does not reach them: closed then, the
    connection kept a socket open, which warned "unclosed transport" in whatever test ran next (CI). The close waits
    for the gathering, every socket is closed and the join is refused."""

    async def scenario() -> None:
        relay = Relay(RelayOptions(loopback_only=True, close_timeout=CLOSE_TIMEOUT))
        await relay.open_lecture("L1")
        offerer = RTCPeerConnection()
        offerer.addTransceiver("audio", direction="recvonly")
        await offerer.setLocalDescription(await offerer.createOffer())
        joining = asyncio.ensure_future(relay.subscribe("L1", "cadet", offerer.localDescription.sdp))
        while not relay._pcs or next(iter(relay._pcs)).iceGatheringState != "gathering":
            await asyncio.sleep(0)  # until the relay makes the answer, and its ICE agent gathers
        (pc,) = relay._pcs
        if closing == "the relay":
            await relay.close()
        else:
            await relay._close_pcs([pc])  # what a leave does once the peer is found
        with pytest.raises(RelayError, match="closed while"):
            await joining
        left_open = [
            p.transport for c in seams.ice_connections(pc) for p in c._protocols if not p.transport.is_closing()
        ]
        for transport in left_open:
            transport.close()  # so the failure is this test's, not a warning in the next one
        assert not left_open, f"{len(left_open)} socket(s) left open"
        assert "L1" not in relay.lectures or "cadet" not in relay.lectures["L1"].subscribers
        await relay.close()
        await offerer.close()

    asyncio.run(scenario())


def test_a_socket_that_outlives_its_connection_is_closed_when_the_relay_stops(caplog: pytest.LogCaptureFixture) -> None:
    """Whatever socket is still open on the relay's loop when it stops (a close that timed out, a lookup aioice
    finished after its connection closed) is closed then, and the count logged: left open, the garbage collector
    found it later and its "unclosed transport" warning failed whatever test ran then (CI)."""
    caplog.set_level(logging.WARNING, logger="lectern.webrtc.relay.inprocess")
    client = InProcessRelayClient(RelayOptions(loopback_only=True))

    async def leak() -> asyncio.BaseTransport:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        return transport

    left = asyncio.run_coroutine_threadsafe(leak(), client._loop).result(5)
    client.shutdown()
    assert left.is_closing()
    assert any("1 socket(s) still open" in r.getMessage() for r in caplog.records)
