"""One subscriber of a lecture: its peer connection, its outgoing tracks and how the fan-out's packets reach it
(part of the forwarding path: forward.py).

The fan-out never awaits. When a subscriber has nothing queued and its transport can take a datagram now (a plain
UDP pair whose socket is not backed up: `seams.DirectRtpSender`), the fan-out rewrites, SRTP-protects and sends the
packet itself, with no task switch. Otherwise it appends to the subscriber's bounded queue, drained by that
subscriber's writer task through aiortc's own send path; a stalled subscriber fills its queue, loses it and restarts
at the next keyframe, and can never hold up the publisher's receive loop or anyone else. The subscriber's RTCP
feedback (NACKs, keyframe requests) is answered here too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RTCP_RTPFB_NACK, AnyRtcpPacket, RtcpPsfbPacket, RtcpRtpfbPacket
from pylibsrtp import Error as SrtpError

from lectern.webrtc.relay import seams
from lectern.webrtc.relay.out_track import OutTrack

logger = logging.getLogger(__name__)


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
