"""Every place where the relay reaches into aiortc/aioice internals, in one module.

aiortc has no public API for forwarding encoded RTP (DESIGN.md section 3), so the relay hooks a few private
attributes. They are gathered here so that tests/webrtc/test_aiortc_seams.py can check each one against the pinned
aiortc version, and an upgrade fails there first rather than in a live lecture.
"""

from __future__ import annotations

import queue
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpParameters
from aiortc.rtp import AnyRtcpPacket, HeaderExtensionsMap, RtpPacket

AIORTC_VERSION = "1.16.0"
LOOPBACK = "127.0.0.1"

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


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    """Codecs agreed in the last offer/answer. Seam: `RTCRtpTransceiver._codecs`."""
    return list(transceiver._codecs)


def restrict_codecs(transceiver: RTCRtpTransceiver, allowed: set[str]) -> list[RTCRtpCodecParameters]:
    """Keep only `allowed` codecs (lower-case MIME types) and their RTX, before the answer is created.

    The relay cannot transcode, so publisher and subscribers must agree on one codec per kind. Seam: writing
    `RTCRtpTransceiver._codecs` between setRemoteDescription and createAnswer.
    """
    keep = [c for c in transceiver._codecs if c.mimeType.lower() in allowed]
    pts = {c.payloadType for c in keep}
    keep += [c for c in transceiver._codecs if c.mimeType.lower().endswith("/rtx") and c.parameters.get("apt") in pts]
    transceiver._codecs = keep
    return list(keep)


def header_extensions_map(transceiver: RTCRtpTransceiver) -> tuple[tuple[tuple[str, int], ...], HeaderExtensionsMap]:
    """The negotiated RTP header extension IDs as a hashable key and a map for `RtpPacket.serialize`.

    Seam: `RTCRtpTransceiver._headerExtensions`.
    """
    exts = list(transceiver._headerExtensions)
    ext_map = HeaderExtensionsMap()
    ext_map.configure(RTCRtpParameters(headerExtensions=exts))
    return tuple(sorted((e.uri, e.id) for e in exts)), ext_map


def allow_loopback(pc: RTCPeerConnection, loopback_only: bool = True) -> None:
    """Make the connection's ICE agents offer 127.0.0.1 host candidates, which aioice leaves out by default.

    With `loopback_only` the host candidates are 127.0.0.1 alone, so tests and benchmarks never touch a real
    interface. Call after the transceivers exist and before setLocalDescription (which gathers). Seams:
    `RTCIceGatherer._connection` and `aioice.Connection.get_component_candidates(component, addresses, timeout)`.
    """
    for transceiver in pc.getTransceivers():
        connection = transceiver.sender.transport.transport.iceGatherer._connection
        if getattr(connection, "_lectern_loopback", False):
            continue
        original = connection.get_component_candidates

        async def gather(component: int, addresses: list[str], timeout: int = 5, _orig: Any = original) -> Any:
            hosts = [LOOPBACK] if loopback_only else [*addresses, LOOPBACK]
            return await _orig(component=component, addresses=hosts, timeout=timeout)

        setattr(connection, "get_component_candidates", gather)  # noqa: B010
        setattr(connection, "_lectern_loopback", True)  # noqa: B010
