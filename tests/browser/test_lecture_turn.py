"""A live lecture in Chromium through a real coturn (tests/webrtc/coturn.py) with LECTERN_ICE_TRANSPORT_POLICY
"relay": the instructor's and the cadet's pages reach the relay only through TURN, over UDP and over TCP, with the
credentials Lectern minted for each of them; the cadet sees the video and hears the audio."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from lectern.platform.models import Role, utcnow
from tests import factories
from tests.browser.peers import PUBLISHING_BOTH
from tests.browser.test_lecture import Watched, advancing, audio_grows
from tests.browser.test_roles import sign_in
from tests.webrtc.coturn import coturn

# The local candidate of each connected peer connection's selected pair: its type, and how it reaches its TURN
# server (relayProtocol: "udp", "tcp" or "tls"); plus the ICE servers and policy the connection was made with.
SELECTED = """async () => {
  const found = [];
  for (const pc of window.__recorded.pcs) {
    if (pc.connectionState !== "connected") continue;
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type !== "transport" || !s.selectedCandidatePairId) return;
      const local = stats.get(stats.get(s.selectedCandidatePairId).localCandidateId);
      found.push({ type: local.candidateType, protocol: local.relayProtocol || null,
                   policy: pc.getConfiguration().iceTransportPolicy });
    });
  }
  return found;
}"""


def through_turn(page: Page, transport: str, connections: int) -> None:
    """The page's connected peer connections all use a relay candidate reached over `transport`."""
    page.wait_for_function(
        "(n) => window.__recorded.pcs.filter((pc) => pc.connectionState === 'connected').length >= n",
        arg=connections,
        timeout=15_000,
    )
    found = page.evaluate(SELECTED)
    assert len(found) >= connections
    assert all(f == {"type": "relay", "protocol": transport, "policy": "relay"} for f in found), found


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_a_lecture_in_chromium_through_coturn_only(
    app: Flask,
    live_server: str,
    watch: Callable[[], Watched],
    make: factories.Factory,
    tmp_path: Path,
    transport: str,
) -> None:
    academy = make.academy()
    course = make.course(academy.id)
    teacher = make.user(Role.INSTRUCTOR, academy, language="en")
    cadet = make.user(Role.CADET, academy, language="en")
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    lecture = make.lecture(course.id, title="Green borders", starts_at=utcnow() - timedelta(minutes=5))
    room = f"{live_server}/lectures/{lecture.id}/room"
    host, pupil = watch().page, watch().page
    with coturn(tmp_path / "coturn") as server:
        app.config.update(
            LECTERN_RELAY_LOOPBACK=True,  # the relay's own candidates: 127.0.0.1, reached through coturn
            LECTERN_TURN_URLS=server.urls(transport),
            LECTERN_TURN_SECRET=server.secret,
            LECTERN_ICE_TRANSPORT_POLICY="relay",
        )
        try:
            sign_in(host, live_server, teacher.username, factories.PASSWORD)
            host.goto(room)
            expect(host.locator("#connection-state")).to_have_text("Connected")
            host.get_by_role("button", name="Start lecture").click()
            expect(host.locator("#lecture-status")).to_have_text("Live", timeout=15_000)
            host.wait_for_function(PUBLISHING_BOTH, timeout=15_000)

            sign_in(pupil, live_server, cadet.username, factories.PASSWORD)
            pupil.goto(room)
            advancing(pupil)
            audio_grows(pupil)
            through_turn(pupil, transport, 1)
            through_turn(host, transport, 1)
            log = server.log.read_text()
            for person in (teacher, cadet):
                assert f":{person.id}>: incoming packet ALLOCATE processed, success" in log
        finally:
            client = app.extensions.get("lectern_relay")
            if client is not None:
                client.shutdown()
