"""ICE consent freshness on a link with a long round trip (seams.keep_consent).

Two aioice agents on loopback; the cadet's side answers the relay's STUN requests 0.7 s late, as a link with a
700 ms round trip does. aioice alone gives each consent check 0.5 s and closes after a few misses in a row, which on
the real link (600 ms, checks every 5 s, six misses) dropped a cadet at 128 kbps after about 30 s although audio was
flowing. The intervals are shortened here so the test takes seconds; the rule is the same.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aioice
import pytest
from aioice import stun

from lectern.webrtc.relay import seams

LATE_S = 0.7  # over aioice's 0.5 s wait for a consent answer, under what keep_consent waits (1.5 s here)


async def _pair() -> tuple[Any, Any]:
    relay, cadet = aioice.Connection(ice_controlling=False), aioice.Connection(ice_controlling=True)
    for connection in (relay, cadet):
        seams.loopback_candidates(connection)
    return relay, cadet


async def _connect(relay: Any, cadet: Any) -> None:
    await asyncio.gather(relay.gather_candidates(), cadet.gather_candidates())
    for a, b in ((relay, cadet), (cadet, relay)):
        for candidate in b.local_candidates:
            await a.add_remote_candidate(candidate)
        await a.add_remote_candidate(None)
        a.remote_username, a.remote_password = b.local_username, b.local_password
    await asyncio.gather(relay.connect(), cadet.connect())


def _answer(cadet: Any, late: float | None) -> None:
    """The cadet's STUN answers leave `late` seconds late, or never (None); its own requests are not held."""
    loop = asyncio.get_running_loop()
    for protocol in cadet._protocols:
        send = protocol.__dict__.get("_lectern_send", protocol.send_stun)
        protocol._lectern_send = send

        def delayed(message: stun.Message, addr: Any, _send: Any = send) -> None:
            if message.message_class != stun.Class.RESPONSE:
                _send(message, addr)
            elif late is not None:
                loop.call_later(late, _send, message, addr)

        protocol.send_stun = delayed


def _consenting(connection: Any) -> bool:
    task = connection._query_consent_task
    return task is not None and not task.done()


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    # aioice's own checks: every ~0.2 s, closed after 2 misses in a row (its rule, with smaller numbers).
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.2)
    monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", 2)
    # Ours: every ~0.2 s, each request sent again once (answers count until 1.5 s), expired after 1.5 s of silence.
    monkeypatch.setattr(seams, "CONSENT_INTERVAL_S", 0.2)
    monkeypatch.setattr(seams, "CONSENT_RETRANSMISSIONS", 1)
    monkeypatch.setattr(seams, "CONSENT_EXPIRY_S", 1.5)


def test_late_answers_keep_consent_and_silence_ends_it(quick: None) -> None:
    async def check() -> None:
        loop = asyncio.get_running_loop()
        relay, cadet = await _pair()
        seams.keep_consent(relay)
        try:
            await _connect(relay, cadet)
            _answer(cadet, LATE_S)
            await asyncio.sleep(2)  # aioice alone closes within ~1.5 s here
            assert _consenting(relay), "the relay dropped a peer whose answers were only slow"
            await relay.sendto(b"still here", 1)
            assert await asyncio.wait_for(cadet.recvfrom(), 2) == (b"still here", 1)
            # The cadet's side goes silent: consent expires after CONSENT_EXPIRY_S, and the connection closes.
            _answer(cadet, None)
            silent = loop.time()
            while _consenting(relay) and loop.time() - silent < 10:
                await asyncio.sleep(0.1)
            assert relay._query_consent_task is None and not _consenting(relay)
            assert loop.time() - silent >= seams.CONSENT_EXPIRY_S - LATE_S  # not before consent expired
            with pytest.raises(ConnectionError):
                await relay.sendto(b"gone", 1)
        finally:
            await asyncio.gather(relay.close(), cadet.close())

    asyncio.run(check())


def test_aioice_alone_drops_the_slow_peer(quick: None) -> None:
    # Why keep_consent exists: the same slow answers without it. If aioice learns to wait, this fails and the seam
    # can go.
    async def check() -> None:
        relay, cadet = await _pair()
        try:
            await _connect(relay, cadet)
            _answer(cadet, LATE_S)
            loop = asyncio.get_running_loop()
            started = loop.time()
            while _consenting(relay) and loop.time() - started < 5:
                await asyncio.sleep(0.1)
            assert not _consenting(relay)
        finally:
            await asyncio.gather(relay.close(), cadet.close())

    asyncio.run(check())


def test_the_relay_keeps_consent_patiently_on_every_peer_connection() -> None:
    # Every peer connection the relay makes goes through patient_consent before ICE starts (sfu._new_pc).
    from aiortc import RTCPeerConnection, RTCSessionDescription

    from lectern.webrtc.relay.api import RelayOptions
    from lectern.webrtc.relay.sfu import Relay

    async def check() -> None:
        offerer = RTCPeerConnection()
        offerer.addTransceiver("audio", direction="sendonly")
        await offerer.setLocalDescription(await offerer.createOffer())
        relay = Relay(RelayOptions(loopback_only=True))
        try:
            await relay.open_lecture("1:main")
            answer = await relay.publish("1:main", "host", offerer.localDescription.sdp)
            await offerer.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            publisher = relay.lectures["1:main"].publisher
            assert publisher is not None
            connections = seams.ice_connections(publisher.pc)
            assert connections and all(getattr(c, "_lectern_consent", False) for c in connections)
        finally:
            await relay.close()
            await offerer.close()

    asyncio.run(check())
