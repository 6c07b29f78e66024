"""The forwarding path of the relay: a publisher's tracks fan out, unchanged but re-addressed, to subscribers.

No decoding and no re-encoding: packets are serialized once per distinct subscriber header layout, then each
subscriber gets its own SSRC, sequence numbers and timestamps patched into the 12-byte fixed header.

The fan-out never awaits. When a subscriber has nothing queued and its transport can take a datagram now (a plain
UDP pair whose socket is not backed up: `relay_seams.DirectRtpSender`), the fan-out rewrites, SRTP-protects and
sends the packet itself, with no task switch. Otherwise it appends to the subscriber's bounded queue, drained by
that subscriber's writer task through aiortc's own send path; a stalled subscriber fills its queue, loses it and
restarts at the next keyframe, and can never hold up the publisher's receive loop or anyone else.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
    unwrap_rtx,
)
from pylibsrtp import Error as SrtpError

from lectern.webrtc.relay import seams
from lectern.webrtc.relay.rtp import (
    StreamRewriter,
    ntp_to_unix,
    rewrite_header,
    rtx_wrap,
    seq_add,
    unix_to_ntp,
    vp8_is_keyframe_start,
)

logger = logging.getLogger(__name__)

VIDEO_CODEC = "video/vp8"
AUDIO_CODEC = "audio/opus"
ALLOWED_CODECS = {VIDEO_CODEC, AUDIO_CODEC}

# Stream epochs are unique across all sources: a subscriber track fed by a new publisher must see a new epoch
# even though that publisher's Source starts counting afresh.
_epochs = itertools.count(1)

# Fire-and-forget RTCP sends: the loop keeps only weak references to tasks, so we hold them until done.
_background: set[asyncio.Future[None]] = set()


@dataclass
class Source:
    """One published track (audio or video) as the relay receives it."""

    kind: str
    receiver: RTCRtpReceiver
    codec_by_pt: dict[int, str]
    apt_by_rtx_pt: dict[int, int]
    clock_rate: int
    keyframe_interval: float
    subscribers: list[Subscriber]
    ssrc: int | None = None
    epoch: int = 0
    # Publisher's last Sender Report: (RTP timestamp, its NTP time as Unix seconds, our time when it arrived).
    sr: tuple[int, float, float] | None = None
    last_pli: float = -1e9
    pli_pending: asyncio.TimerHandle | None = None
    plis_sent: int = 0
    packets_in: int = 0

    def on_rtp(self, packet: RtpPacket) -> None:
        """Fan one incoming packet out to every subscriber's queue (never awaits)."""
        pt = packet.payload_type
        apt = self.apt_by_rtx_pt.get(pt)
        if apt is not None:
            # A retransmission the relay asked for: restore the original packet; the offset mapping sends it out
            # under the sequence number its original would have had.
            if self.ssrc is None or len(packet.payload) < 2:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=self.ssrc)
            pt = apt
        mime = self.codec_by_pt.get(pt)
        if mime is None:
            return
        if packet.ssrc != self.ssrc:
            self.ssrc = packet.ssrc
            self.epoch = next(_epochs)
            self.sr = None
        self.packets_in += 1
        keyframe = self.kind == "video" and vp8_is_keyframe_start(packet.payload)
        templates: dict[tuple[object, ...], bytes] = {}
        kind, seq, ts, epoch = self.kind, packet.sequence_number, packet.timestamp, self.epoch
        for sub in self.subscribers:
            out = sub.tracks.get(kind)
            if out is None:
                continue
            data = templates.get(out.template_key)
            if data is None:
                packet.extensions.mid = out.mid
                data = templates[out.template_key] = packet.serialize(out.ext_map)
            sub.enqueue(out, data, mime, seq, ts, keyframe, epoch)

    def on_rtcp(self, packet: AnyRtcpPacket) -> None:
        """Remember the publisher's NTP/RTP mapping from its Sender Reports."""
        if isinstance(packet, RtcpSrPacket) and packet.ssrc == self.ssrc:
            info = packet.sender_info
            self.sr = (info.rtp_timestamp, ntp_to_unix(info.ntp_timestamp), time.monotonic())

    def request_keyframe(self) -> bool:
        """Send a PLI upstream, at most one per `keyframe_interval`; a request inside the window is deferred to its
        end rather than lost, so a joining subscriber always gets its keyframe. Returns True if sent now."""
        if self.kind != "video":
            return False
        now = time.monotonic()
        wait = self.last_pli + self.keyframe_interval - now
        if wait <= 0 and self.ssrc is not None:
            self._send_pli()
            return True
        if self.pli_pending is None:
            self.pli_pending = asyncio.get_running_loop().call_later(max(wait, 0.05), self._deferred_pli)
        return False

    def _deferred_pli(self) -> None:
        self.pli_pending = None
        self.request_keyframe()

    def _send_pli(self) -> None:
        assert self.ssrc is not None
        self.last_pli = time.monotonic()
        self.plis_sent += 1
        task = asyncio.ensure_future(seams.send_pli(self.receiver, self.ssrc))
        _background.add(task)
        task.add_done_callback(_background.discard)

    def close(self) -> None:
        """Cancel a deferred keyframe request."""
        if self.pli_pending is not None:
            self.pli_pending.cancel()
            self.pli_pending = None


@dataclass
class OutTrack:
    """One subscriber's outgoing track: header rewriting, keyframe gate, NACK history and Sender Report state."""

    kind: str
    sender: RTCRtpSender
    mid: str
    pt_by_mime: dict[str, int]
    ext_key: tuple[tuple[str, int], ...]
    ext_map: HeaderExtensionsMap
    rewriter: StreamRewriter
    # Per output sequence number modulo the size: (sequence number, template, payload type, timestamp). The packet
    # itself is rebuilt only if a NACK asks for it, so a send does not have to keep a copy.
    history: list[tuple[int, bytes, int, int] | None]
    # RFC 4588 retransmission stream, when the subscriber negotiated one.
    rtx_pt: int | None = None
    rtx_ssrc: int = 0
    rtx_seq: int = 0
    source: Source | None = None
    waiting_keyframe: bool = True
    need_resync: bool = True
    epoch: int = -1
    packets: int = 0
    octets: int = 0
    last_send: float = 0.0
    skipped_for_keyframe: int = 0
    nacks_answered: int = 0
    plis_received: int = 0
    plis_forwarded: int = 0
    # Packets libsrtp refused on the direct path (see `DirectRtpSender.send`): dropped, never retried.
    srtp_errors: int = 0
    # Where the fan-out sends this track's packets synchronously; set by `Subscriber.start`.
    direct: seams.DirectRtpSender | None = None
    # Subscribers with the same key share one serialized template per incoming packet.
    template_key: tuple[str, tuple[tuple[str, int], ...]] = field(init=False)

    def __post_init__(self) -> None:
        self.template_key = (self.mid, self.ext_key)

    @classmethod
    def create(cls, transceiver: RTCRtpTransceiver, history_size: int) -> OutTrack:
        """Build the state for a negotiated sending transceiver."""
        codecs = seams.negotiated_codecs(transceiver)
        ext_key, ext_map = seams.header_extensions_map(transceiver)
        main = [c for c in codecs if c.mimeType.lower() in ALLOWED_CODECS]
        clock_rate = main[0].clockRate if main else 90000
        sender = transceiver.sender
        main_pts = {c.payloadType for c in main}
        rtx_pts = [
            c.payloadType
            for c in codecs
            if c.mimeType.lower().endswith("/rtx") and c.parameters.get("apt") in main_pts and c.payloadType is not None
        ]
        return cls(
            kind=transceiver.kind,
            sender=sender,
            mid=transceiver.mid or "",
            pt_by_mime={c.mimeType.lower(): c.payloadType for c in main if c.payloadType is not None},
            ext_key=ext_key,
            ext_map=ext_map,
            rewriter=StreamRewriter(
                ssrc=seams.sender_ssrc(sender),
                next_seq=secrets.randbelow(1 << 15),  # low half: aiortc's guard against SRTP rollover trouble
                next_ts=secrets.randbelow(1 << 32),
                clock_rate=clock_rate,
            ),
            history=[None] * history_size,
            waiting_keyframe=transceiver.kind == "video",
            rtx_pt=rtx_pts[0] if rtx_pts else None,
            rtx_ssrc=seams.sender_rtx_ssrc(sender),
            rtx_seq=secrets.randbelow(1 << 15),
        )

    def prepare(self, data: bytes, mime: str, in_seq: int, in_ts: int, keyframe: bool, epoch: int) -> bytes | None:
        """Rewrite one queued packet for this subscriber, or None when it must be skipped."""
        header = self.advance(data, mime, in_seq, in_ts, keyframe, epoch)
        if header is None:
            return None
        return rewrite_header(data, header[0], header[1], header[2], self.rewriter.ssrc)

    def advance(
        self, data: bytes, mime: str, in_seq: int, in_ts: int, keyframe: bool, epoch: int
    ) -> tuple[int, int, int] | None:
        """Account for one packet about to be sent: keyframe gate, sequence/timestamp mapping, NACK history and
        counters. Returns its (payload type, sequence number, timestamp), or None when it must be skipped."""
        pt = self.pt_by_mime.get(mime)
        if pt is None:
            return None
        if self.waiting_keyframe:
            if not keyframe:
                self.skipped_for_keyframe += 1
                return None
            self.waiting_keyframe = False
            self.need_resync = True
        rw = self.rewriter
        if epoch != self.epoch:
            elapsed = time.monotonic() - self.last_send if self.packets else None
            rw.resync(in_seq, in_ts, elapsed)
            self.epoch, self.need_resync = epoch, False
        elif self.need_resync:
            rw.resync(in_seq, in_ts)
            self.need_resync = False
        out_seq, out_ts = rw.rewrite(in_seq, in_ts)
        history = self.history
        history[out_seq % len(history)] = (out_seq, data, pt, out_ts)
        self.packets += 1
        self.octets += len(data) - 12
        self.last_send = time.monotonic()
        return pt, out_seq, out_ts

    def sender_info(self) -> RtcpSenderInfo:
        """Sender Report contents for now.

        Once the publisher has sent a Sender Report, ours carries the publisher's own NTP <-> RTP mapping moved
        forward by the time since it arrived, with our timestamp offset applied: audio and video then share the
        publisher's NTP clock, which is all a browser's lip-sync compares. Before that, our clock and the last
        packet we sent stand in (aiortc's own approximation).
        """
        rw = self.rewriter
        src = self.source
        mapped = None
        if src is not None and src.sr is not None and self.epoch == src.epoch:
            sr_rtp, sr_ntp, sr_arrival = src.sr
            mapped = rw.out_ts_for(sr_rtp)
        if mapped is not None and src is not None and src.sr is not None:
            elapsed = time.monotonic() - sr_arrival
            ntp = sr_ntp + elapsed
            rtp_ts = mapped + round(elapsed * rw.clock_rate)
        else:
            ntp = time.time()
            rtp_ts = rw.last_out_ts
            if self.packets:
                rtp_ts += round((time.monotonic() - self.last_send) * rw.clock_rate)
        return RtcpSenderInfo(
            ntp_timestamp=unix_to_ntp(ntp),
            rtp_timestamp=rtp_ts % (1 << 32),
            packet_count=self.packets & 0xFFFFFFFF,
            octet_count=self.octets & 0xFFFFFFFF,
        )

    def fill_reports(self, packets: list[AnyRtcpPacket]) -> None:
        """Replace aiortc's (empty) sender info in an outgoing compound RTCP packet."""
        for packet in packets:
            if isinstance(packet, RtcpSrPacket):
                packet.sender_info = self.sender_info()

    def retransmission(self, seq: int) -> bytes | None:
        """An RTX packet repeating a previously sent packet, for a NACK; None if it left the history or the
        subscriber has no RTX (a plain resend would fail SRTP replay protection)."""
        entry = self.history[seq % len(self.history)]
        if entry is None or entry[0] != seq or self.rtx_pt is None:
            return None
        _, template, pt, ts = entry
        original = rewrite_header(template, pt, seq, ts, self.rewriter.ssrc)
        data = rtx_wrap(original, self.rtx_pt, self.rtx_seq, self.rtx_ssrc)
        self.rtx_seq = seq_add(self.rtx_seq, 1)
        return data


@dataclass
class Subscriber:
    """A subscriber's peer connection, its tracks and its bounded queue with one writer task."""

    peer_id: str
    pc: RTCPeerConnection
    queue_size: int
    tracks: dict[str, OutTrack] = field(default_factory=dict)
    queue: deque[tuple[OutTrack, bytes, str, int, int, bool, int]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    # True while the writer task drains the queue: the fan-out must not overtake a packet it holds.
    writing: bool = False
    dropped: int = 0
    overflows: int = 0
    # Nothing is queued until DTLS is up: packets sent earlier would be lost, and the keyframe with them.
    ready: bool = False
    # Whether the fan-out may send directly (`seams.DirectRtpSender`); otherwise always through aiortc's path.
    direct_send: bool = True

    def start(self) -> None:
        """Start the writer task, hook the senders' RTCP, and start forwarding once DTLS is connected."""
        directs: dict[int, seams.DirectRtpSender | None] = {}
        for out in self.tracks.values():
            seams.hook_sender_rtcp(out.sender, self._rtcp_handler(out))
            seams.hook_sender_reports(out.sender, out.fill_reports)
            transport = out.sender.transport
            if self.direct_send and id(transport) not in directs:
                try:
                    directs[id(transport)] = seams.DirectRtpSender(transport)
                except AttributeError as exc:  # an aioice/aiortc internal moved: aiortc's own path
                    logger.warning("subscriber %s: no direct send path (%s)", self.peer_id, exc)
                    directs[id(transport)] = None
            out.direct = directs.get(id(transport))
        self.task = asyncio.ensure_future(self._write())
        transports = {out.sender.transport for out in self.tracks.values()}
        for transport in transports:
            transport.on("statechange", self._on_transport_state)

    def _on_transport_state(self) -> None:
        states = {out.sender.transport.state for out in self.tracks.values()}
        ready = states == {"connected"}
        if ready and not self.ready:
            for out in self.tracks.values():
                out.need_resync = True
                if out.kind == "video" and out.source is not None:
                    out.waiting_keyframe = True
                    out.source.request_keyframe()
        self.ready = ready

    def enqueue(self, out: OutTrack, data: bytes, mime: str, seq: int, ts: int, key: bool, epoch: int) -> None:
        """Send a packet now if nothing is queued ahead of it and the transport takes it; otherwise queue it, and
        on overflow drop everything queued and restart video at the next keyframe."""
        if not self.ready:
            return
        queue = self.queue
        if not queue and not self.writing:
            direct = out.direct
            if direct is not None and direct.writable(len(data)):
                header = out.advance(data, mime, seq, ts, key, epoch)
                if header is not None and not direct.send(data, header[0], header[1], header[2], out.rewriter.ssrc):
                    out.srtp_errors += 1
                return
        if len(queue) >= self.queue_size:
            self.dropped += len(self.queue) + 1
            self.overflows += 1
            queue.clear()
            for track in self.tracks.values():
                track.need_resync = True
                if track.kind == "video":
                    track.waiting_keyframe = True
                    if track.source is not None:
                        track.source.request_keyframe()
            return
        queue.append((out, data, mime, seq, ts, key, epoch))
        self.wake.set()

    async def _write(self) -> None:
        queue = self.queue
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                self.writing = True
                while queue:
                    out, data, mime, seq, ts, key, epoch = queue.popleft()
                    packet = out.prepare(data, mime, seq, ts, key, epoch)
                    if packet is not None:
                        try:
                            await seams.send_rtp(out.sender, packet)
                        except SrtpError:
                            out.srtp_errors += 1  # e.g. a sequence number already sent: drop it, keep writing
                self.writing = False
        except ConnectionError:
            self.writing = False
            self.ready = False
            logger.info("subscriber %s: transport closed", self.peer_id)
        except asyncio.CancelledError:
            pass

    def _rtcp_handler(self, out: OutTrack) -> Callable[[AnyRtcpPacket], Awaitable[bool]]:
        async def handle(packet: AnyRtcpPacket) -> bool:
            if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                for seq in packet.lost:
                    data = out.retransmission(seq)
                    if data is not None:
                        out.nacks_answered += 1
                        try:
                            await seams.send_rtp(out.sender, data)
                        except ConnectionError:
                            return True
                return True
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                out.plis_received += 1
                if out.source is not None and out.source.request_keyframe():
                    out.plis_forwarded += 1
                return True
            return False

        return handle

    def stats(self) -> dict[str, object]:
        """Plain counters for monitoring and tests."""
        tracks = {
            kind: {
                "ssrc": t.rewriter.ssrc,
                "packets_forwarded": t.packets,
                "octets_forwarded": t.octets,
                "skipped_for_keyframe": t.skipped_for_keyframe,
                "nacks_answered": t.nacks_answered,
                "plis_received": t.plis_received,
                "plis_forwarded": t.plis_forwarded,
                "srtp_errors": t.srtp_errors,
            }
            for kind, t in self.tracks.items()
        }
        return {
            "packets_forwarded": sum(t.packets for t in self.tracks.values()),
            "packets_dropped": self.dropped,
            "queue_overflows": self.overflows,
            "nacks_answered": sum(t.nacks_answered for t in self.tracks.values()),
            "plis_forwarded": sum(t.plis_forwarded for t in self.tracks.values()),
            "queued": len(self.queue),
            "tracks": tracks,
        }

    def stop(self) -> None:
        """Stop the writer; the relay closes the peer connection."""
        if self.task is not None:
            self.task.cancel()
