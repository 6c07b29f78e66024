"""Two versions of the publisher's video, chosen per subscriber, and what each subscriber asks to receive: real aiortc
peers over loopback (relay/adapt.py decides, forward.py switches at a keyframe)."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtcpRrPacket, unpack_remb_fci

from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from tests.webrtc.conftest import HEIGHT, LOW_HEIGHT, LOW_WIDTH, WIDTH, Subscriber, start_publisher, start_subscriber


async def _until(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return False


def _largest_gap(times: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def test_a_subscriber_gets_the_low_version_first_then_the_high_one_without_a_gap(
    relay_client: InProcessRelayClient,
) -> None:
    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1", low=True)
        sub = await start_subscriber(relay_client, "L1", "cadet")
        assert await _until(lambda: sub.video_log, 3.0), "no video"
        assert sub.video_log[0][1:] == (LOW_WIDTH, LOW_HEIGHT)
        assert await _until(lambda: sub.video_log[-1][1:] == (WIDTH, HEIGHT), 30.0), relay_client.link("L1", "cadet")
        await asyncio.sleep(1.0)
        times = [t for t, _w, _h in sub.video_log]
        assert _largest_gap(times) < 0.5  # the low version went on until the high one's keyframe
        link = relay_client.link("L1", "cadet")
        assert link is not None and link["video"] == "high" and link["reason"] is None
        assert link["rtt_ms"] is not None and link["rtt_ms"] < 200
        assert link["loss"] == 0
        await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())


def test_the_receive_choice_changes_without_renegotiation_and_the_audio_goes_on(
    relay_client: InProcessRelayClient,
) -> None:
    async def set_receive(choice: str) -> None:
        await asyncio.to_thread(relay_client.set_receive, "L1", "cadet", choice)

    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1", low=True)
        sub: Subscriber = await start_subscriber(relay_client, "L1", "cadet")
        assert await _until(lambda: sub.frames["video"] and sub.frames["audio"], 3.0)
        await set_receive("audio")
        await asyncio.sleep(0.5)
        stopped = len(sub.frames["video"])
        await asyncio.sleep(1.5)
        assert len(sub.frames["video"]) == stopped  # no video at all
        link = relay_client.link("L1", "cadet")
        assert link is not None and (link["video"], link["reason"], link["choice"]) == ("off", "choice", "audio")
        await set_receive("low")
        assert await _until(lambda: len(sub.frames["video"]) > stopped + 5, 2.0)
        assert sub.video_log[-1][1:] == (LOW_WIDTH, LOW_HEIGHT)
        await set_receive("nothing")
        await asyncio.sleep(0.5)
        heard = len(sub.frames["audio"])
        await asyncio.sleep(1.0)
        assert len(sub.frames["audio"]) == heard
        await set_receive("everything")
        await asyncio.sleep(1.5)
        # The audio came back on the same connection, and never stopped while the video was switched.
        audio = [t for t in sub.frames["audio"] if t > time.monotonic() - 1.0]
        assert len(audio) >= 40
        assert sub.pc.connectionState == "connected"
        with pytest.raises(RelayError):
            await set_receive("hologram")
        with pytest.raises(RelayError):
            await asyncio.to_thread(relay_client.set_receive, "L1", "nobody", "audio")
        assert relay_client.link("L1", "nobody") is None
        await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())


def test_the_publisher_is_asked_for_opus_fec_and_told_the_cadets_loss(relay_client: InProcessRelayClient) -> None:
    reports: list[int] = []

    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1", low=True)
        answer = pub.pc.remoteDescription.sdp
        opus = [
            line
            for line in answer.splitlines()
            if line.startswith("a=fmtp:") and "useinbandfec=1" in line and "usedtx=1" in line
        ]
        assert opus, answer
        audio = next(t for t in pub.pc.getTransceivers() if t.kind == "audio")
        original = audio.sender._handle_rtcp_packet

        async def handle(packet: object) -> None:
            if isinstance(packet, RtcpRrPacket):
                reports.extend(r.fraction_lost for r in packet.reports)
            await original(packet)

        audio.sender._handle_rtcp_packet = handle
        sub = await start_subscriber(relay_client, "L1", "cadet")
        await asyncio.sleep(2.0)
        assert reports and max(reports) == 0  # nobody loses anything yet
        # The cadet's receiver reports 10% of its audio lost (a border post's link).
        receiver = next(t for t in sub.pc.getTransceivers() if t.kind == "audio").receiver
        send = receiver._send_rtcp

        async def lossy(packet: object) -> None:
            if isinstance(packet, RtcpRrPacket):
                for report in packet.reports:
                    report.fraction_lost = round(0.1 * 256)
            await send(packet)

        receiver._send_rtcp = lossy
        await asyncio.sleep(2.0)
        link = relay_client.link("L1", "cadet")
        assert link is not None and link["loss"] is not None and link["loss"] > 0
        # The publisher is told that loss, as the relay averages it over the cadet's reports: it nears 10% and
        # never goes past it.
        deadline = asyncio.get_running_loop().time() + 8
        while not reports or reports[-1] < round(0.08 * 256):
            assert asyncio.get_running_loop().time() < deadline, reports
            await asyncio.sleep(0.2)
        assert max(reports) <= round(0.1 * 256)
        await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())


def test_the_publisher_hears_one_remb_for_both_versions(relay_client: InProcessRelayClient) -> None:
    """A browser takes the latest REMB as the limit for all it sends: the low version's own REMB would hold the
    high version down to its few hundred kbps. The relay sends one, the sum of both estimates."""
    rembs: dict[str, list[int]] = {"high": [], "low": []}

    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1", low=True)
        video = [t for t in pub.pc.getTransceivers() if t.kind == "video"]
        for name, transceiver in zip(("high", "low"), video, strict=True):
            original = transceiver.sender._handle_rtcp_packet

            async def handle(packet: object, name: str = name, original: object = original) -> None:
                if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                    rembs[name].append(unpack_remb_fci(packet.fci)[0])
                await original(packet)  # type: ignore[operator]

            transceiver.sender._handle_rtcp_packet = handle
        deadline = asyncio.get_running_loop().time() + 12  # a REMB comes once the relay has an estimate
        while not rembs["high"] and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # and the low version's would have come with it
        assert rembs["high"], "no REMB for the high version"
        assert rembs["low"] == []
        await pub.pc.close()

    asyncio.run(scenario())
