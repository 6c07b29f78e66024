"""Every aiortc/aioice internal the relay relies on (lectern/webrtc/relay_seams.py), checked against the pin.

An aiortc upgrade that moves any of these must fail here, by name, before it breaks a live lecture.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import queue
import socket
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import aioice
import aiortc
import pylibsrtp
from aioice.candidate import Candidate
from aioice.ice import CandidatePair, StunProtocol
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport, RtpRouter, State
from aiortc.rtcicetransport import RTCIceTransport
from aiortc.rtp import HeaderExtensionsMap, RtcpReceiverInfo, RtcpSenderInfo, RtpPacket, unwrap_rtx

from lectern.webrtc.relay import seams as relay_seams
from lectern.webrtc.relay.rtp import rewrite_header


def _params(func: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(func).parameters)


def _source(func: Callable[..., Any]) -> str:
    return inspect.getsource(func)


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__ == relay_seams.AIORTC_VERSION == "1.16.0"


def test_receiver_rtp_hook() -> None:
    assert inspect.iscoroutinefunction(RTCRtpReceiver._handle_rtp_packet)
    assert _params(RTCRtpReceiver._handle_rtp_packet) == ["self", "packet", "arrival_time_ms"]
    # The transport looks the handler up on the instance and passes arrival_time_ms by keyword.
    assert "receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)" in _source(
        RTCDtlsTransport._handle_rtp_data
    )


def test_receiver_decoder_queue_and_stop_signal() -> None:
    receive, stop = _source(RTCRtpReceiver.receive), _source(RTCRtpReceiver._RTCRtpReceiver__stop_decoder)
    assert "self.__decoder_queue," in receive  # handed to the decoder thread at receive() time
    assert "self.__decoder_queue.put(None)" in stop
    handle = _source(RTCRtpReceiver._handle_rtp_packet)
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handle


def test_receiver_codecs_by_payload_type() -> None:
    receive, handle = _source(RTCRtpReceiver.receive), _source(RTCRtpReceiver._handle_rtp_packet)
    assert "self.__codecs[codec.payloadType] = codec" in receive
    assert "codec = self.__codecs.get(packet.payload_type)" in handle
    assert "self.__remote_streams[packet.ssrc].add(packet)" in handle  # the statistics receiver reports are made of
    route = _source(RtpRouter.route_rtp)
    assert "pt_receivers = self.payload_type_table.get(packet.payload_type, set())" in route
    assert "self.payload_type_table[payload_type].add(receiver)" in _source(RtpRouter.register_receiver)
    assert "self._rtp_router = RtpRouter()" in _source(RTCDtlsTransport.__init__)


def test_rtcp_hooks_and_pli() -> None:
    assert "await recipient._handle_rtcp_packet(packet)" in _source(RTCDtlsTransport._handle_rtcp_data)
    for cls in (RTCRtpReceiver, RTCRtpSender):
        assert inspect.iscoroutinefunction(cls._handle_rtcp_packet)
        assert _params(cls._handle_rtcp_packet) == ["self", "packet"]
    assert inspect.iscoroutinefunction(RTCRtpReceiver._send_rtcp_pli)
    assert _params(RTCRtpReceiver._send_rtcp_pli) == ["self", "media_ssrc"]
    assert inspect.iscoroutinefunction(RTCRtpReceiver._send_rtcp_nack)  # used by the tests as a subscriber
    # The test publisher's keyframe counter.
    assert _params(RTCRtpSender._send_keyframe) == ["self"]


def test_sender_report_path() -> None:
    assert inspect.iscoroutinefunction(RTCRtpSender._send_rtcp)
    assert _params(RTCRtpSender._send_rtcp) == ["self", "packets"]
    run_rtcp = _source(RTCRtpSender._run_rtcp)
    assert "RtcpSrPacket(" in run_rtcp and "await self._send_rtcp(packets)" in run_rtcp
    assert set(RtcpSenderInfo.__dataclass_fields__) == {"ntp_timestamp", "rtp_timestamp", "packet_count", "octet_count"}


def test_receiver_report_path() -> None:
    """hook_receiver_feedback: the receiver's reports go out through `_send_rtcp(packet)`, one RR at a time."""
    assert inspect.iscoroutinefunction(RTCRtpReceiver._send_rtcp)
    assert _params(RTCRtpReceiver._send_rtcp) == ["self", "packet"]
    run_rtcp = _source(RTCRtpReceiver._run_rtcp)
    assert "RtcpRrPacket(" in run_rtcp and "await self._send_rtcp(packet)" in run_rtcp
    assert "fraction_lost" in RtcpReceiverInfo.__dataclass_fields__
    # ... and its REMBs, made from each packet's abs-send-time.
    handle = _source(RTCRtpReceiver._handle_rtp_packet)
    assert "pack_remb_fci(*remb)" in handle and "await self._send_rtcp(rtcp_packet)" in handle


def test_silent_track_parks_the_encoder_loop() -> None:
    # The relay gives each subscriber sender a track whose recv() never returns, so aiortc's encode loop waits
    # instead of polling every 20 ms (what it does with no track) or encoding anything.
    assert "data = await self.__track.recv()" in _source(RTCRtpSender._next_encoded_frame)
    assert "await asyncio.sleep(0.02)" in _source(RTCRtpSender._run_rtp)


def test_send_path() -> None:
    assert inspect.iscoroutinefunction(RTCDtlsTransport._send_rtp)
    assert _params(RTCDtlsTransport._send_rtp) == ["self", "data"]
    assert "self._tx_srtp.protect(data)" in _source(RTCDtlsTransport._send_rtp)
    assert _params(RtpPacket.serialize) == ["self", "extensions_map"]
    assert _params(HeaderExtensionsMap.configure) == ["self", "parameters"]
    assert _params(unwrap_rtx) == ["rtx", "payload_type", "ssrc"]


def test_direct_send_path_is_what_aiortc_does_for_udp() -> None:
    # DirectRtpSender replays RTCDtlsTransport._send_rtp -> RTCIceTransport._send (= Connection.send) ->
    # Connection.sendto -> StunProtocol.send_data -> DatagramTransport.sendto, synchronously.
    send_rtp = _source(RTCDtlsTransport._send_rtp)
    assert "if self._state != State.CONNECTED:" in send_rtp
    assert "data = self._tx_srtp.protect(data)" in send_rtp and "await self.transport._send(data)" in send_rtp
    assert "self.__tx_bytes += len(data)" in send_rtp and "self.__tx_packets += 1" in send_rtp
    assert "self._send = self._connection.send" in _source(RTCIceTransport.__init__)
    assert "await self.sendto(data, 1)" in _source(aioice.Connection.send)
    sendto = _source(aioice.Connection.sendto)
    assert "active_pair = self._nominated.get(component)" in sendto
    assert "await active_pair.protocol.send_data(data, active_pair.remote_addr)" in sendto
    send_data = _source(StunProtocol.send_data).strip().splitlines()
    assert send_data[-1].strip() == "self.transport.sendto(data, addr)" and len(send_data) == 2
    assert "self._nominated: dict[int, CandidatePair] = {}" in _source(aioice.Connection.__init__)
    assert isinstance(CandidatePair.remote_addr, property)
    assert "self.protocol = protocol" in _source(CandidatePair.__init__)
    assert State.CONNECTED.name == "CONNECTED"
    # pylibsrtp: the C handle behind Session.protect, and the trailer room it reserves.
    assert "func(self._srtp[0], self._cdata, len_p)" in _source(pylibsrtp.Session._Session__process)
    assert relay_seams.SRTP_MAX_TRAILER == pylibsrtp.SRTP_MAX_TRAILER_LEN
    assert relay_seams.srtp_lib.srtp_protect is pylibsrtp.lib.srtp_protect
    # The compiled fan-out: asyncio's datagram transport keeps its socket in `_sock` and reports its buffer from
    # `_buffer_size`, which the fan-out reads; pylibsrtp's srtp_protect has the C type _fanout.c calls.
    datagram = asyncio.selector_events._SelectorDatagramTransport  # type: ignore[attr-defined]
    assert _source(datagram.get_write_buffer_size).strip().splitlines()[-1].strip() == "return self._buffer_size"
    assert relay_seams._DATAGRAM_BUFFER_SIZE is datagram.get_write_buffer_size
    assert "self._sock = sock" in _source(asyncio.selector_events._SelectorTransport.__init__)  # type: ignore[attr-defined]
    assert relay_seams.srtp_ffi.typeof(relay_seams.srtp_lib.srtp_protect).cname == relay_seams._PROTECT_TYPE


class _FakeDtls:
    """The attributes DirectRtpSender reads from an RTCDtlsTransport (test_instance_attributes checks the real
    one has them), around a real aioice pair and a real SRTP session."""

    def __init__(self, pair: CandidatePair, srtp: pylibsrtp.Session) -> None:
        self._state = State.CONNECTED
        self._tx_srtp = srtp
        self.transport = SimpleNamespace(_connection=SimpleNamespace(_nominated={1: pair}))
        setattr(self, "_RTCDtlsTransport__tx_bytes", 0)  # noqa: B010
        setattr(self, "_RTCDtlsTransport__tx_packets", 0)  # noqa: B010

    def _get_stats(self) -> dict[str, int]:
        """What aiortc's getStats reads: the byte and packet counters."""
        return {
            "packets": vars(self)["_RTCDtlsTransport__tx_packets"],
            "bytes": vars(self)["_RTCDtlsTransport__tx_bytes"],
        }


def test_direct_rtp_sender_sends_what_aiortc_would() -> None:
    key = os.urandom(30)
    tx = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    reference = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    rx = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))
    template = RtpPacket(payload_type=96, marker=1, sequence_number=7, timestamp=9, ssrc=1, payload=b"x" * 1000)
    data = template.serialize()

    async def check() -> None:
        loop = asyncio.get_running_loop()
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(2)
        udp, protocol = await loop.create_datagram_endpoint(
            lambda: StunProtocol(SimpleNamespace(protocol_lost=lambda _: None)),  # type: ignore[arg-type]
            local_addr=("127.0.0.1", 0),
        )
        remote = Candidate("1", 1, "udp", 1, "127.0.0.1", sink.getsockname()[1], "host")
        dtls = _FakeDtls(CandidatePair(protocol, remote), tx)
        direct = relay_seams.DirectRtpSender(dtls)  # type: ignore[arg-type]
        assert direct.writable(len(data))
        assert not direct.writable(relay_seams.DIRECT_MAX_PACKET + 1)
        # What the compiled fan-out sends with, found with the transport.
        assert direct._socket is udp.get_extra_info("socket")._sock and direct._buffer_fields is vars(udp)
        assert direct._sockaddr[2:4] == sink.getsockname()[1].to_bytes(2, "big")
        assert direct.send(data, 100, 1234, 5678, 42)
        wire = await asyncio.to_thread(sink.recv, 2048)
        plain = rewrite_header(data, 100, 1234, 5678, 42)
        assert wire == reference.protect(plain)  # byte for byte what aiortc's path would have sent
        assert rx.unprotect(wire) == plain
        assert vars(dtls)["_RTCDtlsTransport__tx_packets"] == 1
        assert vars(dtls)["_RTCDtlsTransport__tx_bytes"] == len(wire)
        # libsrtp refuses a sequence number it has already protected: counted and dropped, not raised.
        assert not direct.send(data, 100, 1234, 5678, 42) and direct.errors == 1
        # Every reason to leave it to aiortc's path.
        setattr(dtls, "_send_rtp", None)  # noqa: B010  # an instance override (instrumentation, a test double)
        assert not direct.writable(len(data))
        delattr(dtls, "_send_rtp")
        dtls._state = State.CLOSED
        assert not direct.writable(len(data))
        dtls._state = State.CONNECTED
        turn_like = CandidatePair(SimpleNamespace(transport=udp), remote)  # type: ignore[arg-type]
        dtls.transport._connection._nominated[1] = turn_like
        assert not direct.writable(len(data))
        dtls.transport._connection._nominated[1] = CandidatePair(protocol, remote)
        assert direct.writable(len(data))
        udp.close()
        await asyncio.sleep(0)
        dtls.transport._connection._nominated[1] = CandidatePair(protocol, remote)
        assert not direct.writable(len(data))  # a closing socket
        sink.close()

    asyncio.run(check())


def test_codec_negotiation_fields() -> None:
    set_remote = _source(RTCPeerConnection.setRemoteDescription)
    assert "transceiver._codecs = common" in set_remote
    assert "transceiver._headerExtensions = find_common_header_extensions(" in set_remote
    local_rtp = _source(RTCPeerConnection._RTCPeerConnection__localRtp)
    assert "codecs=transceiver._codecs" in local_rtp and "headerExtensions=transceiver._headerExtensions" in local_rtp


def test_loopback_candidates_need_our_option() -> None:
    # aioice still leaves 127.0.0.1 out on its own, and gathers through get_component_candidates by keyword.
    assert '"127.0.0.1"' in _source(aioice.ice.get_host_addresses)
    gather = _source(aioice.Connection.gather_candidates)
    assert "self.get_component_candidates(component=component, addresses=addresses)" in gather
    assert _params(aioice.Connection.get_component_candidates) == ["self", "component", "addresses", "timeout"]


def test_instance_attributes() -> None:
    async def check() -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver: RTCRtpTransceiver = pc.addTransceiver("video")
        sender, receiver = transceiver.sender, transceiver.receiver
        assert isinstance(sender._ssrc, int) and isinstance(sender._rtx_ssrc, int)
        # What DirectRtpSender reads from the real DTLS transport (the test above uses a stand-in).
        dtls = sender.transport
        assert isinstance(dtls, RTCDtlsTransport) and dtls._state == State.NEW and dtls._tx_srtp is None
        assert vars(dtls)["_RTCDtlsTransport__tx_bytes"] == 0 and vars(dtls)["_RTCDtlsTransport__tx_packets"] == 0
        assert "_send_rtp" not in vars(dtls)
        assert dtls.transport._connection._nominated == {}
        direct = relay_seams.DirectRtpSender(dtls)
        assert direct.writable(100) is False
        # What the compiled fan-out counts in the sender reaches getStats, which reads the transport's counters
        # through `_get_stats`.
        direct.unsent_bytes, direct.unsent_packets = 1200, 2
        transport_stats = [s for s in (await sender.getStats()).values() if s.type == "transport"]
        assert [(s.packetsSent, s.bytesSent) for s in transport_stats] == [(2, 1200)]
        assert (direct.unsent_bytes, direct.unsent_packets) == (0, 0)
        assert isinstance(receiver._RTCRtpReceiver__decoder_queue, queue.Queue)
        assert isinstance(transceiver._codecs, list) and isinstance(transceiver._headerExtensions, list)
        gatherer = sender.transport.transport.iceGatherer
        assert isinstance(gatherer._connection, aioice.Connection)
        # Our loopback option really yields a 127.0.0.1 host candidate, and only that.
        relay_seams.allow_loopback(pc)
        await gatherer.gather()
        hosts = {c.ip for c in gatherer.getLocalCandidates()}
        assert hosts == {"127.0.0.1"}
        await pc.close()

    asyncio.run(check())


def test_default_configuration_would_use_public_stun() -> None:
    # Why RelayOptions.ice_servers defaults to nothing and every RTCPeerConnection gets it explicitly.
    assert RTCConfiguration().iceServers is None
    assert any("stun" in s.urls for s in aiortc.RTCIceGatherer.getDefaultIceServers())
