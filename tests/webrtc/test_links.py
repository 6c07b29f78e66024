"""The impaired-link harness (tests/links.py): rate, delay, loss and its seed, shutdown, and aiortc peers behind it.

Plain UDP sockets measure the shaping; then a real aiortc subscriber of the real relay is routed through a link.
No database.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from lectern.webrtc.relay.inprocess import InProcessRelayClient
from tests.links import GOOD, KBPS256, Impairment, Link, Profile, chromium_conditions
from tests.webrtc.conftest import Loop, start_publisher, start_subscriber


@dataclass
class Echo(asyncio.DatagramProtocol):
    """A UDP endpoint that records what it receives (with arrival times) and can answer."""

    received: list[tuple[float, bytes]] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    echo: bool = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append((time.monotonic(), data))
        if self.echo and self.transport is not None:
            self.transport.sendto(data, addr)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])


async def endpoint(echo: bool = False) -> Echo:
    _, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: Echo(echo=echo), local_addr=("127.0.0.1", 0)
    )
    return protocol


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def one_way(imp: Impairment) -> Profile:
    return Profile("test", imp, imp)


async def pair(profile: Profile, seed: int | str = 0, echo: bool = False) -> tuple[Link, Echo, Echo, int]:
    """A link, the far end (the "relay") behind it, the near end (the "peer") and the link's port for the near end."""
    link = Link(profile, seed)
    far, near = await endpoint(echo), await endpoint()
    tunnel = await link.tunnel(("127.0.0.1", far.port))
    return link, far, near, tunnel.port


async def close(link: Link, *ends: Echo) -> None:
    await link.close()
    for end in ends:
        assert end.transport is not None
        end.transport.close()
    await asyncio.sleep(0)


@pytest.mark.parametrize("rate_kbps", [128, 256, 1000])
def test_the_rate_is_the_setting(loop: asyncio.AbstractEventLoop, rate_kbps: int) -> None:
    """Offered three times the rate for two seconds, the link delivers the rate (+-15%) and drops the excess."""

    async def run() -> tuple[float, int]:
        link, far, near, port = await pair(one_way(Impairment(rate_kbps, queue_ms=200)))
        assert near.transport is not None
        size, seconds = 1000, 2.0
        interval = size * 8 / (3 * rate_kbps * 1000)
        start = time.monotonic()
        sent = 0
        while time.monotonic() - start < seconds:
            # Send on the wall clock's schedule, however late the loop wakes: the offered load stays 3x.
            due = int((time.monotonic() - start) / interval) + 1
            for _ in range(due - sent):
                near.transport.sendto(bytes(size), ("127.0.0.1", port))
            sent = due
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.5)  # the queue drains
        arrivals = [t for t, _ in far.received]
        carried = sum(len(d) for _, d in far.received[1:])
        rate = carried * 8 / (arrivals[-1] - arrivals[0]) / 1000
        overflowed = link.up.counters.overflowed
        await close(link, far, near)
        return rate, overflowed

    rate, overflowed = loop.run_until_complete(run())
    assert rate_kbps * 0.85 <= rate <= rate_kbps * 1.15, rate
    assert overflowed > 0  # the bounded queue dropped what the rate could not carry


def test_a_packet_arrives_after_the_delay_each_way(loop: asyncio.AbstractEventLoop) -> None:
    async def run() -> list[float]:
        link, far, near, port = await pair(one_way(Impairment(delay_ms=150)), echo=True)
        assert near.transport is not None
        trips = []
        for n in range(5):
            sent = time.monotonic()
            near.transport.sendto(bytes([n]), ("127.0.0.1", port))
            deadline = sent + 5
            while len(near.received) <= n and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            trips.append(near.received[n][0] - sent)
            assert far.received[n][0] - sent >= 0.145  # asyncio may fire a timer up to its clock's resolution early
        await close(link, far, near)
        return trips

    trips = loop.run_until_complete(run())
    assert all(0.295 <= t < 1.0 for t in trips), trips


def test_the_loss_share_is_the_setting_and_the_seed_repeats_it(loop: asyncio.AbstractEventLoop) -> None:
    async def run(seed: int) -> list[int]:
        link, far, near, port = await pair(one_way(Impairment(loss=0.1)), seed)
        assert near.transport is not None
        for n in range(3000):
            near.transport.sendto(n.to_bytes(2, "big"), ("127.0.0.1", port))
            if n % 50 == 49:
                # The link takes in each burst before the next is sent, so the sockets' buffers never overflow (a
                # timed pause did not do that on a loaded machine: 18 of 3,000 were dropped before the link).
                until = time.monotonic() + 5
                while link.up.counters.packets_in <= n and time.monotonic() < until:
                    await asyncio.sleep(0.001)
        deadline = time.monotonic() + 10
        while link.up.counters.packets_in < 3000 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert link.up.counters.packets_in == 3000
        await asyncio.sleep(0.05)
        got = [int.from_bytes(d, "big") for _, d in far.received]
        assert link.up.counters.lost == 3000 - len(got)
        await close(link, far, near)
        return got

    first, again, other = (loop.run_until_complete(run(seed)) for seed in (7, 7, 8))
    assert 0.08 <= 1 - len(first) / 3000 <= 0.12
    assert first == again  # reproducible
    assert first != other  # and the seed matters


def test_closing_stops_everything_and_frees_the_ports(loop: asyncio.AbstractEventLoop) -> None:
    async def run() -> tuple[int, int, Echo]:
        link, far, near, port = await pair(one_way(Impairment(256, delay_ms=500)))
        assert near.transport is not None
        upstream = link.tunnels[("127.0.0.1", far.port)].upstream.transport
        assert upstream is not None
        upstream_port = upstream.get_extra_info("sockname")[1]
        for _ in range(20):
            near.transport.sendto(bytes(500), ("127.0.0.1", port))
        await asyncio.sleep(0.05)
        await close(link, near)  # packets still queued and delayed: they never leave
        await asyncio.sleep(0.7)
        return port, upstream_port, far

    port, upstream_port, far = loop.run_until_complete(run())
    assert far.received == []
    assert far.transport is not None
    far.transport.close()
    loop.run_until_complete(asyncio.sleep(0))
    for freed in (port, upstream_port):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", freed))


def test_route_moves_the_loopback_candidates_to_the_link(loop: asyncio.AbstractEventLoop) -> None:
    sdp = (
        "v=0\r\nm=audio 5000 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\n"
        "a=candidate:abc 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
        "m=video 5002 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 127.0.0.1\r\n"
        "a=candidate:def 1 udp 2130706431 127.0.0.1 5002 typ host\r\n"
    )

    async def run() -> tuple[str, dict[int, int]]:
        link = Link(GOOD)
        routed = await link.route(sdp)
        ports = {target[1]: t.port for target, t in link.tunnels.items()}
        await link.close()
        return routed, ports

    routed, ports = loop.run_until_complete(run())
    assert set(ports) == {5000, 5002}
    assert f"127.0.0.1 {ports[5000]} typ host" in routed and f"m=audio {ports[5000]} " in routed
    assert f"127.0.0.1 {ports[5002]} typ host" in routed and f"m=video {ports[5002]} " in routed
    assert " 5000 " not in routed and " 5002 " not in routed


def test_an_aiortc_cadet_behind_a_poor_link_gets_media_through_it(relay_client: InProcessRelayClient) -> None:
    """A real subscriber of the real relay, routed through a 256 kbps link: ICE connects through the link, media
    arrives, and everything it received crossed the link at no more than its rate."""
    aio = Loop()
    try:
        link = aio.run(make_link(KBPS256))
        pub = aio.run(start_publisher(relay_client, "L1"))
        sub = aio.run(start_subscriber(link.client(relay_client), "L1", "cadet"))
        deadline = time.monotonic() + 20
        while not (sub.frames["audio"] and sub.frames["video"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sub.frames["audio"] and sub.frames["video"], "no media through the link"
        started, down_bytes = time.monotonic(), link.down.counters.bytes_out
        time.sleep(3)
        rate = (link.down.counters.bytes_out - down_bytes) * 8 / (time.monotonic() - started) / 1000
        assert link.up.counters.packets_out > 0 and link.down.counters.packets_out > 0
        assert rate <= 256 * 1.15, rate  # the relay's stream is squeezed to the link's rate
        assert link.down.counters.lost > 0 or link.down.counters.overflowed > 0
        aio.run(sub.close())
        aio.run(pub.pc.close())
        aio.run(link.close())
    finally:
        aio.close()


async def make_link(profile: Profile) -> Link:
    return Link(profile, seed="aiortc")


def test_chromium_gets_the_same_figures() -> None:
    conditions = chromium_conditions(KBPS256)
    assert conditions["latency"] == 150  # one way: Chromium delays each direction
    assert conditions["downloadThroughput"] == conditions["uploadThroughput"] == 256_000 / 8
    assert conditions["packetLoss"] == 5
    assert conditions["packetQueueLength"] > 0
    assert chromium_conditions(GOOD)["downloadThroughput"] == -1
