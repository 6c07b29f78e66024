"""The relay's answers: the browser starts the DTLS handshake (a=setup:passive, seams.answer_as_dtls_server), and
media flows with the relay as the DTLS server. Real aiortc peers on loopback."""

from __future__ import annotations

import time

from lectern.webrtc.relay.inprocess import InProcessRelayClient
from tests.webrtc.conftest import Loop, start_publisher, start_subscriber


def test_the_relay_answers_as_the_dtls_server_and_media_flows(relay_client: InProcessRelayClient) -> None:
    aio = Loop()
    try:
        pub = aio.run(start_publisher(relay_client, "L1", low=True))
        sub = aio.run(start_subscriber(relay_client, "L1", "cadet"))
        for pc in (pub.pc, sub.pc):
            sdp = pc.remoteDescription.sdp
            assert "a=setup:passive" in sdp and "a=setup:active" not in sdp
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (sub.frames["audio"] and sub.frames["video"]):
            time.sleep(0.2)
        assert sub.frames["audio"] and sub.frames["video"]
        aio.run(sub.close())
        aio.run(pub.pc.close())
    finally:
        aio.close()
