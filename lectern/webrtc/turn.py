"""Time-limited TURN credentials, as coturn's `use-auth-secret` checks them (the TURN REST API).

The scheme (draft-uberti-behave-turn-rest): Lectern and coturn share one secret (coturn's `static-auth-secret`,
Lectern's LECTERN_TURN_SECRET). The username is "<expiry as Unix time>:<who>", the password is
base64(HMAC-SHA1(secret, username)). coturn recomputes the password from the username and refuses it once the
expiry has passed, so nothing is stored anywhere and a leaked credential dies by itself.

Pure: no Flask, no clock of its own (callers pass the time), no network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TRANSPORT_POLICIES = ("all", "relay")


@dataclass(frozen=True)
class TurnCredential:
    """One minted credential: what an `RTCIceServer` takes as `username` and `credential`, and when it expires."""

    username: str
    credential: str
    expires: int


def mint(secret: str, who: str | int, now: float, ttl: int) -> TurnCredential:
    """A credential for `who` (a user's id, or "relay") valid from `now` for `ttl` seconds."""
    if not secret:
        raise ValueError("the TURN secret is empty")
    if ttl <= 0:
        raise ValueError("the TURN credential lifetime must be positive")
    who = str(who)
    if ":" in who:
        raise ValueError("the TURN user may not contain ':' (coturn's separator)")
    expires = int(now) + ttl
    username = f"{expires}:{who}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode("ascii"), expires)


def parse_urls(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """TURN URLs from configuration: a list, or one comma-separated string. Each must be a turn: or turns: URL."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    urls = [u.strip() for u in items if u.strip()]
    for url in urls:
        if not url.startswith(("turn:", "turns:")):
            raise ValueError(f"LECTERN_TURN_URLS: {url!r} is not a turn: or turns: URL")
    return urls


def transport_policy(value: str) -> str:
    """The ICE transport policy for browsers: "all" (the default), or "relay" to use TURN only."""
    if value not in TRANSPORT_POLICIES:
        raise ValueError(f"LECTERN_ICE_TRANSPORT_POLICY must be one of {', '.join(TRANSPORT_POLICIES)}")
    return value


class RefreshingTurnServer:
    """A TURN server for the relay's own peer connections, whose credential is minted afresh when half of its
    lifetime has passed. Reads `urls`, then `username`, then `credential` (as the relay does when it makes a peer
    connection): reading `username` is what renews the pair, so the credential read next always matches it."""

    def __init__(
        self, urls: list[str], secret: str, ttl: int, who: str = "relay", clock: Callable[[], float] = time.time
    ) -> None:
        self.urls: str | list[str] = list(urls)
        self._secret, self._ttl, self._who, self._clock = secret, ttl, who, clock
        self._lock = threading.Lock()
        self._current = mint(secret, who, clock(), ttl)

    @property
    def username(self) -> str | None:
        """The current username, renewed first if the current credential is past half of its lifetime."""
        with self._lock:
            now = self._clock()
            if self._current.expires - now < self._ttl / 2:
                self._current = mint(self._secret, self._who, now, self._ttl)
            return self._current.username

    @property
    def credential(self) -> str | None:
        """The password that goes with the username read last."""
        with self._lock:
            return self._current.credential
