"""Chromium's emulated links (tests/links.py `emulate`) shape WebRTC: a page's peer connection to a real aiortc peer
gets the profile's round trip and loses packets, and a page without emulation does not.

Chromium offers, aiortc answers with 127.0.0.1 candidates (as the relay does); aiortc sends Opus.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from aiortc import AudioStreamTrack, RTCSessionDescription
from playwright.sync_api import Browser, Page

from lectern.webrtc.relay.seams import allow_loopback
from tests.links import GOOD, KBPS256, Profile, emulate
from tests.webrtc.conftest import Loop, new_pc

OFFER = """async () => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.__pc = pc;
  pc.addTransceiver("audio", { direction: "recvonly" });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
  });
  return pc.localDescription.sdp;
}"""

ANSWER = "async (sdp) => { await window.__pc.setRemoteDescription({ type: 'answer', sdp }); }"

STATS = """async () => {
  const out = { rtt: null, packets: 0, lost: 0 };
  const stats = await window.__pc.getStats();
  let selected = null;
  stats.forEach((s) => { if (s.type === "transport") selected = s.selectedCandidatePairId; });
  stats.forEach((s) => {
    if (s.type === "candidate-pair" && s.id === selected && s.currentRoundTripTime !== undefined)
      out.rtt = s.currentRoundTripTime;
    if (s.type === "inbound-rtp" && s.kind === "audio") { out.packets = s.packetsReceived; out.lost = s.packetsLost; }
  });
  return out;
}"""


@pytest.fixture
def aio() -> Iterator[Loop]:
    loop = Loop()
    yield loop
    loop.close()


async def answer(offer: str) -> tuple[object, str]:
    pc = new_pc()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    for transceiver in pc.getTransceivers():
        transceiver.direction = "sendonly"
        pc.addTrack(AudioStreamTrack())
    allow_loopback(pc)
    await pc.setLocalDescription(await pc.createAnswer())
    return pc, pc.localDescription.sdp


def connect(page: Page, aio: Loop, profile: Profile) -> tuple[object, dict[str, float]]:
    """Emulate `profile` on a blank page, connect it to an aiortc peer that sends audio for a few seconds; returns
    the peer and the page's last stats (round trip, audio packets received and lost)."""
    page.goto("about:blank")
    cdp = emulate(page, profile)
    pc, sdp = aio.run(answer(page.evaluate(OFFER)))
    page.evaluate(ANSWER, sdp)
    stats: dict[str, float] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        stats = page.evaluate(STATS)
        if stats["rtt"] is not None and stats["packets"] >= 300:  # six seconds of 20 ms Opus frames
            break
    cdp.detach()
    return pc, stats


def close(aio: Loop, pc: object) -> None:
    async def closing() -> None:
        await pc.close()  # type: ignore[attr-defined]
        await asyncio.sleep(0)

    aio.run(closing())


def test_an_emulated_poor_link_delays_and_loses_webrtc_packets(browser: Browser, aio: Loop) -> None:
    context = browser.new_context()
    try:
        shaped = context.new_page()
        pc, stats = connect(shaped, aio, KBPS256)
        close(aio, pc)
        good = context.new_page()
        pc2, baseline = connect(good, aio, GOOD)
        close(aio, pc2)
    finally:
        context.close()
    # 300 ms of round trip (150 ms each way), not 600: Chromium's `latency` delays each direction.
    assert stats["rtt"] is not None and 0.28 <= stats["rtt"] < 0.6, stats
    assert stats["lost"] > 0, stats  # 5% of about 300 packets
    assert baseline["rtt"] is not None and baseline["rtt"] < 0.1, baseline
    assert baseline["lost"] == 0, baseline
