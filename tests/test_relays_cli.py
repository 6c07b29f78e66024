"""`flask lectern relays`: the relay processes in the registry as an operator checks them (deploy/README.md), read
from real Redis under a prefix of this test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from lectern import create_app
from lectern.webrtc.relay.registry import Node, RelayRegistry

REDIS_URL = "redis://127.0.0.1:6379/10"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A registry key of this test's own (Redis is part of the test environment: never a silent skip)."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is unreachable: {exc}", pytrace=False)
    name = f"lectern-test:{uuid.uuid4().hex}:relays"
    yield name
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)
    client.close()


def _app(tmp_path: Path, **config: Any) -> Flask:
    """An application that touches no database: the command reads Redis only."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "relays-cli-test-key",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            **config,
        }
    )


def test_lists_every_live_relay_with_its_address_region_capacity_and_load(tmp_path: Path, prefix: str) -> None:
    registry = RelayRegistry(redis.Redis.from_url(REDIS_URL, socket_timeout=2), prefix, ttl_s=30)
    registry.beat(Node("http://127.0.0.1:5110", "http://127.0.0.1:5110", "lv", 300, 12))
    registry.beat(Node("riga-2", "http://10.0.0.7:5111", "", 1000, 0))
    app = _app(tmp_path, REDIS_URL=REDIS_URL, LECTERN_RELAY_REGISTRY_KEY=prefix)

    result = app.test_cli_runner().invoke(args=["lectern", "relays"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "url", "region", "capacity", "load"]
    assert lines[1].split() == ["http://127.0.0.1:5110", "http://127.0.0.1:5110", "lv", "300", "12"]
    assert lines[2].split() == ["riga-2", "http://10.0.0.7:5111", "-", "1000", "0"]
    assert lines[3] == f"2 relays under {prefix!r}."


def test_a_relay_that_stopped_beating_is_gone_and_none_left_is_an_error(tmp_path: Path, prefix: str) -> None:
    registry = RelayRegistry(redis.Redis.from_url(REDIS_URL, socket_timeout=2), prefix, ttl_s=30)
    registry.beat(Node("a", "http://127.0.0.1:5110", "lv"))
    registry.forget("a")  # as a relay does when it stops
    app = _app(tmp_path, REDIS_URL=REDIS_URL, LECTERN_RELAY_REGISTRY_KEY=prefix)

    result = app.test_cli_runner().invoke(args=["lectern", "relays"])

    assert result.exit_code == 1
    assert f"No relay is registered under {prefix!r}" in result.output


@pytest.mark.parametrize(
    ("redis_url", "message"),
    [
        (None, "set REDIS_URL"),
        ("redis://127.0.0.1:1/0", "Redis (REDIS_URL) did not answer"),  # nothing listens on port 1
    ],
)
def test_without_redis_it_says_why(tmp_path: Path, redis_url: str | None, message: str) -> None:
    app = _app(tmp_path, REDIS_URL=redis_url)

    result = app.test_cli_runner().invoke(args=["lectern", "relays"])

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
