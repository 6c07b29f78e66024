"""The packages whose internals the relay uses are pinned exactly, checked when the relay starts, and on a mismatch
the relay warns and forwards through aiortc's own send path: with real aiortc peers, media still flows."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import re
import time
import tomllib
from pathlib import Path

import pytest
from aioice.ice import StunProtocol

from lectern.webrtc.relay import seams as relay_seams
from lectern.webrtc.relay.api import RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from tests.webrtc.conftest import FPS, start_publisher, start_subscriber

ROOT = Path(__file__).resolve().parents[3]


def test_the_seams_packages_are_pinned_exactly_and_installed_so() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    for name, version in relay_seams.PINNED.items():
        assert f"{name}=={version}" in dependencies, name
        assert f"{name}=={version}" in lock, name
        assert importlib.metadata.version(name) == version, name
    assert relay_seams.direct_path_problem() is None


def test_a_missing_internal_turns_the_direct_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(StunProtocol, "send_data")
    problem = relay_seams.direct_path_problem()
    assert problem is not None and "send_data" in problem


@pytest.mark.parametrize("package", ["aioice", "pylibsrtp"])
def test_on_a_version_mismatch_the_relay_warns_and_media_still_flows(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, package: str
) -> None:
    real_version = importlib.metadata.version

    def version(name: str) -> str:
        return "0.0.1" if re.sub(r"[-_.]+", "-", name).lower() == package else real_version(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    caplog.set_level(logging.WARNING, logger="lectern.webrtc")
    client = InProcessRelayClient(RelayOptions(loopback_only=True))
    try:
        client.open_lecture("L1")
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("aiortc's own send path" in m and f"{package} 0.0.1" in m for m in warnings), warnings

        async def scenario() -> tuple[float, float]:
            pub = await start_publisher(client, "L1")
            sub = await start_subscriber(client, "L1", "cadet")
            await asyncio.sleep(1.0)
            t0 = time.monotonic()
            await asyncio.sleep(2.0)
            t1 = time.monotonic()
            tracks = client.relay.lectures["L1"].subscribers["cadet"].tracks
            assert {kind: out.direct for kind, out in tracks.items()} == {"audio": None, "video": None}
            rates = sub.fps(t0, t1), pub.track.fps(t0, t1)
            assert len(sub.frames["audio"]) >= 50
            await sub.close()
            await pub.pc.close()
            return rates

        received, published = asyncio.run(scenario())
        assert published >= 0.7 * FPS and received >= 0.7 * published, (received, published)
        stats = client.stats("L1")["subscribers"]["cadet"]
        assert stats["packets_dropped"] == 0 and stats["tracks"]["video"]["packets_forwarded"] > 0
    finally:
        client.shutdown()
