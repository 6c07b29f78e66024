"""A relay that is gone, in Chromium: the server tells the pages whose connections were on it (`relay-lost`,
lectern/webrtc/room/relays.py), and they offer again at once, without a reload: the cadet receives on a new
connection, the instructor publishes again and the cadet hears them. Here the relay forgets the peers itself (the
service of several relays and its kill -9 are tests/webrtc/test_relay_service.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from playwright.sync_api import Page

from lectern.webrtc.relay.api import peer_lost
from lectern.webrtc.room.access_watch import rooms
from tests.browser import MEDIA_ON_POSTGRESQL
from tests.browser.test_lecture import Watched
from tests.browser.test_lecture_links import AUDIO_PACKETS, audio_flows, go_live, join, lecture_room

pytestmark = MEDIA_ON_POSTGRESQL

__all__ = ["lecture_room"]  # the fixture, used here by name


def _lose(app: Flask, world: dict[str, Any], user_id: int, direction: str, close: bool) -> None:
    """The server hears that the relay of a user's connection on the main slot is gone. With `close` the relay
    drops it too; without, the old connection stays up: only the news can make the page offer again."""
    seat = next(s for s in rooms(app).all() if s.user_id == user_id)
    peer = seat.peers[(direction, "main")]
    target = f"{world['lecture'].id}:main"
    if close:
        app.extensions["lectern_relay"].leave(target, peer)
    peer_lost.send(app, lecture_id=target, peer_id=peer)


def _audio_back(page: Page, before: dict[str, int], since: float) -> dict[str, int]:
    while True:
        now = page.evaluate(AUDIO_PACKETS)
        if now["pc"] != before["pc"] and now["packets"] > 10:
            return now
        assert time.monotonic() - since < 5, (before, now)
        page.wait_for_timeout(100)


def test_pages_whose_relay_is_gone_offer_again_without_a_reload(
    app: Flask, live_server: str, watch: Callable[[], Watched], lecture_room: dict[str, Any]
) -> None:
    host, pupil = watch().page, watch().page
    go_live(host, live_server, lecture_room)
    join(pupil, live_server, lecture_room)
    audio_flows(pupil, 1)
    pupil.evaluate("() => { window.__samePage = true; }")  # gone if the page were loaded again

    before = pupil.evaluate(AUDIO_PACKETS)
    _lose(app, lecture_room, lecture_room["cadets"][0].id, "subscribe", close=False)
    _audio_back(pupil, before, time.monotonic())  # on a new subscription
    audio_flows(pupil, 1)

    # The instructor's publication is lost: their page publishes again, and the cadet hears them on.
    _lose(app, lecture_room, lecture_room["teacher"].id, "publish", close=True)
    lost = time.monotonic()
    gap = pupil.evaluate(AUDIO_PACKETS)
    while pupil.evaluate(AUDIO_PACKETS)["packets"] <= gap["packets"] + 10:
        assert time.monotonic() - lost < 5, "the instructor was not heard again"
        pupil.wait_for_timeout(100)
    audio_flows(pupil, 1)
    assert pupil.evaluate("() => window.__samePage") is True
    assert host.evaluate("() => window.__recorded.publishing().length") >= 1
