"""Impaired links for tests and benchmarks: a userspace UDP forwarder for aiortc peers, and Chromium's emulation.

This kernel has no netem, so delay needs a userspace hop; a forwarder also needs no root and no network namespace,
so it runs wherever the tests run. `Link` sits on 127.0.0.1 between an aiortc peer and the relay:

    peer (aiortc) --> Link tunnel port --[up: loss, rate, queue, delay]--> relay's port
    peer (aiortc) <-- Link tunnel port <--[down: loss, rate, queue, delay]-- relay's port

The peer is pointed at the link by rewriting the relay's answer: every `a=candidate` on 127.0.0.1 (and the m-line's
default port) is replaced by the port of a tunnel that forwards to the real one. The relay sees the tunnel's upstream
socket as a peer-reflexive candidate; both directions of the nominated pair go through the link. Each direction is
shaped like `tc tbf` plus netem, in this order: random loss (seeded: the same packets in the same order lose the same
ones), then a rate limit (a pacer: a packet leaves when the packets before it have been serialised at `rate_kbps`),
with a bounded queue (a packet that would wait longer than `queue_ms` at the rate is dropped, as tbf's `latency`),
then a fixed one-way delay.

Profiles name the issue's links (issue 13). Their delays are ROUND TRIPS: "256 kbps / 300 ms / 5%" is 300 ms of
round trip, 150 ms each way, 5% loss each way (so about 10% of request/response pairs lose one of the two), 256 kbps
each way, with a queue of 1 s at the rate. `chromium_conditions` gives Chromium the same figures (see `emulate`).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Impairment:
    """One direction of a link. `rate_kbps` None: no rate limit (and no queue)."""

    rate_kbps: float | None = None
    delay_ms: float = 0.0  # one way
    loss: float = 0.0  # share of packets dropped at random, 0..1
    queue_ms: float = 1000.0  # the most a packet may wait for the rate, as bytes at `rate_kbps` (tbf's latency)

    @property
    def queue_bytes(self) -> float:
        return float("inf") if self.rate_kbps is None else self.rate_kbps * 1000 / 8 * self.queue_ms / 1000


@dataclass(frozen=True)
class Profile:
    """A named link: `down` carries what the relay sends the peer, `up` what the peer sends the relay."""

    name: str
    down: Impairment
    up: Impairment

    @property
    def rtt_ms(self) -> float:
        return self.down.delay_ms + self.up.delay_ms


def symmetric(name: str, rate_kbps: float | None, rtt_ms: float, loss: float, queue_ms: float = 1000.0) -> Profile:
    """The same rate and loss each way, half the round trip each way."""
    one_way = Impairment(rate_kbps, rtt_ms / 2, loss, queue_ms)
    return Profile(name, one_way, one_way)


GOOD = symmetric("good", None, 0, 0.0)
MBPS1 = symmetric("1 Mbps / 100 ms / 1%", 1000, 100, 0.01)
KBPS256 = symmetric("256 kbps / 300 ms / 5%", 256, 300, 0.05)
KBPS128 = symmetric("128 kbps / 600 ms / 10%", 128, 600, 0.10)
PROFILES = {"good": GOOD, "1mbps": MBPS1, "256kbps": KBPS256, "128kbps": KBPS128}


@dataclass
class Counters:
    """What one direction did with the packets it was given."""

    packets_in: int = 0
    bytes_in: int = 0
    lost: int = 0  # dropped at random
    overflowed: int = 0  # dropped because the queue was full
    packets_out: int = 0
    bytes_out: int = 0


class Shaper:
    """One direction: loss, then a paced queue of bounded size, then delay; `send` is called with what gets out."""

    def __init__(self, loop: asyncio.AbstractEventLoop, impairment: Impairment, rng: random.Random) -> None:
        self.loop = loop
        self.impairment = impairment
        self.rng = rng
        self.counters = Counters()
        self._free_at = 0.0  # loop time when the last accepted packet has been serialised
        self._queued = 0  # bytes accepted but not yet serialised
        self._timers: set[asyncio.TimerHandle] = set()
        self.closed = False

    def push(self, data: bytes, send: Callable[[bytes], None]) -> None:
        if self.closed:
            return
        c, imp = self.counters, self.impairment
        c.packets_in += 1
        c.bytes_in += len(data)
        if imp.loss and self.rng.random() < imp.loss:
            c.lost += 1
            return
        now = self.loop.time()
        leaves = now
        if imp.rate_kbps is not None:
            if self._queued + len(data) > imp.queue_bytes:
                c.overflowed += 1
                return
            # Virtual clock: a late loop catches up, so the long-run rate is exact even when timers fire late.
            leaves = max(now, self._free_at) + len(data) * 8 / (imp.rate_kbps * 1000)
            self._free_at = leaves
            self._queued += len(data)
            self._later(leaves, self._serialised, len(data))
        self._later(leaves + imp.delay_ms / 1000, self._deliver, data, send)

    def _later(self, when: float, callback: Callable[..., None], *args: Any) -> None:
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            callback(*args)

        handle = self.loop.call_at(when, fire)
        self._timers.add(handle)

    def _serialised(self, size: int) -> None:
        self._queued -= size

    def _deliver(self, data: bytes, send: Callable[[bytes], None]) -> None:
        if self.closed:
            return
        self.counters.packets_out += 1
        self.counters.bytes_out += len(data)
        send(data)

    def close(self) -> None:
        self.closed = True
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, tuple[str, int]], None]) -> None:
        self.on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable after a peer closed: not ours
        pass

    def sendto(self, data: bytes, addr: tuple[str, int] | None = None) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)


@dataclass
class Tunnel:
    """One forwarded port: the peer talks to `port`; the link talks to `target` from its own upstream socket."""

    target: tuple[str, int]
    client: _Side
    upstream: _Side
    port: int = 0
    peer: tuple[str, int] | None = None  # the last address the peer sent from; replies go there


@dataclass
class Link:
    """An impaired link on 127.0.0.1 with the given profile; `await link.route(answer_sdp)` points a peer at it.

    Both directions are shared by every tunnel of the link (a peer's audio and video transports share one link).
    Make it on the loop that will run it; `await link.close()` stops it.
    """

    profile: Profile
    seed: int | str = 0
    tunnels: dict[tuple[str, int], Tunnel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.down = Shaper(self.loop, self.profile.down, random.Random(f"{self.seed}:down"))  # noqa: S311 (seeded, reproducible loss)
        self.up = Shaper(self.loop, self.profile.up, random.Random(f"{self.seed}:up"))  # noqa: S311

    async def tunnel(self, target: tuple[str, int]) -> Tunnel:
        """A port of the link that forwards to `target` (made once per target)."""
        if target in self.tunnels:
            return self.tunnels[target]
        holder: list[Tunnel] = []

        def from_peer(data: bytes, addr: tuple[str, int]) -> None:
            t = holder[0]
            t.peer = addr
            self.up.push(data, lambda d: t.upstream.sendto(d, t.target))

        def from_target(data: bytes, addr: tuple[str, int]) -> None:
            t = holder[0]
            if addr == t.target and t.peer is not None:
                peer = t.peer
                self.down.push(data, lambda d: t.client.sendto(d, peer))

        _, client = await self.loop.create_datagram_endpoint(lambda: _Side(from_peer), local_addr=(LOOPBACK, 0))
        _, upstream = await self.loop.create_datagram_endpoint(lambda: _Side(from_target), local_addr=(LOOPBACK, 0))
        assert client.transport is not None
        tunnel = Tunnel(target, client, upstream, port=client.transport.get_extra_info("sockname")[1])
        holder.append(tunnel)
        self.tunnels[target] = tunnel
        return tunnel

    async def route(self, sdp: str) -> str:
        """The relay's SDP with its 127.0.0.1 candidates (and m-line ports) moved to this link's tunnels."""
        ports: dict[int, int] = {}
        for match in _CANDIDATE.finditer(sdp):
            target = int(match.group("port"))
            if target not in ports:
                ports[target] = (await self.tunnel((LOOPBACK, target))).port

        def candidate(m: re.Match[str]) -> str:
            return f"{m.group('head')}{ports[int(m.group('port'))]}{m.group('tail')}"

        def mline(m: re.Match[str]) -> str:
            port = int(m.group("port"))
            return f"{m.group('head')}{ports.get(port, port)}{m.group('tail')}"

        return _MLINE.sub(mline, _CANDIDATE.sub(candidate, sdp))

    def client(self, relay: Any) -> LinkedRelay:
        """`relay` (a RelayClient) as seen from behind this link: its subscribe answers are routed through it.
        For `tests/webrtc/conftest.py`'s `start_subscriber`, which calls `subscribe` from a worker thread."""
        return LinkedRelay(relay, self)

    async def close(self) -> None:
        self.down.close()
        self.up.close()
        for t in self.tunnels.values():
            for side in (t.client, t.upstream):
                if side.transport is not None:
                    side.transport.close()
        self.tunnels.clear()
        await asyncio.sleep(0)  # let the transports' close callbacks run


_CANDIDATE = re.compile(
    r"(?P<head>a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 )(?P<port>\d+)(?P<tail> typ \w+)", re.IGNORECASE
)
_MLINE = re.compile(r"(?P<head>m=\w+ )(?P<port>\d+)(?P<tail> )")


class LinkedRelay:
    """A RelayClient whose `subscribe` answers point at a `Link` (every other call passes through)."""

    def __init__(self, relay: Any, link: Link) -> None:
        self.relay, self.link = relay, link

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str) -> str:
        answer: str = self.relay.subscribe(lecture_id, peer_id, offer_sdp)
        if _on_loop(self.link.loop):
            raise RuntimeError("LinkedRelay.subscribe must be called off the link's loop (asyncio.to_thread)")
        return asyncio.run_coroutine_threadsafe(self.link.route(answer), self.link.loop).result(10)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.relay, name)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


# -- Chromium ---------------------------------------------------------------------------------------------------------


def chromium_conditions(profile: Profile) -> dict[str, Any]:
    """`Network.emulateNetworkConditions` parameters for a profile.

    Chromium's `latency` is documented for HTTP (request sent to response headers received), but for WebRTC's UDP
    sockets it delays every packet in each direction: measured here with Chromium 156, a `latency` of 300 gave an
    ICE round trip (candidate-pair currentRoundTripTime) of 612 ms on loopback. So it gets the ONE-WAY delay (half
    the profile's round trip). Throughputs are bytes per second (-1: unlimited). `packetLoss` is a percentage,
    applied to WebRTC packets in each direction. `packetQueueLength` bounds the WebRTC packets waiting for the rate
    (0: unbounded): the profile's `queue_ms` in 1200-byte packets, so an overfilled link loses packets rather than
    growing an endless queue. (`emulateNetworkConditions` is marked deprecated in 156 in favour of the experimental
    `emulateNetworkConditionsByRule`; both take these fields.)
    """
    down, up = profile.down, profile.up

    def throughput(imp: Impairment) -> float:
        return -1 if imp.rate_kbps is None else imp.rate_kbps * 1000 / 8

    queue = 0 if down.rate_kbps is None else max(1, int(down.queue_bytes // 1200))
    return {
        "offline": False,
        "latency": down.delay_ms,
        "downloadThroughput": throughput(down),
        "uploadThroughput": throughput(up),
        "packetLoss": 100 * max(down.loss, up.loss),
        "packetQueueLength": queue,
        "packetReordering": False,
    }


def emulate(page: Any, profile: Profile) -> Any:
    """Emulate `profile` on a Playwright page through the DevTools protocol; returns the CDP session, which must be
    kept (detaching it ends the emulation). Call it BEFORE the page connects: Chromium applies the conditions to
    peer connections made after they are set."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    if profile is not GOOD:
        session.send("Network.emulateNetworkConditions", chromium_conditions(profile))
    return session
