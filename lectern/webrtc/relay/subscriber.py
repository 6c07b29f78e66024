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
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    unpack_remb_fci,
)
from pylibsrtp import Error as SrtpError

from lectern.webrtc.relay import seams
from lectern.webrtc.relay.adapt import CHOICE_CEILING, Adapter, LinkEstimate, ProbePacer
from lectern.webrtc.relay.forward import Source
from lectern.webrtc.relay.out_track import OutTrack

logger = logging.getLogger(__name__)

RED_LOSS = 0.02  # a subscriber losing this share of its audio gets it with RED (twice the sound's bitrate)
# The loss its audio's receiver reports show, averaged by the packets each covers: a report about n packets weighs
# 1 - exp(-n / window), the window short while the loss rises (RED comes within about 2 s of a loss starting) and long
# while it falls (a run of small clean reports on a 5% link does not turn RED off; it ends about 10 s after the loss).
AUDIO_LOSS_RISING = 100.0
AUDIO_LOSS_FALLING = 300.0
PROBE_HEADROOM = 1.25  # a level needs the REMB to show this much more than its video and audio carry
PROBE_TICK_S = 0.02
PROBE_PACKETS = 32  # probes repeat the video's last packets


@dataclass(slots=True)  # the compiled fan-out (_fanout.c) reads and writes these slots directly
class Subscriber:
    """A subscriber's peer connection, its tracks and its bounded queue with one writer task."""

    peer_id: str
    pc: RTCPeerConnection
    queue_size: int
    tracks: dict[str, OutTrack] = field(default_factory=dict)
    queue: deque[tuple[OutTrack, bytes, str, int, int, bool, int, int]] = field(default_factory=deque)
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
    # What the subscriber asked to receive (api.RECEIVE_CHOICES), its link as RTCP shows it, and its video level.
    choice: str = "everything"
    link: LinkEstimate = field(default_factory=LinkEstimate)
    adapter: Adapter = field(default_factory=Adapter)
    audio_loss: float | None = None  # from the reports about its audio: what the publisher's Opus FEC is set for
    # What the relay sends this subscriber of the publisher's media alone, without probes (bits/s, smoothed).
    media_bps: float = 0.0
    _rate_mark: tuple[float, int, int] = (0.0, 0, 0)
    prober: asyncio.Future[None] | None = None
    # An edge relay pulling this lecture (pipe.py): "high" or "low", the feed it takes; None for a participant.
    feed: str | None = None

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
            logger.debug("subscriber %s: ready", self.peer_id)
            self.ready = ready
            for out in self.tracks.values():
                out.need_resync = True
                if out.kind == "video" and (wanted := out.wanted()) is not None:
                    out.waiting_keyframe = True
                    wanted.show_kept_keyframe(self, out)
                    wanted.request_keyframe()
        self.ready = ready

    def enqueue(
        self, out: OutTrack, data: bytes, mime: str, seq: int, ts: int, key: bool, epoch: int, stamp_at: int = -1
    ) -> None:
        """Send a packet now if nothing is queued ahead of it and the transport takes it; otherwise queue it, and
        on overflow drop everything queued and restart video at the next keyframe."""
        if not self.ready:
            return
        queue = self.queue
        if not queue and not self.writing:
            direct = out.direct
            if direct is not None and direct.writable(len(data)):
                header = out.advance(data, mime, seq, ts, key, epoch, stamp_at)
                if header is not None and not direct.send(
                    data, header[0], header[1], header[2], out.rewriter.ssrc, stamp_at
                ):
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
                    if (wanted := track.wanted()) is not None:
                        wanted.request_keyframe()
            return
        queue.append((out, data, mime, seq, ts, key, epoch, stamp_at))
        self.wake.set()

    async def _write(self) -> None:
        queue = self.queue
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                self.writing = True
                while queue:
                    out, data, mime, seq, ts, key, epoch, stamp_at = queue.popleft()
                    packet = out.prepare(data, mime, seq, ts, key, epoch, stamp_at)
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
                if out.source is None or self.link.congested(time.monotonic()):
                    return True  # audio first: no retransmissions of a paused video or into a full link
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
                if (wanted := out.wanted()) is not None and wanted.request_keyframe():
                    out.plis_forwarded += 1
                return True
            if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
                self._reports(out, packet)
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                try:
                    bitrate, _ssrcs = unpack_remb_fci(packet.fci)
                except ValueError:
                    return False  # another application's feedback: aiortc's to ignore
                self.link.remb(bitrate, time.monotonic())
            return False  # aiortc still reads reports and REMB for its own statistics

        return handle

    # -- the link and what it carries --

    def _reports(self, out: OutTrack, packet: RtcpRrPacket | RtcpSrPacket) -> None:
        """Receiver report blocks about this track: loss, jitter and round trip; then the video level again."""
        for report in packet.reports:
            if report.ssrc != out.rewriter.ssrc:
                continue
            # A track that sent nothing since its last report (a paused video) reports no loss, and means nothing.
            carried, out.reported_packets = out.packets - out.reported_packets, out.packets
            loss = report.fraction_lost / 256 if carried > 0 else None
            jitter = report.jitter / out.rewriter.clock_rate * 1000
            self.link.report(loss, jitter, out.round_trip(report.lsr, report.dlsr), carried)
            if out.kind == "audio" and loss is not None:  # averaged: one clean second says little
                last = self.audio_loss
                window = AUDIO_LOSS_RISING if last is None or loss > last else AUDIO_LOSS_FALLING
                weight = 1 - math.exp(-carried / window)
                self.audio_loss = loss if last is None else last + weight * (loss - last)
        self.adapt()

    def _measure_sent(self, now: float) -> None:
        """What is sent (the link's `sent_bps`, probes included) and of it the media (`media_bps`)."""
        at, media_mark, probes_mark = self._rate_mark
        media = sum(t.octets for t in self.tracks.values())
        probes = sum(t.padding_octets for t in self.tracks.values())
        if now - at >= 0.5:
            seconds = now - at
            rate = (media + probes - media_mark - probes_mark) * 8 / seconds if at else 0.0
            media_rate = (media - media_mark) * 8 / seconds if at else 0.0
            self.link.sent_bps = rate if not self.link.sent_bps else 0.5 * (self.link.sent_bps + rate)
            self.media_bps = media_rate if not self.media_bps else 0.5 * (self.media_bps + media_rate)
            self._rate_mark = (now, media, probes)

    def attach(self, versions: dict[str, dict[str, Source]]) -> None:
        """A publisher's sources by kind and version name: feed this subscriber from them (see `adapt`)."""
        now = time.monotonic()
        for kind, out in self.tracks.items():
            out.versions = versions.get(kind, {})
            out.source = out.pending = None
        video = self.tracks.get("video")
        self.adapter.start(tuple(video.versions) if video is not None else (), now)
        self.adapter.ceiling = CHOICE_CEILING[self.choice]
        self._apply()

    def detach(self) -> None:
        """The publisher left: nothing feeds this subscriber."""
        for out in self.tracks.values():
            out.versions = {}
            out.source = out.pending = None

    def receive(self, choice: str) -> None:
        """What the subscriber asks for (api.RECEIVE_CHOICES): applied at once, audio never interrupted."""
        self.choice = choice
        self.adapter.set_ceiling(CHOICE_CEILING[choice], time.monotonic())
        self._apply()

    def adapt(self) -> None:
        """The video level for the link as it stands (called with each report); a probe when it asks for one."""
        now = time.monotonic()
        self._measure_sent(now)
        video, audio = self.tracks.get("video"), self.tracks.get("audio")
        needs: dict[int, float] = {}
        if video is not None:
            sound = audio.source.rate_bps if audio is not None and audio.source is not None else 0.0
            for level, source in enumerate(video.versions.values(), start=1):
                if source.rate_bps:
                    needs[level] = (source.rate_bps + sound) * PROBE_HEADROOM
        can_probe = video is not None and video.rtx_pt is not None and video.abs_id is not None and video.packets > 0
        self.adapter.decide(self.link, now, needs, can_probe)
        if logger.isEnabledFor(logging.DEBUG):
            link = self.link
            logger.debug(
                "subscriber %s: level %s probe %s sent %.0f remb %s loss %s rtt %s/%s",
                self.peer_id, self.adapter.level, self.adapter.probe_target, link.sent_bps, link.remb_bps,
                link.loss, link.rtt_ms, link.best_rtt_ms,
            )  # fmt: skip
        self._apply()
        if self.adapter.probe_target is not None and (self.prober is None or self.prober.done()) and video:
            self.prober = asyncio.ensure_future(self._probe(video))

    async def _probe(self, video: OutTrack) -> None:
        """Send probes while the adapter asks: retransmissions of the video's last packets on its RTX stream,
        stamped with the relay's send time, raising what the subscriber receives to its REMB (its estimate then
        climbs) and at most to the next level's need. A probe never goes over the REMB, so it fills a link only as
        far as the subscriber's own estimate says it can take; congestion ends it (adapt.py)."""
        pacer = ProbePacer(base_bps=self.link.sent_bps, start=time.monotonic())
        try:
            while (target := self.adapter.probe_target) is not None and self.ready:
                await asyncio.sleep(PROBE_TICK_S)
                now = time.monotonic()
                budget = pacer.allow(now, target, self.link.fresh_remb(now), self.media_bps)
                recent = video.recent(PROBE_PACKETS)
                while budget > 0 and recent:
                    data = video.retransmission(recent.pop())
                    if data is None:
                        break
                    await seams.send_rtp(video.sender, data)
                    video.padding_octets += len(data)
                    budget = pacer.spend(len(data))
        except ConnectionError:
            return

    def _apply(self) -> None:
        audio = self.tracks.get("audio")
        if audio is not None:
            # RED (when the publisher sends it and this subscriber took it) once its audio loses RED_LOSS, until it
            # loses under half that: not on and off with each report.
            if self.feed is not None or (self.audio_loss is not None and self.audio_loss >= RED_LOSS):
                audio.red = True  # an edge passes RED on to those of its subscribers who lose audio
            elif self.audio_loss is None or self.audio_loss < RED_LOSS / 2:
                audio.red = False
            audio.select("main" if self.choice != "nothing" and "main" in audio.versions else None)
        video = self.tracks.get("video")
        if video is not None:
            name = self.adapter.version()
            if self.feed == "low" and name != "low":
                name = None  # the low feed carries the low version alone, none when the publisher sends none
            if name is None:
                video.select(None)
            elif video.wanted() is not video.versions.get(name):
                video.select(name, ask=self.ready)

    def link_figures(self) -> dict[str, object]:
        """The relay's own view of this subscriber's link (RelayClient.link)."""
        now = time.monotonic()
        link, video = self.link, self.tracks.get("video")
        wanted = video.wanted() if video is not None else None
        name = next((n for n, s in video.versions.items() if s is wanted), None) if video is not None else None
        if name is not None:
            state, reason = name, ("link" if self.adapter.reason == "link" else None)
        elif video is None or not video.versions:
            state, reason = "off", None
        elif CHOICE_CEILING[self.choice] is None:
            state, reason = "off", "choice"
        else:
            state, reason = "paused", "link"
        estimate = link.estimate_bps(now)
        return {
            "estimate_kbps": None if estimate is None else round(estimate / 1000),
            "loss": None if link.loss is None else round(link.loss, 3),
            "rtt_ms": None if link.rtt_ms is None else round(link.rtt_ms),
            "jitter_ms": None if link.jitter_ms is None else round(link.jitter_ms),
            "kbps": round(link.sent_bps / 1000),
            "video": state,
            "reason": reason,
            "choice": self.choice,
        }

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
                "probe_octets": t.padding_octets,
                "red": t.red,
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
            "audio_loss": self.audio_loss,
            "feed": self.feed,
            "tracks": tracks,
            "link": self.link_figures(),
            # The video level's last changes, seconds ago: (seconds, level, what lowered it).
            "levels": [(round(time.monotonic() - t, 1), level, cause) for t, level, cause in self.adapter.history],
        }

    def stop(self) -> None:
        """Stop the writer and any probe; the relay closes the peer connection."""
        for task in (self.task, self.prober):
            if task is not None:
                task.cancel()
