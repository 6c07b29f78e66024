"""A lecture through an origin and an edge relay, in Chromium: the instructor's browser publishes on the origin
(two versions of the camera, its sound as RED), the cadet's browser receives from the edge, which pulls each track
once from the origin (pipe.py): the cadet sees the picture and hears the sound, and the RED the browser sends
reaches the edge as RED (for its cadets on lossy links). The two relays run in this process; the service of
several relay processes is tests/webrtc/test_relay_service.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from lectern.webrtc.relay.api import RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from tests.browser import MEDIA_ON_POSTGRESQL
from tests.browser.test_lecture import Watched, advancing
from tests.browser.test_lecture_links import audio_flows, go_live, join, lecture_room

pytestmark = MEDIA_ON_POSTGRESQL

__all__ = ["lecture_room"]  # the fixture, used here by name


class OriginAndEdge:
    """A RelayClient that publishes on an origin relay and receives from an edge of it (what the registry's
    placement does for a cadet in another region: remote.py)."""

    def __init__(self) -> None:
        self.origin = InProcessRelayClient(RelayOptions(loopback_only=True))
        self.edge = InProcessRelayClient(RelayOptions(loopback_only=True))

    def _of(self, peer_id: str) -> InProcessRelayClient:
        return self.origin if ":publish:" in peer_id else self.edge

    def open_lecture(self, lecture_id: str, region: str = "") -> None:
        self.origin.open_lecture(lecture_id)
        self.edge.pull_from(lecture_id, self.origin, "origin", "edge")

    def close_lecture(self, lecture_id: str) -> None:
        self.edge.close_lecture(lecture_id)
        self.origin.close_lecture(lecture_id)

    def publish(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        return self.origin.publish(lecture_id, peer_id, offer_sdp)

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        return self.edge.subscribe(lecture_id, peer_id, offer_sdp)

    def add_ice_candidate(self, lecture_id: str, peer_id: str, *args: Any) -> None:
        self._of(peer_id).add_ice_candidate(lecture_id, peer_id, *args)

    def leave(self, lecture_id: str, peer_id: str) -> None:
        self._of(peer_id).leave(lecture_id, peer_id)

    def set_receive(self, lecture_id: str, peer_id: str, choice: str) -> None:
        self.edge.set_receive(lecture_id, peer_id, choice)

    def link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        return self.edge.link(lecture_id, peer_id)

    def stats(self, lecture_id: str) -> dict[str, Any]:
        return self.origin.stats(lecture_id)

    def shutdown(self) -> None:
        self.edge.shutdown()
        self.origin.shutdown()


@pytest.fixture
def relays(app: Flask) -> Iterator[OriginAndEdge]:
    both = OriginAndEdge()
    app.extensions["lectern_relay"] = both  # lecture_room shuts it down after the pages are closed
    yield both
    both.shutdown()


def test_a_cadet_receives_the_lecture_from_an_edge_and_red_crosses_the_link(
    live_server: str, watch: Callable[[], Watched], relays: OriginAndEdge, lecture_room: dict[str, Any]
) -> None:
    host, pupil = watch().page, watch().page
    go_live(host, live_server, lecture_room)
    join(pupil, live_server, lecture_room)
    advancing(pupil)
    audio_flows(pupil, 2)
    target = f"{lecture_room['lecture'].id}:main"
    origin, edge = relays.origin.stats(target), relays.edge.stats(target)
    # The cadet is on the edge alone; the origin carries the instructor and the edge's two feeds.
    assert set(origin["subscribers"]) == {"edge:edge:high", "edge:edge:low"}
    assert len(edge["subscribers"]) == 1
    # Chromium sends its sound as RED; the edge gets it as RED, from one feed.
    assert origin["publisher"]["tracks"]["audio"]["codec"] == "audio/red"
    deadline = time.monotonic() + 5
    while relays.edge.stats(target)["publisher"]["tracks"]["audio"]["codec"] != "audio/red":
        assert time.monotonic() < deadline, relays.edge.stats(target)["publisher"]
        time.sleep(0.2)
    assert relays.edge.stats(target)["publisher"]["tracks"]["video_low"]["packets_received"] > 0
