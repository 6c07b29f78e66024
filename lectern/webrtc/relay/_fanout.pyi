"""The relay's fan-out loop in C (_fanout.c): the types its callers see."""

from collections.abc import Callable
from typing import Any

def fan_out(
    source: Any,
    subscribers: list[Any],
    kind: str,
    red: bool,
    seq: int,
    ts: int,
    keyframe: bool,
    epoch: int,
    template_for: Callable[[Any], tuple[str, bytes, int]],
    forward: Callable[[Any, Any], None],
    /,
) -> None: ...
def bind(protect_address: int, connected: object, max_packet: int, /) -> None: ...
def sockaddr(host: str, port: int, /) -> bytes: ...
