"""Where the relay processes are, and which one carries each lecture: a registry in Redis that every web instance and
every relay shares. No aiortc, no Flask.

A relay process beats every BEAT_S (service.py): its id, address, region, capacity (the subscribers it takes) and load
(the subscribers it has) go to a Redis hash that expires after `ttl_s`, so a relay that stops beating (stopped, killed,
cut off) disappears from the registry within seconds. A lecture is placed on a live relay with room, in the wanted
region where one has room, the least loaded first; the placement is kept in Redis and claimed atomically, so every web
instance sends the lecture's participants to the same relay. A lecture whose relay is gone is placed again.
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
        return self.load < self.capacity


class RelayRegistry:
    """The relays and the lectures' placements, under `prefix` in Redis (`client`: a redis.Redis)."""

    def __init__(self, client: Any, prefix: str = "lectern:relays", ttl_s: float = TTL_S) -> None:
        self.client, self.prefix, self.ttl_s = client, prefix, ttl_s
        self._claim = client.register_script(_CLAIM)

    def _node_key(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}"

    def _lecture_key(self, lecture_id: str) -> str:
        return f"{self.prefix}:lecture:{lecture_id}"

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

    def place(self, lecture_id: str, region: str = "") -> Node:
        """The lecture's relay: the one it has if that one is alive, else a live one with room (in `region` where
        one has room; the least loaded for its capacity), claimed for it. RelayError when no relay has room."""
        nodes = {n.id: n for n in self.nodes()}
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

    def release(self, lecture_id: str) -> None:
        """The lecture is over: its placement goes."""
        self.client.delete(self._lecture_key(lecture_id))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
