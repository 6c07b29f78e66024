"""The registry of relay processes in real Redis (lectern.webrtc.relay.registry): relays that beat are chosen, one
that stops beating is not; placement honours room, load and region, and every web instance finds the same relay for
a lecture. Then two real relay processes beating in Redis, a lecture on each, and one killed."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from lectern.texts import N_
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.registry import Node, RelayRegistry
from lectern.webrtc.relay.remote import RoutingRelayClient
from tests.webrtc.conftest import relay_environment, spawn_relay, stop_relay

REDIS_URL = "redis://127.0.0.1:6379/13"
SECRET = "the registry test's secret"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own in Redis (Redis is part of the test environment: never a silent skip)."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is unreachable: {exc}", pytrace=False)
    name = f"lectern-test:{uuid.uuid4().hex}"
    yield name
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)
    client.close()


def _registry(prefix: str, ttl_s: float = 3.0) -> RelayRegistry:
    return RelayRegistry(redis.Redis.from_url(REDIS_URL, socket_timeout=2), prefix, ttl_s)


def test_a_relay_that_stops_beating_is_no_longer_chosen(prefix: str) -> None:
    registry = _registry(prefix, ttl_s=0.4)
    registry.beat(Node("a", "http://10.0.0.1:5100"))
    registry.beat(Node("b", "http://10.0.0.2:5100", load=50))
    assert [n.id for n in registry.nodes()] == ["a", "b"]
    assert registry.place("L1").id == "a"  # the least loaded
    for _ in range(4):  # b goes on beating, a has stopped
        time.sleep(0.2)
        registry.beat(Node("b", "http://10.0.0.2:5100", load=50))
    assert [n.id for n in registry.nodes()] == ["b"]
    assert registry.placed("L1") is None  # its relay is gone
    assert registry.place("L1").id == "b"
    assert registry.place("L2").id == "b"
    registry.forget("b")
    with pytest.raises(RelayError, match="no relay is running"):
        registry.place("L3")


def test_placement_honours_room_load_and_region(prefix: str) -> None:
    registry = _registry(prefix)
    registry.beat(Node("riga", "http://riga:5100", region="lv", capacity=100, load=90))
    registry.beat(Node("bishkek-1", "http://b1:5100", region="kg", capacity=100, load=100))  # full
    registry.beat(Node("bishkek-2", "http://b2:5100", region="kg", capacity=300, load=150))
    registry.beat(Node("almaty", "http://almaty:5100", region="kz", capacity=100, load=10))
    assert registry.place("for-kg", region="kg").id == "bishkek-2"  # in the region, the one with room
    assert registry.place("for-lv", region="lv").id == "riga"  # in the region, though busier than almaty
    assert registry.place("anywhere").id == "almaty"  # no region: the least loaded for its capacity
    assert registry.place("for-tj", region="tj").id == "almaty"  # none in the region: the least loaded
    for node in registry.nodes():
        registry.beat(Node(node.id, node.url, node.region, node.capacity, node.capacity))
    assert registry.place("for-kg", region="kg").id == "bishkek-2"  # a placed lecture stays where it is
    with pytest.raises(RelayError, match="no relay has room"):
        registry.place("one-more")
    registry.beat(Node("unlimited", "http://u:5100", capacity=0, load=5000))  # LECTERN_RELAY_CAPACITY=0: no limit
    assert registry.place("one-more").id == "unlimited"


def test_subscribers_go_to_the_origin_in_its_region_and_to_an_edge_near_them_elsewhere(prefix: str) -> None:
    registry = _registry(prefix)
    registry.beat(Node("riga", "http://riga:5100", region="lv", capacity=100, load=10))
    registry.beat(Node("bishkek-1", "http://b1:5100", region="kg", capacity=100, load=50))
    registry.beat(Node("bishkek-2", "http://b2:5100", region="kg", capacity=100, load=20))
    registry.beat(Node("almaty", "http://almaty:5100", region="kz", capacity=100, load=100))  # full
    origin = registry.place("L1", region="lv")
    assert origin.id == "riga"
    assert registry.place_subscriber("L1", "lv", origin).id == "riga"  # the origin's own region: the origin
    first = registry.place_subscriber("L1", "kg", origin)
    assert first.id == "bishkek-2"  # the least loaded in the region becomes the lecture's edge there
    registry.add_edge("L1", first.id)
    registry.beat(Node("bishkek-2", "http://b2:5100", region="kg", capacity=100, load=60))
    # The region's edge of the lecture goes on taking its subscribers (one stream across the link), though busier.
    assert registry.place_subscriber("L1", "kg", origin).id == "bishkek-2"
    assert [n.id for n in registry.edges("L1")] == ["bishkek-2"]
    # A region whose relays are full, or that has none: back to the origin's region.
    assert registry.place_subscriber("L1", "kz", origin).id == "riga"
    assert registry.place_subscriber("L1", "tj", origin).id == "riga"
    # A relay known to be gone is passed over before its entry expires.
    assert registry.place_subscriber("L1", "kg", origin, exclude=frozenset({"bishkek-2"})).id == "bishkek-1"
    # An origin that is full sends its region's subscribers to another relay, which becomes an edge.
    registry.beat(Node("riga", "http://riga:5100", region="lv", capacity=100, load=100))
    origin = registry.placed("L1")
    assert origin is not None
    assert registry.place_subscriber("L1", "lv", origin).id == "bishkek-2"
    registry.release("L1")
    assert registry.edges("L1") == [] and registry.placed("L1") is None


class _FakeRelay:
    """A relay as RoutingRelayClient calls it, answering or refusing as full."""

    def __init__(self, url: str, full: bool) -> None:
        self.url, self.full, self.pulled, self.subscribed = url, full, [], []

    def open_lecture(self, lecture_id: str) -> None:
        pass

    def pull(self, lecture_id: str, origin_url: str, edge_id: str) -> None:
        self.pulled.append((lecture_id, origin_url))

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str) -> str:
        if self.full:
            raise RelayError("the relay is full (100 subscribers)", N_("The lecture's relay is full."))
        self.subscribed.append(peer_id)
        return f"answer from {self.url}"


def test_a_relay_found_full_at_the_offer_is_passed_over_for_the_next(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two beats a relay may fill up: its refusal sends the subscriber on to the next relay with room; when
    every one is full, the notice stands."""
    registry = _registry(prefix)
    registry.beat(Node("riga", "http://riga:5100", region="lv", load=10))
    registry.beat(Node("bishkek-1", "http://b1:5100", region="kg", load=20))
    registry.beat(Node("bishkek-2", "http://b2:5100", region="kg", load=50))
    relays = {
        "http://riga:5100": _FakeRelay("http://riga:5100", full=False),
        "http://b1:5100": _FakeRelay("http://b1:5100", full=True),  # its beat is a second old
        "http://b2:5100": _FakeRelay("http://b2:5100", full=False),
    }
    web = RoutingRelayClient(registry, SECRET)
    monkeypatch.setattr(web, "_client", lambda node: relays[node.url])
    web.open_lecture("L1", region="lv")
    assert web.subscribe("L1", "cadet", "offer", region="kg") == "answer from http://b2:5100"
    assert relays["http://b2:5100"].pulled == [("L1", "http://riga:5100")]
    for relay in relays.values():
        relay.full = True
    with pytest.raises(RelayError, match="full") as refused:
        web.subscribe("L1", "another", "offer", region="kg")
    assert refused.value.text is not None
    web.shutdown()


def test_every_web_instance_finds_the_same_relay_for_a_lecture(prefix: str) -> None:
    """Eight web instances place the same lecture at once: one claim wins, and all of them get it."""
    setup = _registry(prefix)
    for i in range(4):
        setup.beat(Node(f"relay-{i}", f"http://relay-{i}:5100", load=0))
    go, found = threading.Barrier(8), []

    def instance() -> None:
        registry = _registry(prefix)
        go.wait()
        found.append(registry.place("L1").id)

    threads = [threading.Thread(target=instance) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(found) == 8 and len(set(found)) == 1, found


@pytest.fixture
def relay_processes(prefix: str, tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Two `flask lectern relay` processes beating in Redis under the test's prefix, in regions "one" and "two"."""
    processes = []
    try:
        for name in ("one", "two"):
            env = relay_environment(
                tmp_path,
                LECTERN_RELAY_SECRET=SECRET,
                LECTERN_RELAYS="registry",
                REDIS_URL=REDIS_URL,
                LECTERN_RELAY_REGISTRY_KEY=prefix,
                LECTERN_RELAY_REGION=name,
            )
            processes.append(spawn_relay(env)[0])
        yield processes
    finally:
        for process in processes:
            stop_relay(process)


def test_lectures_go_to_the_relays_that_beat_and_leave_a_killed_one(
    prefix: str, relay_processes: list[subprocess.Popen[str]]
) -> None:
    registry = _registry(prefix)
    deadline = time.monotonic() + 10
    while len(registry.nodes()) < 2:
        assert time.monotonic() < deadline, "the relays never beat"
        time.sleep(0.1)
    regions = {n.region: n for n in registry.nodes()}
    assert set(regions) == {"one", "two"} and all(n.url.startswith("http://127.0.0.1:") for n in regions.values())
    web_one, web_two = RoutingRelayClient(registry, SECRET, "one"), RoutingRelayClient(_registry(prefix), SECRET, "two")
    web_one.open_lecture("A")  # placed near the instance that asked
    web_two.open_lecture("B")
    assert registry.placed("A") == regions["one"] and registry.placed("B") == regions["two"]
    assert web_two.stats("A")["subscribers"] == {}  # web instance two reaches A on relay one
    # kill -9 the relay of A: it stops beating, and A is placed again on the live one, opened there.
    relay_processes[0].send_signal(signal.SIGKILL)
    relay_processes[0].wait(10)
    deadline = time.monotonic() + 10
    while registry.placed("A") is not None:
        assert time.monotonic() < deadline, "the killed relay stayed in the registry"
        time.sleep(0.2)
    assert web_two.stats("A")["subscribers"] == {}  # answered by relay two, where A was opened again
    assert registry.placed("A") == registry.placed("B")
    web_one.shutdown()
    web_two.shutdown()
