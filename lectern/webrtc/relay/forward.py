"""The forwarding path of the relay: a publisher's tracks fan out, unchanged but re-addressed, to subscribers.

No decoding and no re-encoding: packets are serialized once per distinct subscriber header layout, then each
subscriber gets its own SSRC, sequence numbers and timestamps patched into the 12-byte fixed header.

Three parts, one module each: `Source` (here) is one published track as the relay receives it, and fans each packet
out; `OutTrack` (out_track.py) is one subscriber's outgoing track, its header rewriting, keyframe gate, NACK history
and Sender Reports; `Subscriber` (subscriber.py) is one subscriber's connection, its queue, writer task and RTCP
feedback. The fan-out never awaits (see subscriber.py for how a packet reaches the network).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiortc import RTCRtpCodecParameters, RTCRtpReceiver
from aiortc.rtp import AnyRtcpPacket, RtcpSrPacket, RtpPacket, unwrap_rtx

from lectern.webrtc.relay import seams
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.rtp import extension_offset, ntp_to_unix, red_primary, red_retag, vp8_is_keyframe_start

if TYPE_CHECKING:
    from lectern.webrtc.relay.out_track import OutTrack
    from lectern.webrtc.relay.subscriber import Subscriber

VIDEO_CODEC = "video/vp8"
AUDIO_CODEC = "audio/opus"
# RFC 2198 redundancy around Opus: each packet repeats the previous frame, so a single loss costs nothing. Taken
# from a publisher that offers it; sent to a subscriber that offers it and loses audio, unwrapped for the others.
RED_CODEC = "audio/red"
ALLOWED_CODECS = {VIDEO_CODEC, AUDIO_CODEC, RED_CODEC}

# Stream epochs are unique across all sources: a subscriber track fed by a new publisher must see a new epoch
# even though that publisher's Source starts counting afresh.
_epochs = itertools.count(1)

# A kept keyframe older than this is not shown to a joining subscriber: it waits for the fresh one asked for.
KEPT_KEYFRAME_MAX_AGE_S = 10.0
KEPT_KEYFRAME_MAX_PACKETS = 400

# The fan-out loop in C (_fanout.c) for every subscriber's track in steady forwarding; None: the Python loop alone.
FAN_OUT: seams.FanOut | None = seams.compiled_fan_out()

# Fire-and-forget RTCP sends: the loop keeps only weak references to tasks, so we hold them until done.
_background: set[asyncio.Future[None]] = set()


@dataclass
class Source:
    """One published track (audio or video; a publisher may send two versions of its video) as the relay receives
    it. Each subscriber's track (`OutTrack.source`) says which source feeds it."""

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
    mime: str | None = None  # the codec of the last packet: "audio/red" when the publisher sends RED
    # What this source carries, in bits per second of payload (averaged over about two seconds).
    octets_in: int = 0
    rate_bps: float = 0.0
    _rate_at: float = 0.0
    _rate_octets: int = 0
    # The newest keyframe of a video source, every packet of it (`_keep`), its timestamp, whether it is whole, and
    # when it began; a joining subscriber is shown it at once (`show_kept_keyframe`). How many times it was shown.
    kept: list[RtpPacket] = field(default_factory=list)
    kept_ts: int = -1
    kept_whole: bool = False
    kept_at: float = 0.0
    kept_shown: int = 0
    # Called at the first packet, before it fans out (an edge's low feed: sfu.py `Relay.pull`).
    on_first: Callable[[], None] | None = None
    # The lecture's recording, when it records this source (record.py): given each packet as it comes, and each
    # Sender Report (`sr`).
    tap: Callable[..., None] | None = None

    @classmethod
    def of(
        cls,
        kind: str,
        receiver: RTCRtpReceiver,
        codecs: list[RTCRtpCodecParameters],
        keyframe_interval: float,
        subscribers: list[Subscriber],
    ) -> Source:
        """The source a receiver gets with these negotiated codecs (its main ones and their RTX), hooked to it: every
        packet it gets fans out to `subscribers`. None of them usable: RelayError naming the kind."""
        main = [c for c in codecs if c.mimeType.lower() in ALLOWED_CODECS and c.payloadType is not None]
        if not any(c.mimeType.lower() in (VIDEO_CODEC, AUDIO_CODEC) for c in main):
            raise RelayError(f"invalid SDP: {kind} needs {sorted(ALLOWED_CODECS)}")
        source = cls(
            kind=kind,
            receiver=receiver,
            codec_by_pt={c.payloadType: c.mimeType.lower() for c in main if c.payloadType is not None},
            apt_by_rtx_pt={
                c.payloadType: int(str(c.parameters["apt"]))
                for c in codecs
                if c.mimeType.lower().endswith("/rtx") and c.payloadType is not None and "apt" in c.parameters
            },
            clock_rate=next(c.clockRate for c in main if c.mimeType.lower() != RED_CODEC),
            keyframe_interval=keyframe_interval,
            subscribers=subscribers,
        )
        seams.hook_receiver_rtp(receiver, source.on_rtp)
        seams.hook_receiver_rtcp(receiver, source.on_rtcp)
        return source

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
            self.kept, self.kept_ts, self.kept_whole = [], -1, False
        self.packets_in += 1
        if self.packets_in == 1 and self.on_first is not None:
            self.on_first()
        self.mime = mime
        if self.tap is not None:
            self.tap(packet, mime)
        self.octets_in += len(packet.payload)
        now = time.monotonic()
        if now - self._rate_at >= 1.0:
            rate = (self.octets_in - self._rate_octets) * 8 / (now - self._rate_at)
            self.rate_bps = rate if not self.rate_bps else 0.5 * (self.rate_bps + rate)
            self._rate_at, self._rate_octets = now, self.octets_in
        keyframe = self.kind == "video" and vp8_is_keyframe_start(packet.payload)
        if self.kind == "video":
            self._keep(packet, keyframe, now)
        # Per subscriber header layout: the packet serialized once, and where its abs-send-time goes (-1: none).
        templates: dict[tuple[object, ...], tuple[bytes, int]] = {}

        def template_for(out: OutTrack) -> tuple[str, bytes, int]:
            """What `out` is sent of this packet: (MIME type, serialized packet, where its abs-send-time goes)."""
            sent_mime, inner = mime, 0
            key: tuple[object, ...] = out.template_key
            if mime == RED_CODEC:
                sent_mime, inner = out.red_form()
                key = (*key, sent_mime, inner)
            template = templates.get(key)
            if template is None:
                template = templates[key] = self._template(packet, out, sent_mime, inner)
            return sent_mime, template[0], template[1]

        seq, ts, epoch = packet.sequence_number, packet.timestamp, self.epoch

        def forward(sub: Subscriber, out: OutTrack) -> None:
            """This packet to one subscriber's track, if this source feeds it: the reference path."""
            if out.source is not self:  # another version, or nothing, feeds this subscriber
                if out.pending is not self or not keyframe:
                    return
                out.source, out.pending = self, None  # the switch to this version, at its keyframe
            if not sub.ready:
                return
            sent_mime, data, stamp_at = template_for(out)
            if data:
                sub.enqueue(out, data, sent_mime, seq, ts, keyframe, epoch, stamp_at)

        if FAN_OUT is not None:  # the same, in C, for every steady track; the others through `forward`
            red = mime == RED_CODEC
            FAN_OUT(self, self.subscribers, self.kind, red, seq, ts, keyframe, epoch, template_for, forward)
            return
        kind = self.kind
        for sub in self.subscribers:
            out = sub.tracks.get(kind)
            if out is not None:
                forward(sub, out)

    def _keep(self, packet: RtpPacket, keyframe: bool, now: float) -> None:
        """Keep the packets of the newest keyframe as they arrive (a retransmission fills its gap)."""
        ts = packet.timestamp
        if keyframe and ts != self.kept_ts:
            self.kept, self.kept_ts, self.kept_whole, self.kept_at = [packet], ts, False, now
        elif ts == self.kept_ts and not self.kept_whole and len(self.kept) < KEPT_KEYFRAME_MAX_PACKETS:
            kept = self.kept
            if all(p.sequence_number != packet.sequence_number for p in kept):
                first = kept[0].sequence_number
                kept.append(packet)
                kept.sort(key=lambda p: (p.sequence_number - first) % (1 << 16))
            span = (kept[-1].sequence_number - kept[0].sequence_number) % (1 << 16) + 1
            self.kept_whole = kept[-1].marker == 1 and span == len(kept)

    def show_kept_keyframe(self, sub: Subscriber, out: OutTrack) -> bool:
        """Send a joining subscriber's video track the kept keyframe at once, so its picture shows without waiting
        for the keyframe it asked for; the track then waits for that fresh one (the frames in between refer to
        frames it never had), its clock moving on by the time that passed (a stream epoch of its own, out_track.py).
        False when there is nothing to show: no whole keyframe of this stream from the last few seconds."""
        kept = self.kept
        if not kept or not self.kept_whole or time.monotonic() - self.kept_at > KEPT_KEYFRAME_MAX_AGE_S:
            return False
        mime = self.codec_by_pt.get(kept[0].payload_type)
        if mime is None or not sub.ready or not out.waiting_keyframe or out.wanted() is not self:
            return False
        out.source, out.pending = self, None
        out.kept_epoch = epoch = next(_epochs)
        for index, packet in enumerate(kept):
            data, stamp_at = self._template(packet, out, mime, 0)
            sub.enqueue(out, data, mime, packet.sequence_number, packet.timestamp, index == 0, epoch, stamp_at)
        self.kept_shown += 1
        return True

    @staticmethod
    def _template(packet: RtpPacket, out: OutTrack, mime: str, inner_pt: int) -> tuple[bytes, int]:
        """The packet serialized for subscribers with `out`'s header layout, and where its abs-send-time goes
        (-1: none). A RED packet (`inner_pt` set) is retagged with the subscriber's Opus payload type when sent as
        RED, or unwrapped to its primary encoding when sent as Opus; an empty template when it cannot be read."""
        payload = packet.payload
        if inner_pt:
            changed = red_retag(payload, inner_pt) if mime == RED_CODEC else red_primary(payload)
            if changed is None:
                return b"", -1
            packet.payload = changed
        missing = out.abs_id is not None and packet.extensions.abs_send_time is None
        if missing:
            packet.extensions.abs_send_time = 0  # a place for the relay's own send time
        packet.extensions.mid = out.mid
        data = packet.serialize(out.ext_map)
        packet.payload = payload
        if missing:
            packet.extensions.abs_send_time = None  # aiortc's own estimate reads the publisher's
        at = extension_offset(data, out.abs_id) if out.abs_id is not None else None
        return data, -1 if at is None else at

    def on_rtcp(self, packet: AnyRtcpPacket) -> None:
        """Remember the publisher's NTP/RTP mapping from its Sender Reports."""
        if isinstance(packet, RtcpSrPacket) and packet.ssrc == self.ssrc:
            info = packet.sender_info
            self.sr = (info.rtp_timestamp, ntp_to_unix(info.ntp_timestamp), time.monotonic())
            if self.tap is not None:
                self.tap(None, "", self.sr)

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
