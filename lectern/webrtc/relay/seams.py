"""Every place where the relay reaches into aiortc/aioice internals, in one module.

aiortc has no public API for forwarding encoded RTP (DESIGN.md section 3), so the relay hooks a few private
attributes. They are gathered here so that tests/webrtc/relay/test_seams.py can check each one against the pinned
aiortc version, and an upgrade fails there first rather than in a live lecture.

The direct send path (`DirectRtpSender`) also reaches into aioice and pylibsrtp. aiortc, aioice and pylibsrtp are
pinned exactly in pyproject.toml (`PINNED` here); when the relay starts it checks the installed versions and those
internals (`direct_path_problem`), and on a mismatch it warns and forwards through aiortc's own send path: slower,
but correct with any version aiortc itself accepts.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import queue
import random
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from aioice import stun
from aiortc import (
    RTCDtlsTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCStatsReport,
)
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpParameters
from aiortc.rtp import (
    RTCP_PSFB_APP,
    AnyRtcpPacket,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
)
from pylibsrtp import Session as SrtpSession

from lectern.webrtc.relay import compiled
from lectern.webrtc.relay.rtp import abs_send_time, rewrite_header_into

try:  # the direct send path's internals; without them it is off (see direct_path_problem)
    from aioice.ice import CandidatePair, StunProtocol
    from pylibsrtp._binding import ffi as srtp_ffi  # type: ignore[import-not-found]  # cffi module, no stub
    from pylibsrtp._binding import lib as srtp_lib
except ImportError as exc:
    _import_problem: str | None = f"cannot import {exc.name}: {exc}"
else:
    _import_problem = None

# The fan-out loop in C (compiled.py); without it, the Python loop does it all.
_fanout = compiled.fanout

logger = logging.getLogger(__name__)

# The versions these seams were written and tested against; pyproject.toml pins the same.
PINNED = {"aiortc": "1.16.0", "aioice": "0.13.0", "pylibsrtp": "1.0.0"}
AIORTC_VERSION = PINNED["aiortc"]
LOOPBACK = "127.0.0.1"
# The most loss the publisher's Opus FEC is set for on the cadets' account (hook_receiver_feedback): beyond it FEC
# costs the publisher's audio more than it repairs.
FEC_LOSS_MAX = 0.2
# Consent freshness (RFC 7675, keep_consent): a check every 4 to 6 s; each request is sent again at 0.5 s and 1.5 s
# and may be answered until 3.5 s; consent expires 30 s after the last answer, as the RFC says.
CONSENT_INTERVAL_S = 5.0
CONSENT_RETRANSMISSIONS = 2
CONSENT_EXPIRY_S = 30.0


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution, None if it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def direct_path_problem() -> str | None:
    """Why the relay must not use `DirectRtpSender` with what is installed (a version other than the pinned one, or
    an internal it needs that is missing), or None when it may."""
    for name, pinned in PINNED.items():
        found = installed_version(name)
        if found != pinned:
            return f"{name} {found or '(not installed)'} is installed, the direct send path is tested with {pinned}"
    if _import_problem is not None:
        return _import_problem
    if not hasattr(srtp_lib, "srtp_protect") or not callable(getattr(StunProtocol, "send_data", None)):
        return "pylibsrtp's srtp_protect or aioice's StunProtocol.send_data is missing"
    return None


FanOut = Callable[..., None]
# One packet in a track's NACK history: (sequence number, template, payload type, timestamp, where its abs-send-time
# is or -1); out_track.py's OutTrack.history.
HistoryEntry = tuple[int, bytes, int, int, int]


class PacketHistory(Protocol):
    """A fixed-size list of history entries (or None), indexed by output sequence number modulo its length."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> HistoryEntry | None: ...
    def __setitem__(self, index: int, value: HistoryEntry | None, /) -> None: ...


def packet_history(size: int) -> PacketHistory:
    """A track's NACK history of `size` entries: kept in C where the relay uses its compiled part (`_fanout.History`,
    where the fan-out records a packet without building a tuple), else a plain list."""
    if _fanout is not None:
        history: PacketHistory = _fanout.History(size)
        return history
    entries: list[HistoryEntry | None] = [None] * size
    return entries


def compiled_fan_out() -> FanOut | None:
    """The fan-out loop in C (`_fanout.fan_out`, forward.py's FAN_OUT) bound to pylibsrtp's `srtp_protect`, or None
    (with a warning saying why) when it is not built or the direct path's internals are not the pinned ones: then
    the Python loop forwards every packet, as fast as before it existed. `LECTERN_RELAY_FAN_OUT=python` asks for the
    Python loop (benchmarks/relay.py compares the two that way)."""
    if compiled.PYTHON_ONLY:
        return None
    problem = compiled.PROBLEM or direct_path_problem()
    if problem is None and srtp_ffi.typeof(srtp_lib.srtp_protect).cname != _PROTECT_TYPE:
        problem = f"pylibsrtp's srtp_protect is {srtp_ffi.typeof(srtp_lib.srtp_protect).cname}, not {_PROTECT_TYPE}"
    if problem is not None or _fanout is None:
        logger.warning("forwarding with the Python fan-out loop: %s", problem)
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        in_place = _fanout.bind(
            int(srtp_ffi.cast("uintptr_t", srtp_ffi.addressof(srtp_lib, "srtp_protect"))),
            DtlsState.CONNECTED,
            DIRECT_MAX_PACKET,
            probe,
        )
    if not in_place:
        logger.warning("socket objects keep their descriptor elsewhere: the fan-out asks each for its fileno()")
    fan_out: FanOut = _fanout.fan_out
    return fan_out


# libsrtp 2's srtp_protect as pylibsrtp 1.0 declares it: what _fanout.c calls.
_PROTECT_TYPE = "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"

RtpHandler = Callable[[RtpPacket, int], Awaitable[None]]
RtcpHandler = Callable[[AnyRtcpPacket], Awaitable[None]]
RtcpSender = Callable[[list[AnyRtcpPacket]], Awaitable[None]]


class _DiscardingQueue(queue.Queue[Any]):
    """Stands in for a receiver's decoder queue: drops encoded frames, passes the stop signal.

    The relay never reads the publisher's decoded track, so decoding it would only burn CPU. `None` is the decoder
    thread's stop signal; it goes to both this queue and the original one, because the thread reads whichever of
    the two it was started with.
    """

    def __init__(self, original: queue.Queue[Any]) -> None:
        super().__init__()
        self._original = original

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None)
            self._original.put(None)


def hook_receiver_rtp(receiver: RTCRtpReceiver, on_rtp: Callable[[RtpPacket], None]) -> None:
    """Call `on_rtp` with every RTP packet the receiver gets, and stop it decoding.

    Seams: `RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms)` (called by the DTLS transport for each
    routed packet) and the name-mangled `_RTCRtpReceiver__decoder_queue`. aiortc's own handler still runs after
    ours, so the publisher keeps getting receiver reports, NACKs and REMB from the relay.
    """
    original: RtpHandler = receiver._handle_rtp_packet

    async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
        on_rtp(packet)
        await original(packet, arrival_time_ms)

    # setattr on the instance: these are deliberate per-object overrides of aiortc internals (the seams).
    setattr(receiver, "_handle_rtp_packet", handle)  # noqa: B010
    name = "_RTCRtpReceiver__decoder_queue"
    setattr(receiver, name, _DiscardingQueue(getattr(receiver, name)))


def hook_receiver_rtcp(receiver: RTCRtpReceiver, on_rtcp: Callable[[AnyRtcpPacket], None]) -> None:
    """Let the relay see RTCP (Sender Reports) routed to a receiver. Seam: `RTCRtpReceiver._handle_rtcp_packet`."""
    original: RtcpHandler = receiver._handle_rtcp_packet

    async def handle(packet: AnyRtcpPacket) -> None:
        on_rtcp(packet)
        await original(packet)

    setattr(receiver, "_handle_rtcp_packet", handle)  # noqa: B010


def hook_receiver_feedback(
    receiver: RTCRtpReceiver,
    worst_loss: Callable[[], float] | None = None,
    remb: Callable[[int], int | None] | None = None,
) -> None:
    """Adjust the feedback the relay sends the publisher about one of its tracks.

    `worst_loss`: name the subscribers' worst loss (at most `FEC_LOSS_MAX`) in the receiver reports, where it is
    higher than the publisher's own link's. A browser sets its Opus encoder's expected loss, and with it how much
    in-band FEC it sends, from the loss its receiver reports; the relay's link to the publisher is rarely lossy,
    the cadets' links often are.

    `remb`: rewrite each REMB's bitrate (None: do not send it). Each aiortc receiver estimates from its own stream
    and sends its own REMB, but a browser takes the latest REMB as the limit for everything it sends: with two
    versions of the video, the low version's REMB would hold the high one down to a few hundred kbps (sfu.py joins
    the two into one).

    Seam: `RTCRtpReceiver._send_rtcp(packet)`, which `_run_rtcp` calls with each receiver report and
    `_handle_rtp_packet` with each REMB.
    """
    original: Callable[[AnyRtcpPacket], Awaitable[None]] = receiver._send_rtcp

    async def send(packet: AnyRtcpPacket) -> None:
        if worst_loss is not None and isinstance(packet, RtcpRrPacket):
            fraction = round(min(worst_loss(), FEC_LOSS_MAX) * 256)
            for report in packet.reports:
                report.fraction_lost = max(report.fraction_lost, fraction)
        elif remb is not None and isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            bitrate, ssrcs = unpack_remb_fci(packet.fci)
            changed = remb(bitrate)
            if changed is None:
                return
            packet.fci = pack_remb_fci(changed, ssrcs)
        await original(packet)

    setattr(receiver, "_send_rtcp", send)  # noqa: B010


def receive_codec(receiver: RTCRtpReceiver, codec: RTCRtpCodecParameters) -> None:
    """Make a receiver take packets of a codec aiortc does not know (RED, which an edge offers itself: pipe.py):
    its transport routes them to it, and it keeps their statistics and sends receiver reports about them. Call once
    the answer is set. Seams: `RTCDtlsTransport._rtp_router.payload_type_table` (payload type -> receivers; a packet
    whose payload type is not there is dropped) and the name-mangled `_RTCRtpReceiver__codecs` (payload type ->
    codec), which `receive()` fills and `_handle_rtp_packet` reads."""
    if codec.payloadType is None:
        return
    router = receiver.transport._rtp_router
    router.payload_type_table.setdefault(codec.payloadType, set()).add(receiver)
    getattr(receiver, "_RTCRtpReceiver__codecs")[codec.payloadType] = codec  # noqa: B009


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Ask the publisher for a keyframe. Seam: `RTCRtpReceiver._send_rtcp_pli(media_ssrc)`."""
    await receiver._send_rtcp_pli(media_ssrc)


def hook_sender_rtcp(sender: RTCRtpSender, on_rtcp: Callable[[AnyRtcpPacket], Awaitable[bool]]) -> None:
    """Give the relay first look at RTCP feedback for a sender; `on_rtcp` returns True when it consumed it.

    Seam: `RTCRtpSender._handle_rtcp_packet(packet)`. NACK and PLI/FIR are ours (history and upstream keyframe
    requests); receiver reports and REMB still reach aiortc.
    """
    original: RtcpHandler = sender._handle_rtcp_packet

    async def handle(packet: AnyRtcpPacket) -> None:
        if not await on_rtcp(packet):
            await original(packet)

    setattr(sender, "_handle_rtcp_packet", handle)  # noqa: B010


def hook_sender_reports(sender: RTCRtpSender, fill: Callable[[list[AnyRtcpPacket]], None]) -> None:
    """Let the relay rewrite each compound RTCP packet (SR + SDES) the sender's RTCP loop emits.

    Seam: `RTCRtpSender._send_rtcp(packets)`, called by `_run_rtcp` about once a second. aiortc fills the Sender
    Report from its own `_run_rtp` bookkeeping, which never runs for forwarded packets, so `fill` replaces it.
    """
    original: RtcpSender = sender._send_rtcp

    async def send(packets: list[AnyRtcpPacket]) -> None:
        fill(packets)
        await original(packets)

    setattr(sender, "_send_rtcp", send)  # noqa: B010


def sender_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC aiortc announced in SDP for this sender. Seam: `RTCRtpSender._ssrc`."""
    return int(sender._ssrc)


def sender_rtx_ssrc(sender: RTCRtpSender) -> int:
    """The retransmission SSRC aiortc announced (ssrc-group FID). Seam: `RTCRtpSender._rtx_ssrc`."""
    return int(sender._rtx_ssrc)


async def send_rtp(sender: RTCRtpSender, data: bytes) -> None:
    """Encrypt and send one serialized RTP packet. Seam: `RTCDtlsTransport._send_rtp(data)` (SRTP protect + send)."""
    await sender.transport._send_rtp(data)


# asyncio's datagram transport's `get_write_buffer_size` (`return self._buffer_size`, tests/webrtc/relay/test_seams.py).
_DATAGRAM_BUFFER_SIZE = getattr(
    getattr(asyncio.selector_events, "_SelectorDatagramTransport", None), "get_write_buffer_size", None
)

# The largest RTP packet the direct path takes (the rest go through aiortc), and the room libsrtp may append.
DIRECT_MAX_PACKET = 1500
SRTP_MAX_TRAILER = 16 + 128  # pylibsrtp's SRTP_MAX_TRAILER_LEN: auth tag plus the largest MKI


class _SenderFields:
    """DirectRtpSender's per-packet fields where the compiled fan-out is not built (else `_fanout.SenderFields`, the
    same fields in C): the SRTP session's C handle as an address, the packets libsrtp refused, and what the fan-out
    sent that the DTLS transport's counters do not show yet."""

    __slots__ = ("errors", "srtp_handle", "unsent_bytes", "unsent_packets")
    srtp_handle: int
    errors: int
    unsent_bytes: int
    unsent_packets: int

    if TYPE_CHECKING:  # mypy checks a subclass's assignments against its own __slots__ only

        def __setattr__(self, name: str, value: object, /) -> None: ...

    def __new__(cls, *args: object, **kwargs: object) -> _SenderFields:
        self = super().__new__(cls)
        self.srtp_handle = self.errors = self.unsent_bytes = self.unsent_packets = 0
        return self


if TYPE_CHECKING:
    _SenderBase = _SenderFields
else:
    _SenderBase = _SenderFields if _fanout is None else _fanout.SenderFields


class DirectRtpSender(_SenderBase):
    """A synchronous `RTCDtlsTransport._send_rtp` for forwarded RTP over a plain UDP candidate pair.

    aiortc's path is three coroutines deep (`_send_rtp` -> `aioice.Connection.sendto` -> `StunProtocol.send_data`)
    although nothing in it waits for a UDP pair: it is SRTP protect plus `DatagramTransport.sendto`, which never
    blocks. Doing those two steps here lets the relay's fan-out send without waking a writer task per packet, and
    protects in place: the header is rewritten straight into a C buffer that libsrtp encrypts without a copy.

    `writable()` says whether a packet may go this way now; when it says no, the relay falls back to aiortc's
    path (and its writer task), which is always correct. It says no when the DTLS transport is not connected, when
    the nominated pair is not a plain UDP `StunProtocol` (TURN's `send_data` can wait for a channel binding), when
    asyncio already buffers unsent datagrams for the socket, and when `_send_rtp` was replaced on the transport
    instance (instrumentation or a test double must see every packet).

    Seams, all checked in tests/webrtc/relay/test_seams.py: `RTCDtlsTransport._state` / `State.CONNECTED`,
    `RTCDtlsTransport._tx_srtp` (a `pylibsrtp.Session`), its C handle `Session._srtp` and
    `pylibsrtp._binding.lib.srtp_protect`, the byte counters `_RTCDtlsTransport__tx_bytes` / `__tx_packets`
    (getStats, through `RTCDtlsTransport._get_stats`), `RTCIceTransport._connection._nominated` (component ->
    `aioice.ice.CandidatePair`), `CandidatePair.protocol` / `.remote_addr`, and `StunProtocol.send_data` being
    `self.transport.sendto(data, addr)`.
    """

    # Slots: the compiled fan-out (_fanout.c) reads them straight from the object.
    __slots__ = (
        "_addr",
        "_attrs",
        "_buffer_fields",
        "_buffered",
        "_cdata",
        "_dtls",
        "_handle",
        "_handle_lost",
        "_len",
        "_nominated",
        "_pair",
        "_sockaddr",
        "_socket",
        "_srtp",
        "_udp",
        "_view",
    )  # fmt: skip

    def __init__(self, dtls: RTCDtlsTransport) -> None:
        self._dtls = dtls
        # The instance dict: where an override of `_send_rtp` would sit, and aiortc's name-mangled counters.
        self._attrs: dict[str, Any] = vars(dtls)
        # aioice clears this dict but never replaces it, so holding it is safe; the pair in it can change.
        self._nominated: dict[int, CandidatePair] = dtls.transport._connection._nominated
        self._pair: CandidatePair | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._buffered: Callable[[], int] = int
        self._addr: tuple[str, int] = ("", 0)
        self._srtp: SrtpSession | None = None
        self._handle: Any = None
        self._cdata = srtp_ffi.new("char[]", DIRECT_MAX_PACKET + SRTP_MAX_TRAILER)
        self._view = memoryview(srtp_ffi.buffer(self._cdata))
        self._len = srtp_ffi.new("int *")
        self._handle_lost = False
        # What the compiled fan-out (forward.FAN_OUT) sends with: the pair's socket, its remote address as a struct
        # sockaddr, and the SRTP session's C handle as an address; set with `_udp`.
        self._socket: socket.socket | None = None
        self._sockaddr = b""
        # asyncio's own datagram transport's fields, where `_buffer_size` is what `get_write_buffer_size` returns
        # (the compiled fan-out reads it there); None for any other transport.
        self._buffer_fields: dict[str, Any] | None = None
        # The compiled fan-out counts what it sends here (`unsent_bytes`, `unsent_packets`), not in the transport's
        # dict: getStats, which reads the transport's counters through `_get_stats`, settles them first.
        stats = dtls._get_stats

        def settled_stats() -> RTCStatsReport:
            self.settle()
            return stats()

        dtls._get_stats = settled_stats  # type: ignore[method-assign]

    def settle(self) -> None:
        """Add what the compiled fan-out sent since the last call to the DTLS transport's counters."""
        if self.unsent_packets:
            attrs = self._attrs
            attrs["_RTCDtlsTransport__tx_bytes"] += self.unsent_bytes
            attrs["_RTCDtlsTransport__tx_packets"] += self.unsent_packets
            self.unsent_bytes = self.unsent_packets = 0

    def writable(self, size: int) -> bool:
        """Whether a packet of `size` bytes can be sent synchronously now (see the class docstring)."""
        dtls = self._dtls
        if dtls._state is not DtlsState.CONNECTED or size > DIRECT_MAX_PACKET or "_send_rtp" in self._attrs:
            return False
        if self._nominated.get(1) is not self._pair or dtls._tx_srtp is not self._srtp:
            self._resolve()
        return self._udp is not None and not self._buffered()

    def _resolve(self) -> None:
        dtls = self._dtls
        pair = self._pair = self._nominated.get(1)
        self._srtp = dtls._tx_srtp
        self._udp = self._socket = self._buffer_fields = None
        self.srtp_handle = 0
        try:
            self._handle = None if self._srtp is None else self._srtp._srtp[0]
        except (AttributeError, TypeError, IndexError):  # pylibsrtp moved its handle: aiortc's path, said once
            self._handle = None
            if not self._handle_lost:
                logger.warning("pylibsrtp.Session._srtp is gone: forwarding through aiortc's own send path")
            self._handle_lost = True
            return
        # Exactly aioice's UDP protocol: its subclasses and the TURN protocols may send differently.
        if pair is not None and type(pair.protocol) is StunProtocol and self._handle is not None:
            transport = pair.protocol.transport
            # A real asyncio transport (aioice's TurnTransport is a stand-in, not one; asyncio's own UDP transport
            # is not a DatagramTransport subclass in 3.11). `get_write_buffer_size` is not documented for datagram
            # transports but asyncio's and uvloop's have it; without it a backed-up socket would go unnoticed, so
            # then we do not send directly at all.
            buffered = getattr(transport, "get_write_buffer_size", None)
            if isinstance(transport, asyncio.BaseTransport) and buffered is not None and not transport.is_closing():
                self._udp, self._buffered = transport, buffered
                self._addr = pair.remote_addr
                # For the compiled fan-out: the socket asyncio's selector transports keep (`_sock`; without it the
                # fan-out sends through the transport's `sendto`), their `_buffer_size`, and the address.
                sock = getattr(transport, "_sock", None)
                self._socket = sock if isinstance(sock, socket.socket) else None
                asyncio_own = type(transport).get_write_buffer_size is _DATAGRAM_BUFFER_SIZE  # type: ignore[attr-defined]
                self._buffer_fields = vars(transport) if asyncio_own else None
                self.srtp_handle = int(srtp_ffi.cast("uintptr_t", self._handle))
                try:
                    self._sockaddr = _fanout.sockaddr(*self._addr) if _fanout is not None else b""
                except ValueError:  # not a numeric address: the fan-out sends through the transport's `sendto`
                    self._sockaddr = b""

    def send(self, data: bytes, payload_type: int, seq: int, ts: int, ssrc: int, stamp_at: int = -1) -> bool:
        """Rewrite `data`'s header, SRTP-protect and send it; call only right after `writable()` said yes.

        Returns False when libsrtp refused the packet (a sequence number it already protected, for one: the
        publisher retransmitted a packet that had arrived after all); the packet is dropped and counted.
        """
        length = self._len
        length[0] = rewrite_header_into(self._view, data, payload_type, seq, ts, ssrc)
        if stamp_at >= 0:  # the relay's own send time in the abs-send-time extension
            self._view[stamp_at : stamp_at + 3] = abs_send_time(time.monotonic())
        if srtp_lib.srtp_protect(self._handle, self._cdata, length):
            self.errors += 1
            return False
        size = length[0]
        assert self._udp is not None
        self._udp.sendto(self._view[:size], self._addr)
        attrs = self._attrs
        attrs["_RTCDtlsTransport__tx_bytes"] += size
        attrs["_RTCDtlsTransport__tx_packets"] += 1
        return True


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    """Codecs agreed in the last offer/answer. Seam: `RTCRtpTransceiver._codecs`."""
    return list(transceiver._codecs)


def restrict_codecs(
    transceiver: RTCRtpTransceiver,
    allowed: set[str],
    offered: list[RTCRtpCodecParameters] | None = None,
    red_first: bool = False,
) -> list[RTCRtpCodecParameters]:
    """Keep only `allowed` codecs (lower-case MIME types) and their RTX, before the answer is created.

    The relay cannot transcode, so publisher and subscribers must agree on one codec per kind. aiortc knows no RED
    (RFC 2198): when "audio/red" is allowed and the `offered` codecs (the remote section's) have RED around a kept
    Opus, it is answered too: first with `red_first` (a browser sends the first codec of the answer: the
    publisher's audio comes as RED), last otherwise. Seam: writing `RTCRtpTransceiver._codecs` between
    setRemoteDescription and createAnswer.
    """
    keep = [c for c in transceiver._codecs if c.mimeType.lower() in allowed]
    opus = {c.payloadType for c in keep if c.mimeType.lower() == "audio/opus"}
    for codec in offered or []:
        if codec.mimeType.lower() == "audio/red" and "audio/red" in allowed and _red_of(codec, opus):
            keep = [codec, *keep] if red_first else [*keep, codec]
            break
    for codec in keep:
        if codec.mimeType.lower() == "audio/opus":
            # Opus in-band FEC end to end: a browser sends FEC only when the answer says its peer decodes it, and
            # then in proportion to the loss its receiver reports name (hook_receiver_feedback). DTX: a lecturer's
            # pauses cost a packet every 400 ms instead of 50 a second.
            codec.parameters = {**codec.parameters, "useinbandfec": 1, "usedtx": 1, "minptime": 10}
    pts = {c.payloadType for c in keep}
    keep += [c for c in transceiver._codecs if c.mimeType.lower().endswith("/rtx") and c.parameters.get("apt") in pts]
    transceiver._codecs = keep
    return list(keep)


def _red_of(codec: RTCRtpCodecParameters, payload_types: set[int | None]) -> bool:
    """Whether a RED codec's format ("111/111") names only these payload types."""
    names = [str(key) for key in codec.parameters]
    inner = [p for name in names for p in name.split("/")]
    return bool(inner) and all(p.isdigit() and int(p) in payload_types for p in inner)


def header_extensions_map(transceiver: RTCRtpTransceiver) -> tuple[tuple[tuple[str, int], ...], HeaderExtensionsMap]:
    """The negotiated RTP header extension IDs as a hashable key and a map for `RtpPacket.serialize`.

    Seam: `RTCRtpTransceiver._headerExtensions`.
    """
    exts = list(transceiver._headerExtensions)
    ext_map = HeaderExtensionsMap()
    ext_map.configure(RTCRtpParameters(headerExtensions=exts))
    return tuple(sorted((e.uri, e.id) for e in exts)), ext_map


def open_transports(loop: asyncio.AbstractEventLoop) -> list[asyncio.BaseTransport]:
    """The transports (sockets) of `loop` that are not closed. Seam: `BaseSelectorEventLoop._transports`, the weak
    map from file descriptor to transport that asyncio's selector loops keep."""
    transports = getattr(loop, "_transports", None)
    return [t for t in list(transports.values()) if not t.is_closing()] if transports is not None else []


def ice_connections(pc: RTCPeerConnection) -> list[Any]:
    """The aioice connections under a peer connection's transceivers (one with BUNDLE), each once.
    Seam: `RTCIceGatherer._connection`."""
    found: list[Any] = []
    for transceiver in pc.getTransceivers():
        connection = transceiver.sender.transport.transport.iceGatherer._connection
        if all(connection is not c for c in found):
            found.append(connection)
    return found


def allow_loopback(pc: RTCPeerConnection, loopback_only: bool = True) -> None:
    """Make the connection's ICE agents offer 127.0.0.1 host candidates, which aioice leaves out by default.

    With `loopback_only` the host candidates are 127.0.0.1 alone, so tests and benchmarks never touch a real
    interface. Call after the transceivers exist and before setLocalDescription (which gathers).
    """
    for connection in ice_connections(pc):
        loopback_candidates(connection, loopback_only)


def loopback_candidates(connection: Any, loopback_only: bool = True) -> None:
    """`allow_loopback` for one aioice connection. Seam: `aioice.Connection.get_component_candidates(component,
    addresses, timeout)`."""
    if getattr(connection, "_lectern_loopback", False):
        return
    original = connection.get_component_candidates

    async def gather(component: int, addresses: list[str], timeout: int = 5) -> Any:
        hosts = [LOOPBACK] if loopback_only else [*addresses, LOOPBACK]
        return await original(component=component, addresses=hosts, timeout=timeout)

    setattr(connection, "get_component_candidates", gather)  # noqa: B010
    setattr(connection, "_lectern_loopback", True)  # noqa: B010


def answer_as_dtls_server(pc: RTCPeerConnection) -> None:
    """Answer with `a=setup:passive`: the browser starts the DTLS handshake and the relay answers it.

    aiortc answers `active`, and starts the handshake only once its own ICE checks are done, which as the controlled
    agent is about half a round trip after the browser's; as the client it then waits for the browser's last flight
    before it sends media. As the server the relay has the browser's ClientHello waiting when its ICE is done and
    sends media right after its own last flight. Measured with `benchmarks/links.py` (256 kbps / 300 ms / 5%, seven
    joins each): first audio 1.50 s after the page made its connection (median), 1.67 s with `active`. RFC 5763
    allows either; it recommends `active` for an answerer that can start at once, which aiortc cannot. Call after
    setRemoteDescription of the offer and before createAnswer. Seam: `RTCDtlsTransport._set_role(role)`, which
    createAnswer reads (`_role` "server" -> `a=setup:passive`) and `start()` follows.
    """
    for transceiver in pc.getTransceivers():
        transceiver.receiver.transport._set_role("server")


def patient_consent(pc: RTCPeerConnection) -> None:
    """Keep the connection's ICE consent (RFC 7675) on a link with a long round trip: see `keep_consent`.
    Call after the transceivers exist and before ICE connects (setLocalDescription of the answer)."""
    for connection in ice_connections(pc):
        keep_consent(connection)


def keep_consent(connection: Any) -> None:
    """Replace aioice's consent freshness checks on one connection with checks a slow link can answer.

    aioice sends each check once and waits 0.5 s for the answer, and closes the connection after six missed checks
    in a row. On a round trip over 0.5 s (a cadet at a border post: 600 ms) every check misses, so after about 30 s
    the relay drops a cadet whose media was flowing all along. Here each check's request is sent again, as STUN does
    (the same transaction: an answer to any copy counts), and consent expires when no answer came for
    CONSENT_EXPIRY_S, which is the RFC's rule. A peer that is gone still loses its connection within about 35 s.

    Seams: `aioice.Connection.query_consent` (started by `connect()` once ICE completes; replaced on the instance),
    `_nominated`, `build_request(pair, nominate)`, `remote_password`, `_query_consent_task`, `close()`, and
    `StunProtocol.request(request, addr, integrity_key, retransmissions)`.
    """
    if getattr(connection, "_lectern_consent", False):
        return

    async def query_consent() -> None:
        answered = time.monotonic()
        while True:
            await asyncio.sleep(CONSENT_INTERVAL_S * (0.8 + 0.4 * random.random()))  # noqa: S311  # RFC 7675's jitter
            for pair in list(connection._nominated.values()):
                request = connection.build_request(pair, nominate=False)
                try:
                    await pair.protocol.request(
                        request,
                        pair.remote_addr,
                        integrity_key=connection.remote_password.encode("utf8"),
                        retransmissions=CONSENT_RETRANSMISSIONS,
                    )
                except stun.TransactionError:
                    continue
                answered = time.monotonic()
            if time.monotonic() - answered >= CONSENT_EXPIRY_S:
                logger.info("ICE consent expired: no answer to a consent check for %.0f s", CONSENT_EXPIRY_S)
                connection._query_consent_task = None  # close() must not cancel the task that calls it
                await connection.close()
                return

    setattr(connection, "query_consent", query_consent)  # noqa: B010
    setattr(connection, "_lectern_consent", True)  # noqa: B010
