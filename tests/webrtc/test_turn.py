"""TURN credentials (the TURN REST API scheme coturn's `use-auth-secret` checks), and where Lectern hands them out:
the lecture room's join ack and page, for the user who asks, and the relay's own peer connections when configured."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

import pytest
from flask import Flask

from lectern.webrtc import turn
from lectern.webrtc.relay.api import IceServer
from lectern.webrtc.relay.provider import ice_servers, ice_transport_policy, relay_ice_servers
from tests.conftest import Client
from tests.webrtc.room.test_namespace import ask, connect

URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"]


def expected_password(secret: str, username: str) -> str:
    """The password coturn computes for a REST API username, written out independently of turn.py."""
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


def test_mint_follows_the_turn_rest_api() -> None:
    minted = turn.mint("north-wind", 42, now=1_700_000_000.7, ttl=3600)
    assert minted.username == "1700003600:42"
    assert minted.expires == 1_700_003_600
    assert minted.credential == expected_password("north-wind", "1700003600:42")
    # A known vector, from `printf 1700003600:42 | openssl dgst -sha1 -hmac north-wind -binary | base64`.
    assert minted.credential == "YlpCluhk1i66cE5bZO2tP7aZqpY="


@pytest.mark.parametrize(
    ("secret", "who", "ttl", "problem"),
    [("", 1, 60, "secret"), ("s", 1, 0, "lifetime"), ("s", "a:b", 60, "':'")],
)
def test_mint_refuses_what_coturn_could_not_check(secret: str, who: str | int, ttl: int, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        turn.mint(secret, who, 0, ttl)


def test_urls_from_configuration() -> None:
    assert turn.parse_urls(None) == [] and turn.parse_urls("") == [] and turn.parse_urls(" , ") == []
    assert turn.parse_urls(" " + ", ".join(URLS) + " ") == URLS
    assert turn.parse_urls(URLS) == URLS
    with pytest.raises(ValueError, match="'stun:x' is not a turn"):
        turn.parse_urls("stun:x")


def test_transport_policy() -> None:
    assert turn.transport_policy("all") == "all" and turn.transport_policy("relay") == "relay"
    with pytest.raises(ValueError, match="LECTERN_ICE_TRANSPORT_POLICY must be one of all, relay"):
        turn.transport_policy("host")


def test_the_relays_credential_is_renewed_past_half_its_life() -> None:
    now = [1000.0]
    server = turn.RefreshingTurnServer(URLS, "s", ttl=600, clock=lambda: now[0])
    first = (server.username, server.credential)
    assert first == ("1600:relay", expected_password("s", "1600:relay"))
    now[0] = 1299.0  # 301 s left: kept
    assert (server.username, server.credential) == first
    now[0] = 1301.0  # 299 s left: renewed, and the password read next matches the new name
    assert (server.username, server.credential) == ("1901:relay", expected_password("s", "1901:relay"))
    assert server.urls == URLS


def configure(app: Flask, **extra: Any) -> None:
    app.config.update(LECTERN_TURN_URLS=",".join(URLS), LECTERN_TURN_SECRET="north-wind", LECTERN_TURN_TTL=600, **extra)


def check_minted(server: dict[str, Any], user_id: int) -> None:
    assert server["urls"] == URLS
    expires, who = server["username"].split(":")
    assert who == str(user_id) and int(expires) > time.time() + 590  # minted now, for LECTERN_TURN_TTL seconds
    assert server["credential"] == expected_password("north-wind", server["username"])


def test_ice_servers_are_the_static_ones_then_coturn_minted_per_user(app: Flask) -> None:
    static = {"urls": "stun:stun.example.org:3478"}
    app.config["LECTERN_ICE_SERVERS"] = json.dumps([static])
    assert ice_servers(app, 7) == [static]  # no TURN configured: nothing minted
    configure(app)
    servers = ice_servers(app, 7)
    assert servers[0] == static and len(servers) == 2
    check_minted(servers[1], 7)
    # The relay does not use TURN unless told it sits behind NAT.
    assert relay_ice_servers(app) == (IceServer(urls="stun:stun.example.org:3478"),)
    app.config["LECTERN_RELAY_TURN"] = True
    relay_turn = relay_ice_servers(app)[1]
    assert isinstance(relay_turn, turn.RefreshingTurnServer) and relay_turn.urls == URLS
    assert relay_turn.username is not None and relay_turn.username.endswith(":relay")


def test_turn_urls_without_the_secret_or_a_bad_policy_are_refused(app: Flask) -> None:
    app.config["LECTERN_TURN_URLS"] = URLS[0]
    with pytest.raises(ValueError, match="LECTERN_TURN_SECRET"):
        ice_servers(app, 1)
    app.config["LECTERN_ICE_TRANSPORT_POLICY"] = "none"
    with pytest.raises(ValueError, match="LECTERN_ICE_TRANSPORT_POLICY"):
        ice_transport_policy(app)


def test_the_join_ack_and_the_room_page_carry_the_users_own_credential(app: Flask, world: Any, client: Client) -> None:
    lecture, people = world
    configure(app, LECTERN_ICE_TRANSPORT_POLICY="relay")
    cadet = people["cadet"]
    ack = ask(connect(app, cadet.username), "join", {"lecture": lecture.id})
    assert ack["ok"], ack
    [server] = ack["ice_servers"]
    check_minted(server, cadet.id)

    client.login(cadet.username)
    page = client.get(f"/lectures/{lecture.id}/room").get_data(as_text=True)
    assert 'data-ice-transport-policy="relay"' in page
    found = re.search(r'data-ice-servers="([^"]*)"', page)
    assert found is not None
    [server] = json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    check_minted(server, cadet.id)
