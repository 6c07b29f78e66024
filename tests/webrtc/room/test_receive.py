"""The `receive` event: what a participant receives of a slot, checked, remembered by the seat, applied by the
relay to the socket's subscription and again to its later ones; and the relay's view of the link, in the quality
report's ack and in the participant list."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc import RTCPeerConnection
from flask import Flask

from lectern.webrtc.relay.seams import allow_loopback
from tests.webrtc.conftest import Loop, new_pc
from tests.webrtc.room.test_namespace import NS, ask, connect, joined, received


@pytest.mark.parametrize(
    "payload",
    [
        {"slot": "main", "choice": "video"},
        {"slot": "side", "choice": "audio"},
        {"slot": "main"},
        {"slot": "main", "choice": "audio", "peer": "someone else's"},
        ["main", "audio"],
    ],
)
def test_a_malformed_choice_is_refused_naming_the_field(app: Flask, world: Any, payload: Any) -> None:
    cadet = joined(app, world, "cadet")
    ack = ask(cadet, "receive", payload)
    assert ack["ok"] is False and ack["error"]
    assert received(cadet, "error") == [{"event": "receive", "message": ack["error"]}]
    assert ask(cadet, "receive", {"slot": "main", "choice": "audio"}) == {"ok": True, "choice": "audio"}


def test_choosing_needs_a_seat(app: Flask, world: Any) -> None:
    _lecture, people = world
    sc = connect(app, people["cadet"].username)
    ack = ask(sc, "receive", {"slot": "main", "choice": "audio"})
    assert ack["ok"] is False


def test_the_choice_holds_for_the_subscription_and_every_later_one(app: Flask, world: Any, aio: Loop) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    relay: Any = None
    made: list[RTCPeerConnection] = []

    async def offer() -> str:
        pc = new_pc()
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        allow_loopback(pc)
        await pc.setLocalDescription(await pc.createOffer())
        made.append(pc)
        return str(pc.localDescription.sdp)

    def choice_on_relay() -> Any:
        peers = list(relay.stats(f"{lecture.id}:main")["subscribers"])
        assert len(peers) == 1
        link = relay.link(f"{lecture.id}:main", peers[0])
        return link["choice"]

    try:
        # Chosen before subscribing (a rejoin tells its choice first): the subscription gets it.
        assert ask(cadet, "receive", {"slot": "main", "choice": "audio"})["ok"]
        assert ask(cadet, "subscribe", {"slot": "main", "sdp": aio.run(offer())})["ok"]
        relay = app.extensions["lectern_relay"]
        assert choice_on_relay() == "audio"
        # Changed on the subscription: no new offer.
        assert ask(cadet, "receive", {"slot": "main", "choice": "low"}) == {"ok": True, "choice": "low"}
        assert choice_on_relay() == "low"
        # A new subscription (a lost connection made again) keeps it.
        assert ask(cadet, "subscribe", {"slot": "main", "sdp": aio.run(offer())})["ok"]
        assert choice_on_relay() == "low"

        # The quality report's ack carries the relay's view of the link; the host's list shows it.
        host.get_received(NS)
        ack = ask(cadet, "quality", {"rtt_ms": 120, "loss": 0.0, "kbps": 64})
        assert ack["ok"] and ack["link"]["choice"] == "low"
        assert {"estimate_kbps", "loss", "rtt_ms", "kbps", "video", "reason"} <= set(ack["link"])
        listing = {p["id"]: p for p in received(host, "participants")[-1]}
        assert listing[people["cadet"].id]["link"] == ack["link"]
        assert listing[people["host"].id]["link"] is None  # the host receives no main subscription
        # The host, with no subscription, has no link.
        assert ask(host, "quality", {"rtt_ms": 10, "loss": 0.0, "kbps": 900})["link"] is None
    finally:
        for pc in made:
            aio.run(pc.close())
