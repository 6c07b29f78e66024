"""Where the relay processes are, and which one carries each lecture: a registry in Redis that every web instance and
every relay shares. No aiortc, no Flask.

A relay process beats every BEAT_S (service.py): its id, address, region, capacity (the subscribers it takes) and load
(the subscribers it has) go to a Redis hash that expires after `ttl_s`, so a relay that stops beating (stopped, killed,
cut off) disappears from the registry within seconds. A lecture is placed on a live relay with room, in the wanted
region where one has room, the least loaded first; the placement is kept in Redis and claimed atomically, so every web
instance sends the lecture's participants to the same relay. A lecture whose relay is gone is placed again.

That relay is the lecture's origin: its publisher's, placed in the lecture's region (its academy's). A subscriber is
placed near its own region (`place_subscriber`): on the origin where it is in that region and has room, else on an
edge there, which pulls the lecture from the origin once (pipe.py) whatever its number of subscribers; the lecture's
edges are kept in Redis too, for every instance to find (a new origin feeds them, the end of the lecture closes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lectern.webrtc.relay.api import RelayError

BEAT_S = 1.0
TTL_S = 3.0  # three missed beats and a relay is gone

# Set the lecture's relay to ARGV[2] if it is still ARGV[1] ("" for none); answer the relay it has then.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
return current
"""


@dataclass(frozen=True)
class Node:
    """One relay process as it last beat."""

    id: str
    url: str
    region: str = ""
    capacity: int = 300
    load: int = 0

    @property
    def room(self) -> bool:
        """Whether it takes another subscriber (a capacity of 0: no limit, LECTERN_RELAY_CAPACITY)."""
        return self.capacity <= 0 or self.load < self.capacity


class RelayRegistry:
    """The relays and the lectures' placements, under `prefix` in Redis (`client`: a redis.Redis)."""

    def __init__(self, client: Any, prefix: str = "lectern:relays", ttl_s: float = TTL_S) -> None:
        self.client, self.prefix, self.ttl_s = client, prefix, ttl_s
        self._claim = client.register_script(_CLAIM)

    def _node_key(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}"

    def _lecture_key(self, lecture_id: str) -> str:
        return f"{self.prefix}:lecture:{lecture_id}"

    def _edges_key(self, lecture_id: str) -> str:
        return f"{self.prefix}:edges:{lecture_id}"

    def beat(self, node: Node) -> None:
        """A relay says it is alive, with its load now."""
        key = self._node_key(node.id)
        fields = {"url": node.url, "region": node.region, "capacity": node.capacity, "load": node.load}
        pipe = self.client.pipeline()
        pipe.hset(key, mapping=fields)
        pipe.pexpire(key, int(self.ttl_s * 1000))
        pipe.execute()

    def forget(self, node_id: str) -> None:
        """A relay that stops says so at once, rather than let its entry expire."""
        self.client.delete(self._node_key(node_id))

    def nodes(self) -> list[Node]:
        """The live relays, by id."""
        keys = sorted(self.client.scan_iter(match=self._node_key("*"), count=500))
        pipe = self.client.pipeline()
        for key in keys:
            pipe.hgetall(key)
        found = []
        for key, fields in zip(keys, pipe.execute(), strict=True):
            values = {_text(k): _text(v) for k, v in fields.items()}
            if "url" not in values:
                continue  # expired between the scan and the read
            node_id = _text(key).removeprefix(self._node_key(""))
            found.append(
                Node(
                    node_id,
                    values["url"],
                    values.get("region", ""),
                    int(values.get("capacity") or 0),
                    int(values.get("load") or 0),
                )
            )
        return found

    def placed(self, lecture_id: str) -> Node | None:
        """The live relay carrying a lecture, or None."""
        node_id = self.client.get(self._lecture_key(lecture_id))
        if node_id is None:
            return None
        return next((n for n in self.nodes() if n.id == _text(node_id)), None)

    def place(self, lecture_id: str, region: str = "", exclude: frozenset[str] = frozenset()) -> Node:
        """The lecture's relay: the one it has if that one is alive, else a live one with room (in `region` where
        one has room; the least loaded for its capacity), claimed for it. `exclude`: relays known to be gone though
        their entries have not expired yet. RelayError when no relay has room."""
        nodes = {n.id: n for n in self.nodes() if n.id not in exclude}
        key = self._lecture_key(lecture_id)
        current = self.client.get(key)
        current_id = _text(current) if current is not None else ""
        if current_id in nodes:
            return nodes[current_id]
        with_room = [n for n in nodes.values() if n.room]
        if not with_room:
            raise RelayError("no relay has room for another lecture" if nodes else "no relay is running")
        pool = [n for n in with_room if region and n.region == region] or with_room
        best = min(pool, key=lambda n: (n.load / max(n.capacity, 1), n.id))
        winner = _text(self._claim(keys=[key], args=[current_id, best.id]))
        return nodes.get(winner, best)

    def place_subscriber(
        self, lecture_id: str, region: str, origin: Node, exclude: frozenset[str] = frozenset()
    ) -> Node:
        """Where a subscriber from `region` receives the lecture whose origin is `origin`: among the live relays
        with room, those in its region if there are any; of them the origin itself, else one of the lecture's edges
        (the least loaded), else the least loaded, which becomes an edge (`add_edge`). Past every relay's room,
        the origin (which refuses with its notice when full)."""
        nodes = [n for n in self.nodes() if n.id not in exclude]
        with_room = [n for n in nodes if n.room or n.id == origin.id]
        if not origin.room:
            with_room = [n for n in with_room if n.id != origin.id]
        pool = (
            [n for n in with_room if region and n.region == region]
            or [n for n in with_room if not region or n.region == origin.region]
            or with_room
        )
        if not pool:
            return origin
        if any(n.id == origin.id for n in pool):
            return origin
        edges = {_text(e) for e in self.client.hkeys(self._edges_key(lecture_id))}
        serving = [n for n in pool if n.id in edges]
        return min(serving or pool, key=lambda n: (n.load / max(n.capacity, 1), n.id))

    def add_edge(self, lecture_id: str, node_id: str) -> None:
        """A relay carries the lecture as an edge of its origin."""
        self.client.hset(self._edges_key(lecture_id), node_id, "1")

    def remove_edge(self, lecture_id: str, node_id: str) -> None:
        """A relay no longer carries the lecture as an edge (it is gone, or it became the origin)."""
        self.client.hdel(self._edges_key(lecture_id), node_id)

    def edges(self, lecture_id: str) -> list[Node]:
        """The live relays carrying the lecture as edges."""
        edges = {_text(e) for e in self.client.hkeys(self._edges_key(lecture_id))}
        return [n for n in self.nodes() if n.id in edges] if edges else []

    def release(self, lecture_id: str) -> None:
        """The lecture is over: its placement goes, and its edges."""
        self.client.delete(self._lecture_key(lecture_id), self._edges_key(lecture_id))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
