"""The relay with real aiortc peers over loopback: one synthetic publisher, subscribers that decode."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RtcpSrPacket, RtpPacket, is_rtcp

from lectern.webrtc.relay.api import RelayError, RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.rtp import ntp_to_unix
from lectern.webrtc.relay.seams import allow_loopback
from tests.webrtc.conftest import FPS, HEIGHT, WIDTH, Subscriber, new_pc, start_publisher, start_subscriber


def _decode_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "failed to decode" in r.getMessage()]


def _video_ssrc(client: InProcessRelayClient, peer: str) -> int:
    return int(client.stats("L1")["subscribers"][peer]["tracks"]["video"]["ssrc"])


def test_three_subscribers_decode_video_and_audio(
    relay_client: InProcessRelayClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiortc")

    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1")
        subs = [await start_subscriber(relay_client, "L1", f"cadet-{i}") for i in range(3)]
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        await asyncio.sleep(2.5)
        t1 = time.monotonic()
        for sub in subs:
            assert sub.fps(t0, t1) >= 0.7 * pub.track.fps(t0, t1), (sub.peer, sub.fps(t0, t1))
            assert len(sub.frames["audio"]) >= 75, (sub.peer, len(sub.frames["audio"]))  # 20 ms frames, 3 s
            assert sub.sizes == {(WIDTH, HEIGHT)}
            # Only loopback host candidates, never a STUN-derived one.
            answer = sub.pc.remoteDescription.sdp
            candidates = [line for line in answer.splitlines() if line.startswith("a=candidate:")]
            assert candidates and all(" 127.0.0.1 " in c and "typ host" in c for c in candidates)
        stats = relay_client.stats("L1")
        for sub in subs:
            sub_stats = stats["subscribers"][sub.peer]
            assert sub_stats["packets_dropped"] == 0
            assert sub_stats["tracks"]["video"]["packets_forwarded"] > 0
            assert sub_stats["tracks"]["audio"]["packets_forwarded"] > 0
        for sub in subs:
            await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())
    assert _decode_failures(caplog) == []


def test_late_subscriber_gets_video_within_one_second(relay_client: InProcessRelayClient) -> None:
    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1")
        early = await start_subscriber(relay_client, "L1", "early")
        # Long after the stream's first keyframe: the late joiner needs one made for it.
        await asyncio.sleep(2.0)
        requests_before = len(pub.keyframe_requests)
        late = await start_subscriber(relay_client, "L1", "late")
        deadline = late.joined_at + 1.0
        while not late.frames["video"] and time.monotonic() < deadline + 0.5:
            await asyncio.sleep(0.01)
        assert late.frames["video"], "no video frame for the late subscriber"
        assert late.frames["video"][0] - late.joined_at < 1.0
        assert len(pub.keyframe_requests) > requests_before
        for sub in (early, late):
            await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())


def test_pli_reaches_publisher_rate_limited_and_nack_answered(relay_client: InProcessRelayClient) -> None:
    received: list[RtpPacket] = []

    def capture_video(pc: RTCPeerConnection) -> None:
        receiver = pc.getTransceivers()[0].receiver
        original = receiver._handle_rtp_packet

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            received.append(packet)
            await original(packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle

    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1")
        sub = await start_subscriber(relay_client, "L1", "cadet", prepare=capture_video)
        await asyncio.sleep(1.5)  # past the join keyframe and the rate-limit window
        receiver = sub.pc.getTransceivers()[0].receiver
        ssrc = _video_ssrc(relay_client, "cadet")
        assert received and received[-1].ssrc == ssrc

        before = len(pub.keyframe_requests)
        await receiver._send_rtcp_pli(ssrc)
        await asyncio.sleep(0.3)
        assert len(pub.keyframe_requests) == before + 1

        # A burst of PLIs: the first goes at once, the rest fold into one request at the end of the 500 ms window.
        await asyncio.sleep(0.5)
        before = len(pub.keyframe_requests)
        for _ in range(5):
            await receiver._send_rtcp_pli(ssrc)
        await asyncio.sleep(0.25)
        assert len(pub.keyframe_requests) == before + 1
        await asyncio.sleep(0.5)
        assert len(pub.keyframe_requests) == before + 2
        stats = relay_client.stats("L1")["subscribers"]["cadet"]
        assert stats["tracks"]["video"]["plis_received"] == 6
        assert stats["plis_forwarded"] == 2

        # NACK two packets we did receive (the relay only keeps history of what it sent).
        lost = sorted({p.sequence_number for p in received[-20:-18]})
        count = len(received)
        await receiver._send_rtcp_nack(ssrc, lost)
        await asyncio.sleep(0.2)
        assert relay_client.stats("L1")["subscribers"]["cadet"]["nacks_answered"] == len(lost)
        # Answered as RTX: the relay's retransmission SSRC, original sequence number in the first two bytes.
        rtx = [p for p in received[count:] if p.ssrc != ssrc]
        assert sorted(int.from_bytes(p.payload[:2], "big") for p in rtx) == lost
        assert {p.payload_type for p in rtx} != {received[-1].payload_type}
        await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())


def test_sender_reports_match_the_forwarded_stream(relay_client: InProcessRelayClient) -> None:
    reports: dict[str, list[tuple[float, RtcpSrPacket]]] = {"audio": [], "video": []}
    media: dict[str, list[tuple[float, int, int]]] = {"audio": [], "video": []}

    def capture(pc: RTCPeerConnection) -> None:
        for transceiver in pc.getTransceivers():
            kind, receiver = transceiver.kind, transceiver.receiver
            on_rtp, on_rtcp = receiver._handle_rtp_packet, receiver._handle_rtcp_packet

            async def rtp(packet: RtpPacket, arrival_time_ms: int, kind: str = kind, orig: Any = on_rtp) -> None:
                media[kind].append((time.time(), packet.ssrc, packet.timestamp))
                await orig(packet, arrival_time_ms)

            async def rtcp(packet: Any, kind: str = kind, orig: Any = on_rtcp) -> None:
                if isinstance(packet, RtcpSrPacket):
                    reports[kind].append((time.time(), packet))
                await orig(packet)

            receiver._handle_rtp_packet = rtp
            receiver._handle_rtcp_packet = rtcp

    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1")
        sub = await start_subscriber(relay_client, "L1", "cadet", prepare=capture)
        # A report every 0.5-1.5 s once connected; a loaded machine takes seconds to connect (CI once had one video
        # report after 4 s), so the time is bounded, not the reports' count.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and min(len(r) for r in reports.values()) < 3:
            await asyncio.sleep(0.2)
        await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())
    for kind, clock_rate in (("video", 90000), ("audio", 48000)):
        ssrcs = {ssrc for _, ssrc, _ in media[kind]}
        assert len(ssrcs) == 1, kind
        srs = [sr for _, sr in reports[kind]]
        assert len(srs) >= 2, f"only {len(srs)} {kind} Sender Reports"
        assert {sr.ssrc for sr in srs} == ssrcs
        for a, b in itertools.pairwise(srs):
            elapsed = ntp_to_unix(b.sender_info.ntp_timestamp) - ntp_to_unix(a.sender_info.ntp_timestamp)
            ticks = (b.sender_info.rtp_timestamp - a.sender_info.rtp_timestamp) % (1 << 32)
            assert elapsed > 0.3
            assert abs(ticks / clock_rate - elapsed) < 0.03, (kind, ticks / clock_rate, elapsed)
            assert b.sender_info.packet_count > a.sender_info.packet_count
            assert b.sender_info.octet_count > a.sender_info.octet_count
        # The NTP <-> RTP mapping (the publisher's clock, the same machine here) puts each packet's media time
        # just before its arrival: within a frame of jitter, which is what lip-sync tolerates.
        last_sr = srs[-1]
        sr_unix = ntp_to_unix(last_sr.sender_info.ntp_timestamp)
        for arrival, _, ts in media[kind][-20:]:
            delta = (ts - last_sr.sender_info.rtp_timestamp + (1 << 31)) % (1 << 32) - (1 << 31)
            captured = sr_unix + delta / clock_rate
            assert -0.035 < arrival - captured < 0.15, (kind, arrival - captured)
        assert last_sr.sender_info.packet_count <= len(media[kind])


def test_stalled_subscribers_do_not_slow_the_others(relay_client: InProcessRelayClient) -> None:
    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1")
        healthy = [await start_subscriber(relay_client, "L1", f"ok-{i}") for i in range(2)]
        await asyncio.sleep(1.0)
        t0 = time.monotonic()
        await asyncio.sleep(2.0)
        t1 = time.monotonic()
        baseline = [s.fps(t0, t1) for s in healthy]
        published = [pub.track.fps(t0, t1)]

        idle = await start_subscriber(relay_client, "L1", "never-reads", read=False)
        stalled = await start_subscriber(relay_client, "L1", "stalled")
        await asyncio.sleep(0.5)
        # Stall the relay's side of one subscriber's transport: every send from then on hangs.
        relay_sub = relay_client.relay.lectures["L1"].subscribers["stalled"]
        transport = relay_sub.tracks["video"].sender.transport

        send = transport._send_rtp

        async def hang(data: bytes) -> None:
            if is_rtcp(data):  # keep RTCP (and so a clean close) working
                await send(data)
            else:
                await asyncio.sleep(3600)

        transport._send_rtp = hang
        await asyncio.sleep(0.5)
        t2 = time.monotonic()
        await asyncio.sleep(2.5)
        t3 = time.monotonic()
        loaded = [s.fps(t2, t3) for s in healthy]
        published.append(pub.track.fps(t2, t3))
        stats = relay_client.stats("L1")["subscribers"]
        for sub in [*healthy, idle, stalled]:
            await sub.close()
        await pub.pc.close()
        return baseline, loaded, published, stats

    # Compared with what the publisher really produced in the same window, so a busy test machine slowing the
    # synthetic source does not read as the relay's fault; the source itself must still be near 30 fps.
    baseline, loaded, published, stats = asyncio.run(scenario())
    assert all(rate >= 0.7 * FPS for rate in published), published
    assert all(fps >= 0.7 * published[0] for fps in baseline), (baseline, published)
    assert all(fps >= 0.7 * published[1] for fps in loaded), (loaded, published)
    assert stats["stalled"]["packets_dropped"] > 0
    assert stats["stalled"]["queued"] <= 64
    assert all(stats[f"ok-{i}"]["packets_dropped"] == 0 for i in range(2))


@pytest.mark.parametrize(
    "sdp",
    [
        "",
        "garbage",
        "v=0\r\n",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
        "v=0\r\nm=audio x y z\r\n",
    ],
)
def test_malformed_sdp_is_refused(relay_client: InProcessRelayClient, sdp: str) -> None:
    with pytest.raises(RelayError, match="invalid SDP"):
        relay_client.publish("L1", "bad", sdp)
    with pytest.raises(RelayError, match="invalid SDP"):
        relay_client.subscribe("L1", "bad", sdp)
    assert relay_client.stats("L1")["subscribers"] == {}


def test_bad_requests_do_not_disturb_a_live_lecture(relay_client: InProcessRelayClient) -> None:
    async def scenario() -> Subscriber:
        pub = await start_publisher(relay_client, "L1")
        sub = await start_subscriber(relay_client, "L1", "cadet")
        await asyncio.sleep(1.0)
        with pytest.raises(RelayError, match="invalid SDP"):
            await asyncio.to_thread(relay_client.subscribe, "L1", "intruder", "v=0\r\nm=video 9 RTP 96\r\n")
        with pytest.raises(RelayError, match="already has a publisher"):
            await asyncio.to_thread(relay_client.publish, "L1", "second", sub.pc.localDescription.sdp)
        with pytest.raises(RelayError, match="no such lecture"):
            await asyncio.to_thread(relay_client.subscribe, "nope", "x", sub.pc.localDescription.sdp)
        with pytest.raises(RelayError, match="invalid ICE candidate"):
            await asyncio.to_thread(relay_client.add_ice_candidate, "L1", "cadet", "candidate:nonsense")
        before = len(sub.frames["video"])
        await asyncio.sleep(1.0)
        assert len(sub.frames["video"]) - before >= 0.7 * FPS
        await asyncio.to_thread(relay_client.leave, "L1", "cadet")
        assert "cadet" not in relay_client.stats("L1")["subscribers"]
        await sub.close()
        await pub.pc.close()
        return sub

    asyncio.run(scenario())


def test_floor_handover_keeps_subscribers_streams(relay_client: InProcessRelayClient) -> None:
    """Subscribe before anyone publishes, then hand the floor from one publisher to another: same subscriber
    connection, same SSRC, sequence numbers continuous, video again after the switch."""
    received: list[RtpPacket] = []

    def capture_video(pc: RTCPeerConnection) -> None:
        receiver = pc.getTransceivers()[0].receiver
        original = receiver._handle_rtp_packet

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            received.append(packet)
            await original(packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle

    async def scenario() -> None:
        sub = await start_subscriber(relay_client, "L1", "cadet", prepare=capture_video)
        await asyncio.sleep(0.3)
        first = await start_publisher(relay_client, "L1", "instructor")
        await asyncio.sleep(1.5)
        frames_first = len(sub.frames["video"])
        assert frames_first >= 15
        await asyncio.to_thread(relay_client.leave, "L1", "instructor")
        await first.pc.close()
        switch = len(received)
        second = await start_publisher(relay_client, "L1", "classroom")
        await asyncio.sleep(1.5)
        assert len(sub.frames["video"]) - frames_first >= 15
        after = received[switch:]
        assert after and {p.ssrc for p in received} == {received[0].ssrc}
        seqs = [p.sequence_number for p in received]
        gaps = [(b - a) % 65536 for a, b in itertools.pairwise(seqs)]
        assert all(gap == 1 for gap in gaps), sorted(set(gaps))
        await sub.close()
        await second.pc.close()

    asyncio.run(scenario())


def test_direct_path_and_queue_path_interleave_in_order(
    relay_client: InProcessRelayClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Media normally leaves from the fan-out itself (DirectRtpSender); when the direct path is unavailable it
    goes through the queue and aiortc's send path. Switching back and forth keeps the sequence continuous."""
    from lectern.webrtc.relay import seams as relay_seams

    received: list[RtpPacket] = []
    queued_sends: list[bytes] = []
    original_send_rtp = relay_seams.send_rtp

    async def counting_send_rtp(sender: Any, data: bytes) -> None:
        queued_sends.append(data)
        await original_send_rtp(sender, data)

    monkeypatch.setattr(relay_seams, "send_rtp", counting_send_rtp)

    def capture_video(pc: RTCPeerConnection) -> None:
        receiver = pc.getTransceivers()[0].receiver
        original = receiver._handle_rtp_packet

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            received.append(packet)
            await original(packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle

    async def scenario() -> None:
        pub = await start_publisher(relay_client, "L1")
        sub = await start_subscriber(relay_client, "L1", "cadet", prepare=capture_video)
        await asyncio.sleep(1.5)
        relay_sub = relay_client.relay.lectures["L1"].subscribers["cadet"]
        direct = relay_sub.tracks["video"].direct
        assert direct is not None and direct is relay_sub.tracks["audio"].direct  # one per (bundled) transport
        assert received and queued_sends == []  # everything so far went the direct way
        frames = len(sub.frames["video"])

        # An instance override of the DTLS transport's `_send_rtp` (as instrumentation would set) turns the direct
        # path off, in the compiled fan-out and in DirectRtpSender.writable alike.
        dtls = relay_sub.tracks["video"].sender.transport
        dtls._send_rtp = dtls._send_rtp  # type: ignore[method-assign]
        await asyncio.sleep(0.7)
        assert len(queued_sends) > 20  # the writer task carried the stream meanwhile
        del dtls._send_rtp
        through_queue = len(queued_sends)
        await asyncio.sleep(0.7)
        assert len(queued_sends) == through_queue  # and the fan-out took over again
        assert len(sub.frames["video"]) - frames >= 0.7 * FPS
        seqs = [p.sequence_number for p in received if p.ssrc == received[0].ssrc]  # leave out any RTX
        assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
        stats = relay_client.stats("L1")["subscribers"]["cadet"]
        assert stats["packets_dropped"] == 0 and stats["tracks"]["video"]["srtp_errors"] == 0
        await sub.close()
        await pub.pc.close()

    asyncio.run(scenario())


def test_a_full_relay_refuses_one_more_subscriber_with_a_notice_and_keeps_the_others() -> None:
    """Past its capacity the relay admits no more (the one refused reads why, in their language), rather than let a
    subscriber in to starve everyone's frames; the publisher is always taken, and a place that frees is taken again."""
    client = InProcessRelayClient(RelayOptions(loopback_only=True, capacity=2))
    client.open_lecture("L1")

    async def scenario() -> None:
        publisher = await start_publisher(client, "L1")
        first, second = [await start_subscriber(client, "L1", f"cadet-{i}") for i in range(2)]
        late = new_pc()
        late.addTransceiver("video", direction="recvonly")
        allow_loopback(late)
        await late.setLocalDescription(await late.createOffer())
        with pytest.raises(RelayError, match="full") as refused:
            await asyncio.to_thread(client.subscribe, "L1", "cadet-3", late.localDescription.sdp)
        await late.close()
        assert refused.value.text is not None and "relay is full" in refused.value.text
        deadline = time.monotonic() + 10
        while not (first.frames["video"] and second.frames["video"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert first.frames["video"] and second.frames["video"]
        await asyncio.to_thread(client.leave, "L1", "cadet-1")
        third = await start_subscriber(client, "L1", "cadet-3")  # the freed place
        for sub in (first, second, third):
            await sub.close()
        await publisher.pc.close()

    try:
        asyncio.run(scenario())
    finally:
        client.shutdown()


def test_a_late_subscriber_is_shown_the_kept_keyframe_without_waiting_for_a_new_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The relay keeps the publisher's newest keyframe: a subscriber joining long after it sees a picture at once,
    though the publisher is asked for no new keyframe (here its requests are held back for half a minute), and once
    the fresh keyframe comes its video goes on in order: the frames between, which refer to ones it never had, are
    not sent."""
    caplog.set_level(logging.WARNING, logger="aiortc")
    client = InProcessRelayClient(RelayOptions(loopback_only=True, keyframe_interval=30.0))
    client.open_lecture("L1")

    async def scenario() -> None:
        pub = await start_publisher(client, "L1")
        early = await start_subscriber(client, "L1", "early")
        deadline = time.monotonic() + 5
        while not early.frames["video"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert early.frames["video"]
        await asyncio.sleep(1.0)
        requests = len(pub.keyframe_requests)
        shown = client.stats("L1")["publisher"]["tracks"]["video"]["kept_keyframes_shown"]
        late = await start_subscriber(client, "L1", "late")
        deadline = time.monotonic() + 5
        while not late.frames["video"] and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert late.frames["video"], "the late subscriber saw no picture"
        assert len(pub.keyframe_requests) == requests  # no fresh keyframe: the picture was the kept one
        stats = client.stats("L1")
        assert stats["publisher"]["tracks"]["video"]["kept_keyframes_shown"] == shown + 1
        await asyncio.sleep(0.5)
        # What followed the kept frame (frames referring to ones the late subscriber never had) was held back until
        # a keyframe: its decoder never failed.
        assert client.stats("L1")["subscribers"]["late"]["tracks"]["video"]["skipped_for_keyframe"] > 0
        for sub in (early, late):
            await sub.close()
        await pub.pc.close()

    try:
        asyncio.run(scenario())
    finally:
        client.shutdown()
    assert _decode_failures(caplog) == []


def test_a_joining_subscriber_asks_for_its_keyframe_once_it_is_connected() -> None:
    """A keyframe asked for before the subscriber's connection is up reaches no one and holds back the next request
    (one per `keyframe_interval`, here half a minute): the join asks once, when it is connected."""
    client = InProcessRelayClient(RelayOptions(loopback_only=True, keyframe_interval=30.0))
    client.open_lecture("L1")
    connected: list[float] = []

    def watch(pc: RTCPeerConnection) -> None:
        @pc.on("connectionstatechange")
        def changed() -> None:
            if pc.connectionState == "connected":
                connected.append(time.monotonic())

    async def scenario() -> None:
        pub = await start_publisher(client, "L1")
        await asyncio.sleep(1.0)  # the publisher's own first keyframe is long gone
        sub = await start_subscriber(client, "L1", "cadet", prepare=watch)
        deadline = time.monotonic() + 5
        while not pub.keyframe_requests and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert connected and len(pub.keyframe_requests) == 1
        assert pub.keyframe_requests[0] >= connected[0] - 0.05, (pub.keyframe_requests, connected)
        await sub.close()
        await pub.pc.close()

    try:
        asyncio.run(scenario())
    finally:
        client.shutdown()
