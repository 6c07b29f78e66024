"""One stream per link: an edge relay pulls each track of a lecture once from its origin relay and fans it out to
its own subscribers (pipe.py). Real aiortc peers over loopback; the two relays on their own loops, as two relay
processes would be."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest

from lectern.webrtc.relay.api import RelayError, RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.pipe import offer_red
from tests.webrtc.conftest import start_publisher, start_subscriber


@pytest.fixture
def relays() -> Iterator[tuple[InProcessRelayClient, InProcessRelayClient]]:
    """An origin and an edge relay, each with lecture "L1" open."""
    origin = InProcessRelayClient(RelayOptions(loopback_only=True))
    edge = InProcessRelayClient(RelayOptions(loopback_only=True))
    origin.open_lecture("L1")
    yield origin, edge
    edge.shutdown()
    origin.shutdown()


def _octets(origin: InProcessRelayClient) -> tuple[int, int]:
    """What the origin received from the publisher, and what it sent its edges (their feeds), in payload bytes."""
    stats = origin.stats("L1")
    received = sum(t["octets_received"] for t in stats["publisher"]["tracks"].values())
    subs = stats["subscribers"].values()
    return received, sum(t["octets_forwarded"] for s in subs if s["feed"] for t in s["tracks"].values())


def test_cadets_on_an_edge_decode_the_lecture_and_the_origin_sends_it_once_whatever_their_number(
    relays: tuple[InProcessRelayClient, InProcessRelayClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiortc")
    origin, edge = relays

    async def scenario() -> None:
        pub = await start_publisher(origin, "L1", low=True)
        await asyncio.to_thread(edge.pull_from, "L1", origin, "origin-1", "edge-1")
        await asyncio.to_thread(edge.pull_from, "L1", origin, "origin-1", "edge-1")  # idempotent
        subs = [await start_subscriber(edge, "L1", "cadet-0")]

        async def window() -> tuple[float, float]:
            """What the origin sends the edge for each byte the publisher sends it, over three seconds."""
            await asyncio.sleep(1.5)
            (received, sent), t0 = _octets(origin), time.monotonic()
            await asyncio.sleep(3.0)
            received_now, sent_now = _octets(origin)
            return (sent_now - sent) / (received_now - received), t0

        one, t0 = await window()
        assert subs[0].fps(t0, t0 + 3.0) >= 0.7 * pub.track.fps(t0, t0 + 3.0)
        subs += [await start_subscriber(edge, "L1", f"cadet-{i}") for i in range(1, 6)]
        six, t0 = await window()
        for sub in subs:
            assert sub.fps(t0, t0 + 3.0) >= 0.7 * pub.track.fps(t0, t0 + 3.0), sub.peer
            assert len(sub.frames["audio"]) > 50, sub.peer
        # Six cadets cost the origin what one did: one copy of each track, whatever the publisher's rate (which
        # climbs as its estimate does).
        assert 0.9 < one < 1.1 and 0.9 < six < 1.1, (one, six)
        stats = origin.stats("L1")["subscribers"]
        assert sorted(p for p, s in stats.items() if s["feed"]) == ["edge:edge-1:high", "edge:edge-1:low"]
        assert all(s["tracks"]["video"]["packets_forwarded"] > 0 for s in stats.values() if s["feed"])
        assert len(stats) == 2  # no cadet of the edge on the origin
        edge_stats = edge.stats("L1")
        assert set(edge_stats["publisher"]["tracks"]) == {"audio", "video", "video_low"}
        assert set(edge_stats["subscribers"]) == {f"cadet-{i}" for i in range(6)}
        # Six joins on the edge cost the publisher a keyframe request or two, not six: the edge's Source holds them
        # back as the origin's does, and shows its kept keyframe meanwhile.
        assert len(pub.keyframe_requests) <= 4, pub.keyframe_requests
        for sub in subs:
            await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())
    assert [r for r in caplog.records if "failed to decode" in r.getMessage()] == []


def test_an_edge_pulls_before_the_publisher_comes_and_follows_a_new_origin(
    relays: tuple[InProcessRelayClient, InProcessRelayClient],
) -> None:
    """The edge may pull before anyone publishes; when its origin is gone and another relay carries the lecture,
    a pull from the new origin replaces the feeds and the edge's cadets receive again without joining anew."""
    origin, edge = relays
    second = InProcessRelayClient(RelayOptions(loopback_only=True))
    second.open_lecture("L1")

    async def scenario() -> None:
        await asyncio.to_thread(edge.pull_from, "L1", origin, "origin-1", "edge-1")
        cadet = await start_subscriber(edge, "L1", "cadet")
        pub = await start_publisher(origin, "L1")
        deadline = time.monotonic() + 5
        while not cadet.frames["video"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert cadet.frames["video"]
        await pub.pc.close()
        await asyncio.to_thread(origin.shutdown)  # the origin is gone
        moved = await start_publisher(second, "L1", peer="pub-2")
        await asyncio.to_thread(edge.pull_from, "L1", second, "origin-2", "edge-1")
        since = time.monotonic()
        deadline = since + 5
        while not [t for t in cadet.frames["video"] if t > since] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [t for t in cadet.frames["video"] if t > since], "no video from the new origin"
        await cadet.close()
        await moved.pc.close()

    try:
        asyncio.run(scenario())
    finally:
        second.shutdown()


def test_the_loss_of_an_edges_cadets_reaches_the_origin_and_so_the_publishers_fec(
    relays: tuple[InProcessRelayClient, InProcessRelayClient],
) -> None:
    """An edge reports its cadets' worst audio loss in its receiver reports to the origin, as a relay does to a
    publisher (whose Opus FEC follows what the origin reports: seams.hook_receiver_feedback)."""
    origin, edge = relays

    async def lossy(lecture: str, peer: str) -> None:
        edge.relay.lectures[lecture].subscribers[peer].audio_loss = 0.25

    async def scenario() -> None:
        pub = await start_publisher(origin, "L1", low=True)
        await asyncio.to_thread(edge.pull_from, "L1", origin, "origin-1", "edge-1")
        cadet = await start_subscriber(edge, "L1", "cadet")
        deadline = time.monotonic() + 10
        loss = None
        while time.monotonic() < deadline:
            await asyncio.to_thread(edge._call, lossy("L1", "cadet"))  # a cadet losing a quarter of its sound
            loss = origin.stats("L1")["subscribers"]["edge:edge-1:high"]["audio_loss"]
            if loss is not None and loss > 0.05:
                break
            await asyncio.sleep(0.2)
        assert loss is not None and loss > 0.05, loss
        await cadet.close()
        await pub.pc.close()

    asyncio.run(scenario())


def test_a_relay_that_publishes_a_lecture_is_not_an_edge_of_it(
    relays: tuple[InProcessRelayClient, InProcessRelayClient],
) -> None:
    origin, edge = relays

    async def scenario() -> None:
        pub = await start_publisher(origin, "L1")
        with pytest.raises(RelayError, match="origin"):
            await asyncio.to_thread(origin.pull_from, "L1", edge, "edge-url", "origin-1")
        with pytest.raises(RelayError, match="unknown feed"):
            await asyncio.to_thread(origin.feed, "L1", "x", pub.pc.localDescription.sdp, "medium")
        await pub.pc.close()

    asyncio.run(scenario())


def test_the_edges_offer_carries_red_around_its_opus() -> None:
    sdp = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 96 0",
            "a=rtpmap:96 opus/48000/2",
            "a=rtpmap:0 PCMU/8000",
            "m=video 9 UDP/TLS/RTP/SAVPF 97",
            "a=rtpmap:97 VP8/90000",
            "",
        ]
    )
    red = offer_red(sdp)
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 96 0 63\r\n" in red
    assert "a=rtpmap:63 red/48000/2\r\na=fmtp:63 96/96\r\n" in red
    assert "m=video 9 UDP/TLS/RTP/SAVPF 97\r\n" in red
