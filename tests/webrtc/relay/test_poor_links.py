"""Cadets behind shaped links (tests/links.py): the relay gives each the version of the video its link carries, the
sound first, and never holds up a good cadet for a poor one. Real aiortc peers, a real UDP link with seeded loss,
a rate with a bounded queue and delay."""

from __future__ import annotations

import time

from aiortc import RTCPeerConnection

from lectern.webrtc.relay.inprocess import InProcessRelayClient
from tests.links import KBPS256, Link
from tests.webrtc.conftest import HEIGHT, WIDTH, Loop, start_publisher, start_subscriber


async def _link() -> Link:
    return Link(KBPS256, seed="poor-links")


async def _audio_packets(pc: RTCPeerConnection) -> int:
    """The audio RTP packets a subscriber's connection received so far."""
    stats = await pc.getStats()
    return sum(s.packetsReceived for s in stats.values() if s.type == "inbound-rtp" and s.kind == "audio")


def test_a_cadet_on_256_kbps_keeps_the_sound_and_a_good_cadet_gets_the_high_version(
    relay_client: InProcessRelayClient,
) -> None:
    aio = Loop()
    try:
        link = aio.run(_link())
        pub = aio.run(start_publisher(relay_client, "L1", low=True))
        good = aio.run(start_subscriber(relay_client, "L1", "good"))
        poor = aio.run(start_subscriber(link.client(relay_client), "L1", "poor"))
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and (good.video_log[-1:] or [(0, 0, 0)])[0][1:] != (WIDTH, HEIGHT):
            time.sleep(0.5)
        assert good.video_log and good.video_log[-1][1:] == (WIDTH, HEIGHT), relay_client.link("L1", "good")
        time.sleep(6)  # the poor cadet's link has shown what it carries by now
        heard, sent = len(poor.frames["audio"]), link.down.counters.bytes_out
        arrived = aio.run(_audio_packets(poor.pc))
        started = time.monotonic()
        time.sleep(8)
        seconds = time.monotonic() - started
        # The sound: a packet every 20 ms, nearly all of them arriving (5% are lost on the way). The decoded frames
        # lag on a busy machine (this process also decodes the good cadet's 720p in Python), so they only have to
        # keep coming.
        stats = relay_client.stats("L1")["subscribers"]["poor"]
        expected = seconds / 0.02
        assert aio.run(_audio_packets(poor.pc)) - arrived >= 0.8 * expected, (stats["link"], stats["levels"])
        assert len(poor.frames["audio"]) - heard >= 0.5 * expected
        # Never the high version on that link, and never more than it carries.
        assert (WIDTH, HEIGHT) not in {(w, h) for _t, w, h in poor.video_log}
        rate = (link.down.counters.bytes_out - sent) * 8 / seconds / 1000
        assert rate <= 256 * 1.1, rate
        figures = relay_client.link("L1", "poor")
        assert figures is not None and figures["video"] in ("low", "paused"), figures
        assert figures["rtt_ms"] is not None and figures["rtt_ms"] < 1000, figures  # no queue of seconds
        # The good cadet was never held up: its video kept coming at the high version's pace.
        recent = [t for t, w, h in good.video_log if t >= started and (w, h) == (WIDTH, HEIGHT)]
        assert len(recent) >= 0.6 * 30 * seconds, len(recent)
        for sub in (good, poor):
            aio.run(sub.close())
        aio.run(pub.pc.close())
        aio.run(link.close())
    finally:
        aio.close()
