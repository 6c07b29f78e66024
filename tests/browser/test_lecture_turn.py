"""A live lecture in Chromium through a real coturn (tests/webrtc/coturn.py) with LECTERN_ICE_TRANSPORT_POLICY
"relay": the instructor's and the cadet's pages reach the relay only through TURN, over UDP and over TCP, with the
credentials Lectern minted for each of them; the cadet sees the video and hears the audio."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from lectern.platform.models import Role, utcnow
from tests import factories
from tests.browser import MEDIA_ON_POSTGRESQL
from tests.browser.peers import PUBLISHING_BOTH
from tests.browser.test_lecture import Watched, advancing, audio_grows
from tests.browser.test_roles import sign_in
from tests.webrtc.coturn import coturn

pytestmark = MEDIA_ON_POSTGRESQL

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
            watch.close_all()  # the pages first: they would connect again while the relay stops
            client = app.extensions.get("lectern_relay")
            if client is not None:
                client.shutdown()


# Each answer the page applies, with how far the page's own ICE gathering had come by then.
RECORD_ANSWERS = """(() => {
  const answers = [];
  Object.defineProperty(window, "__answers", { value: answers });
  const apply = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (description, ...rest) {
    answers.push(this.iceGatheringState);
    return apply.call(this, description, ...rest);
  };
})();"""


def test_a_turn_server_that_never_answers_does_not_hold_up_a_join(
    app: Flask, live_server: str, watch: Callable[[], Watched], make: factories.Factory
) -> None:
    """The pages are given a TURN server on a port where nothing listens. Gathering cannot finish until Chromium
    gives up on it, but the page sends its offer at once and trickles its candidates: the relay's answer is applied
    while the page is still gathering, and the lecture plays over the host candidates. (A page that waited for
    gathering sent its offer only after its 3 s timeout, and a cadet at a border post heard nothing meanwhile.)"""
    academy = make.academy()
    course = make.course(academy.id)
    teacher = make.user(Role.INSTRUCTOR, academy, language="en")
    cadet = make.user(Role.CADET, academy, language="en")
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    lecture = make.lecture(course.id, title="Green borders", starts_at=utcnow() - timedelta(minutes=5))
    room = f"{live_server}/lectures/{lecture.id}/room"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # a free UDP port, closed again: no answer
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(LECTERN_TURN_URLS=[f"turn:127.0.0.1:{port}?transport=udp"], LECTERN_TURN_SECRET="s" * 32)
    host, pupil = watch(), watch()
    trickled: list[str] = []  # the candidates the cadet's page sent the relay after its offer
    for watched in (host, pupil):
        watched.context.add_init_script(script=RECORD_ANSWERS)
    pupil.page.on("websocket", lambda ws: ws.on("framesent", lambda frame: _trickled(frame, trickled)))
    try:
        sign_in(host.page, live_server, teacher.username, factories.PASSWORD)
        host.page.goto(room)
        host.page.get_by_role("button", name="Start lecture").click()
        expect(host.page.locator("#lecture-status")).to_have_text("Live", timeout=15_000)
        host.page.wait_for_function(PUBLISHING_BOTH, timeout=15_000)
        sign_in(pupil.page, live_server, cadet.username, factories.PASSWORD)
        pupil.page.goto(room)
        advancing(pupil.page)
        audio_grows(pupil.page)
        for watched in (host, pupil):
            answers = watched.page.evaluate("window.__answers")
            assert answers and all(state == "gathering" for state in answers), answers
        assert any(c.startswith("candidate:") and " typ host" in c for c in trickled), trickled
    finally:
        watch.close_all()  # the pages first: they would connect again while the relay stops
        client = app.extensions.get("lectern_relay")
        if client is not None:
            client.shutdown()


def _trickled(frame: str | bytes, found: list[str]) -> None:
    """A Socket.IO "ice" event the page sent (`42<id>["ice",{...}]`): its candidate."""
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
    start = text.find("[")
    if not text.startswith("42") or start < 0:
        return
    try:
        event = json.loads(text[start:])
    except ValueError:
        return
    if event and event[0] == "ice" and len(event) > 1 and isinstance(event[1], dict):
        found.append(str(event[1].get("candidate", "")))
