"""The relay API's signatures and arguments (lectern.webrtc.relay.wire): what the relay process accepts and refuses."""

from __future__ import annotations

import pytest

from lectern.webrtc.relay import wire

SECRET = "a shared secret"
BODY = b'{"lecture_id": "L1"}'
NOW = 1_800_000_000.0


def _headers(secret: str = SECRET, body: bytes = BODY, at: float = NOW, path: str = "/v1/open_lecture") -> dict:
    return wire.sign(secret, "POST", path, body, at)


def test_a_signed_request_is_accepted_within_its_time() -> None:
    for skew in (0, 29, -29):
        wire.verify(SECRET, "POST", "/v1/open_lecture", BODY, _headers(at=NOW + skew), NOW)


@pytest.mark.parametrize(
    ("headers", "body", "path", "reason"),
    [
        ({}, BODY, "/v1/open_lecture", "unsigned"),
        ({wire.TIME_HEADER: str(int(NOW))}, BODY, "/v1/open_lecture", "unsigned"),
        (_headers(at=NOW - 31), BODY, "/v1/open_lecture", "expired"),
        (_headers(at=NOW + 31), BODY, "/v1/open_lecture", "expired"),
        (_headers(secret="another secret"), BODY, "/v1/open_lecture", "wrong signature"),
        (_headers(), b'{"lecture_id": "L2"}', "/v1/open_lecture", "wrong signature"),  # the body changed
        (_headers(), BODY, "/v1/close_lecture", "wrong signature"),  # sent to another call
        ({**_headers(), wire.TIME_HEADER: "soon"}, BODY, "/v1/open_lecture", "not a number"),
    ],
)
def test_an_unsigned_forged_or_old_request_is_refused(headers: dict, body: bytes, path: str, reason: str) -> None:
    with pytest.raises(wire.SignatureError, match=reason):
        wire.verify(SECRET, "POST", path, body, headers, NOW)


@pytest.mark.parametrize(
    ("call", "data", "problem"),
    [
        ("reboot", {}, "unknown call"),
        ("open_lecture", [], "JSON object"),
        ("open_lecture", {}, "missing arguments: lecture_id"),
        ("open_lecture", {"lecture_id": "L1", "x": 1}, "unknown arguments: x"),
        ("open_lecture", {"lecture_id": 5}, "lecture_id must be a string"),
        ("add_ice_candidate", {"lecture_id": "L", "peer_id": "p", "candidate": "c", "sdp_mline_index": "0"}, "integer"),
        ("leave", {"lecture_id": "L", "peer_id": None}, "must not be null"),
    ],
)
def test_arguments_are_checked_and_named(call: str, data: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        wire.arguments(call, data)


def test_optional_arguments_may_be_left_out_or_null() -> None:
    data = {"lecture_id": "L", "peer_id": "p", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdp_mid": None}
    assert wire.arguments("add_ice_candidate", data) == data
