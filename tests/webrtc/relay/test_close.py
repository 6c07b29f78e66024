"""Closing a lecture, or the whole relay, with real aiortc peers over loopback, when one peer connection's close
hangs or fails: the others all close, at once, and the caller gets no error; the failure is logged."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from aiortc import RTCPeerConnection

from lectern.webrtc.relay.api import RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
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
