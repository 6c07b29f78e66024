"""A lecture through a real coturn: the instructor and a cadet, both aiortc peers forced to relay candidates
(iceTransportPolicy "relay"), reach the relay only through coturn, over UDP and over TCP, with the credentials
Lectern minted for each of them in the join ack. coturn accepts them, and video frames arrive; coturn as deploy/
configures it does the same."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import av
import pytest
from aioice.turn import TurnClientTcpProtocol, TurnClientUdpProtocol
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from flask import Flask

from tests.webrtc.conftest import Loop, NoiseVideoTrack
from tests.webrtc.coturn import coturn
from tests.webrtc.room.test_namespace import ask, connect

TURN_CLIENT = {"udp": TurnClientUdpProtocol, "tcp": TurnClientTcpProtocol}


def relay_only(servers: list[dict[str, Any]]) -> RTCPeerConnection:
    """A peer connection as the room's page makes one under LECTERN_ICE_TRANSPORT_POLICY="relay"."""
    ice = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential")) for s in servers]
    return RTCPeerConnection(RTCConfiguration(iceServers=ice, iceTransportPolicy=RTCIceTransportPolicy.RELAY))


def selected(pc: RTCPeerConnection) -> tuple[str, type]:
    """The local candidate type of the connection's selected pair, and how it reaches its TURN server (aioice's
    internals, pinned with aiortc: `RTCIceTransport._connection._nominated`, the TURN transport's inner protocol)."""
    pair = pc.getTransceivers()[0].receiver.transport.transport._connection._nominated[1]
    inner = getattr(pair.protocol.transport, "_TurnTransport__inner_protocol", None)
    return pair.protocol.local_candidate.type, type(inner)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
@pytest.mark.parametrize("config", ["minimal", "deployed"])
def test_a_lecture_through_coturn_with_relay_candidates_only(
    app: Flask, world: Any, aio: Loop, tmp_path: Path, transport: str, config: str
) -> None:
    """Through a minimal coturn, and through deploy/coturn/turnserver.conf as shipped (tests/webrtc/coturn.py)."""
    lecture, people = world
    with coturn(tmp_path / "coturn", deployed=config == "deployed") as server:
        app.config.update(
            LECTERN_TURN_URLS=server.urls(transport),
            LECTERN_TURN_SECRET=server.secret,
            LECTERN_ICE_TRANSPORT_POLICY="relay",
        )
        host, cadet = connect(app, people["host"].username), connect(app, people["cadet"].username)
        host_ack, cadet_ack = (ask(sc, "join", {"lecture": lecture.id}) for sc in (host, cadet))
        assert host_ack["ok"] and cadet_ack["ok"]
        frames: list[tuple[int, int]] = []
        readers: list[asyncio.Task[None]] = []

        async def offer_publish() -> RTCPeerConnection:
            pc = relay_only(host_ack["ice_servers"])
            pc.addTransceiver(NoiseVideoTrack(), direction="sendonly")
            pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
            await pc.setLocalDescription(await pc.createOffer())
            return pc

        async def offer_subscribe() -> RTCPeerConnection:
            pc = relay_only(cadet_ack["ice_servers"])
            pc.addTransceiver("video", direction="recvonly")
            pc.addTransceiver("audio", direction="recvonly")

            async def read(track: MediaStreamTrack) -> None:
                while True:
                    frame = await track.recv()
                    if isinstance(frame, av.VideoFrame):
                        frames.append((frame.width, frame.height))

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                if track.kind == "video":
                    readers.append(asyncio.ensure_future(read(track)))

            await pc.setLocalDescription(await pc.createOffer())
            return pc

        async def answer(pc: RTCPeerConnection, sdp: str) -> None:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

        pub = aio.run(offer_publish())
        sub = aio.run(offer_subscribe())
        try:
            for pc in (pub, sub):
                # Only relay candidates were gathered: the page offers coturn's address, never its own.
                candidates = [line for line in pc.localDescription.sdp.splitlines() if line.startswith("a=candidate")]
                assert candidates and all(" typ relay" in c for c in candidates), candidates
            ack = ask(host, "publish", {"slot": "main", "sdp": pub.localDescription.sdp})
            assert ack["ok"], ack
            aio.run(answer(pub, ack["sdp"]))
            ack = ask(cadet, "subscribe", {"slot": "main", "sdp": sub.localDescription.sdp})
            assert ack["ok"], ack
            aio.run(answer(sub, ack["sdp"]))
            deadline = time.monotonic() + 15
            while len(frames) < 10 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(frames) >= 10 and frames[-1] == (320, 240), frames[-3:]
            for pc in (pub, sub):
                assert selected(pc) == ("relay", TURN_CLIENT[transport])
            # coturn saw each user's own minted name (the user's id after the expiry), and allocated for it.
            log = server.log.read_text()
            for person in (people["host"], people["cadet"]):
                allocated = rf"user <\d+:{person.id}>: incoming packet ALLOCATE processed, success"
                assert re.search(allocated, log), log[-2000:]
        finally:
            for task in readers:
                aio.loop.call_soon_threadsafe(task.cancel)
            for pc in (pub, sub):
                aio.run(pc.close())
            for sc in (host, cadet):
                sc.disconnect("/lecture")


def test_coturn_refuses_a_credential_minted_with_another_secret(
    app: Flask, world: Any, aio: Loop, tmp_path: Path
) -> None:
    """The check above can fail: coturn really checks the minted password."""
    lecture, people = world
    with coturn(tmp_path / "coturn") as server:
        app.config.update(LECTERN_TURN_URLS=server.urls("udp"), LECTERN_TURN_SECRET="not-coturns-secret")
        cadet = connect(app, people["cadet"].username)
        ack = ask(cadet, "join", {"lecture": lecture.id})

        async def gather() -> RTCPeerConnection:
            pc = relay_only(ack["ice_servers"])
            pc.addTransceiver("audio", direction="recvonly")
            await pc.setLocalDescription(await pc.createOffer())
            return pc

        pc = aio.run(gather())
        try:
            assert "a=candidate" not in pc.localDescription.sdp
            assert re.search(rf"user <\d+:{people['cadet'].id}>: .*error 401", server.log.read_text())
        finally:
            aio.run(pc.close())
            cadet.disconnect("/lecture")
