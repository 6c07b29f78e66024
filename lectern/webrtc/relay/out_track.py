"""One subscriber's outgoing track: its own SSRC, sequence numbers and timestamps (rtp.py's `StreamRewriter`), the
keyframe gate a joining or recovering subscriber waits behind, the history that answers its NACKs with RTX, and the
Sender Reports that keep its browser's lip-sync (part of the forwarding path: forward.py).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiortc import RTCRtpSender, RTCRtpTransceiver
from aiortc.rtp import AnyRtcpPacket, HeaderExtensionsMap, RtcpSenderInfo, RtcpSrPacket

from lectern.webrtc.relay import compiled, seams
from lectern.webrtc.relay.forward import ALLOWED_CODECS, AUDIO_CODEC, RED_CODEC, Source
from lectern.webrtc.relay.rtp import (
    ABS_SEND_TIME_URI,
    StreamRewriter,
    abs_send_time,
    rewrite_header,
    rtx_wrap,
    seq_add,
    unix_to_ntp,
)

# Header layouts seen so far (a few per deployment: mid and negotiated extensions), each kept once.
_TEMPLATE_KEYS: dict[tuple[str, tuple[tuple[str, int], ...]], tuple[str, tuple[tuple[str, int], ...]]] = {}


class _TrackFields:
    """OutTrack's counters and stream epochs where the compiled fan-out is not built (else `_fanout.TrackFields`,
    the same fields in C, which the fan-out reads and counts without a Python int per value)."""

    __slots__ = ("epoch", "kept_epoch", "last_send", "octets", "packets", "srtp_errors")
    # The stream epoch of the last packet sent (-1: none yet, or nothing feeds the track).
    epoch: int
    # The epoch of a kept keyframe shown to this track on joining (Source.show_kept_keyframe), 0 for none: after it,
    # the track waits for the source's next keyframe.
    kept_epoch: int
    packets: int
    octets: int
    last_send: float
    # Packets libsrtp refused on the direct path (see `DirectRtpSender.send`): dropped, never retried.
    srtp_errors: int

    if TYPE_CHECKING:  # OutTrack is a dataclass with slots: mypy checks its assignments against its own fields only

        def __setattr__(self, name: str, value: object, /) -> None: ...

    def __new__(cls, *args: object, **kwargs: object) -> _TrackFields:
        self = super().__new__(cls)
        self.epoch, self.kept_epoch, self.packets, self.octets, self.last_send, self.srtp_errors = -1, 0, 0, 0, 0.0, 0
        return self


if TYPE_CHECKING:
    _Fields = _TrackFields
else:
    _Fields = _TrackFields if compiled.fanout is None else compiled.fanout.TrackFields


@dataclass(slots=True)  # the compiled fan-out (_fanout.c) reads and writes these slots directly
class OutTrack(_Fields):
    """One subscriber's outgoing track: header rewriting, keyframe gate, NACK history and Sender Report state.
    Its counters and stream epochs (`packets`, `octets`, `last_send`, `epoch`, `kept_epoch`, `srtp_errors`) are
    its base class's fields."""

    kind: str
    sender: RTCRtpSender
    mid: str
    pt_by_mime: dict[str, int]
    ext_key: tuple[tuple[str, int], ...]
    ext_map: HeaderExtensionsMap
    rewriter: StreamRewriter
    # Per output sequence number modulo the size: (sequence number, template, payload type, timestamp, where its
    # abs-send-time is or -1). The packet is rebuilt only if a NACK or a probe asks for it, so a send keeps no copy.
    # Kept in C with the compiled fan-out (seams.packet_history).
    history: seams.PacketHistory
    # RFC 4588 retransmission stream, when the subscriber negotiated one.
    rtx_pt: int | None = None
    rtx_ssrc: int = 0
    rtx_seq: int = 0
    # What feeds this track now (None: nothing is sent), and the version it moves to: audio at once, video at that
    # version's next keyframe, the old one going on until then so the picture never stops (forward.py).
    source: Source | None = None
    pending: Source | None = None
    # The publisher's versions of this kind by name ("main" for audio; "low", "high" for video).
    versions: dict[str, Source] = field(default_factory=dict)
    waiting_keyframe: bool = True
    need_resync: bool = True
    reported_packets: int = 0  # `packets` at the subscriber's last receiver report about this track
    skipped_for_keyframe: int = 0
    nacks_answered: int = 0
    plis_received: int = 0
    plis_forwarded: int = 0
    # Where the fan-out sends this track's packets synchronously; set by `Subscriber.start`.
    direct: seams.DirectRtpSender | None = None
    # The negotiated id of the abs-send-time header extension: the relay stamps its own send time there (the
    # subscriber's bandwidth estimate is of the relay's link to it, and the relay's probes must be on one clock).
    abs_id: int | None = None
    padding_octets: int = 0
    # Whether this subscriber gets the publisher's RED audio as RED (it negotiated RED and loses audio), or
    # unwrapped to plain Opus (forward.py).
    red: bool = False
    # Sender Reports sent: their NTP middle 32 bits (what a receiver report's LSR repeats) -> when (round trip).
    reports_sent: dict[int, float] = field(default_factory=dict)
    # Subscribers with the same key share one serialized template per incoming packet.
    template_key: tuple[str, tuple[tuple[str, int], ...]] = field(init=False)

    def __post_init__(self) -> None:
        # One object per distinct key: the compiled fan-out compares keys by identity.
        key = (self.mid, self.ext_key)
        self.template_key = _TEMPLATE_KEYS.setdefault(key, key)

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
            abs_id=dict(ext_key).get(ABS_SEND_TIME_URI),
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
            history=seams.packet_history(history_size),
            waiting_keyframe=transceiver.kind == "video",
            rtx_pt=rtx_pts[0] if rtx_pts else None,
            rtx_ssrc=seams.sender_rtx_ssrc(sender),
            rtx_seq=secrets.randbelow(1 << 15),
        )

    def red_form(self) -> tuple[str, int]:
        """How a RED packet goes to this subscriber: (MIME type, the Opus payload type inside or around it)."""
        opus = self.pt_by_mime.get(AUDIO_CODEC, 0)
        if self.red and RED_CODEC in self.pt_by_mime and opus:
            return RED_CODEC, opus
        return AUDIO_CODEC, opus or 1

    def wanted(self) -> Source | None:
        """The source this track sends from, or is about to."""
        return self.pending or self.source

    def select(self, name: str | None, ask: bool = True) -> None:
        """Send the version called `name` (None: nothing). Audio changes at once; video at the new version's next
        keyframe, which is asked for now (the current version goes on until it comes); not with `ask` False (a
        subscriber not connected yet asks when it is: a keyframe now would reach no one, and hold back the next
        request for `keyframe_interval`)."""
        source = self.versions.get(name) if name is not None else None
        if source is None:
            self.source = self.pending = None
            self.epoch = -1  # when something is sent again, its numbering continues from the last packet sent
        elif source is self.source:
            self.pending = None
        elif self.kind != "video":
            self.source, self.pending = source, None
        else:
            self.pending = source
            if ask:
                source.request_keyframe()

    def prepare(
        self, data: bytes, mime: str, in_seq: int, in_ts: int, keyframe: bool, epoch: int, stamp_at: int = -1
    ) -> bytes | None:
        """Rewrite one queued packet for this subscriber, or None when it must be skipped."""
        header = self.advance(data, mime, in_seq, in_ts, keyframe, epoch, stamp_at)
        if header is None:
            return None
        return _stamped(rewrite_header(data, header[0], header[1], header[2], self.rewriter.ssrc), stamp_at)

    def advance(
        self, data: bytes, mime: str, in_seq: int, in_ts: int, keyframe: bool, epoch: int, stamp_at: int = -1
    ) -> tuple[int, int, int] | None:
        """Account for one packet about to be sent: keyframe gate, sequence/timestamp mapping, NACK history and
        counters. Returns its (payload type, sequence number, timestamp), or None when it must be skipped."""
        pt = self.pt_by_mime.get(mime)
        if pt is None:
            return None
        if self.kept_epoch and epoch != self.kept_epoch:
            if not keyframe:
                self.skipped_for_keyframe += 1
                return None
            self.kept_epoch = 0
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
        history[out_seq % len(history)] = (out_seq, data, pt, out_ts, stamp_at)
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
                packet.sender_info = info = self.sender_info()
                sent = self.reports_sent
                sent[(info.ntp_timestamp >> 16) & 0xFFFFFFFF] = time.monotonic()
                if len(sent) > 16:
                    del sent[next(iter(sent))]

    def round_trip(self, lsr: int, dlsr: int) -> float | None:
        """The round trip in milliseconds from a receiver report's LSR and DLSR, if it answers one of our reports."""
        sent = self.reports_sent.get(lsr)
        if sent is None or not lsr:
            return None
        return (time.monotonic() - sent - dlsr / 65536) * 1000

    def retransmission(self, seq: int) -> bytes | None:
        """An RTX packet repeating a previously sent packet, for a NACK; None if it left the history or the
        subscriber has no RTX (a plain resend would fail SRTP replay protection)."""
        entry = self.history[seq % len(self.history)]
        if entry is None or entry[0] != seq or self.rtx_pt is None:
            return None
        _, template, pt, ts, stamp_at = entry
        original = _stamped(rewrite_header(template, pt, seq, ts, self.rewriter.ssrc), stamp_at)
        data = rtx_wrap(original, self.rtx_pt, self.rtx_seq, self.rtx_ssrc)
        self.rtx_seq = seq_add(self.rtx_seq, 1)
        return data

    def recent(self, count: int) -> list[int]:
        """The output sequence numbers of up to `count` packets sent last, newest first (for probes)."""
        if not self.packets:
            return []
        last = (self.rewriter.next_seq - 1) % (1 << 16)
        size = len(self.history)
        found = []
        for back in range(min(count, size)):
            seq = (last - back) % (1 << 16)
            entry = self.history[seq % size]
            if entry is None or entry[0] != seq:
                break
            found.append(seq)
        return found


def _stamped(packet: bytes, stamp_at: int) -> bytes:
    """The packet with the relay's send time in its abs-send-time extension at `stamp_at` (-1: none)."""
    if stamp_at < 0:
        return packet
    out = bytearray(packet)
    out[stamp_at : stamp_at + 3] = abs_send_time(time.monotonic())
    return bytes(out)
