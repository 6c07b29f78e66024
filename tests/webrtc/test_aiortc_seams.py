"""Every aiortc/aioice internal the relay relies on (lectern/webrtc/relay_seams.py), checked against the pin.

An aiortc upgrade that moves any of these must fail here, by name, before it breaks a live lecture.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
from collections.abc import Callable
from typing import Any

import aioice
import aiortc
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import HeaderExtensionsMap, RtcpSenderInfo, RtpPacket, unwrap_rtx

from lectern.webrtc import relay_seams


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
