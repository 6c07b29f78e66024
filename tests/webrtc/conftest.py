"""Real aiortc peers over loopback for the relay tests: a synthetic publisher and decoding subscribers.

No mocks: every peer is an RTCPeerConnection talking DTLS-SRTP to the relay over 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import av
import pytest
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from flask import Flask

from lectern.platform.models import Role
from lectern.webrtc.relay.api import RelayClient, RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.seams import allow_loopback
from tests import factories
from tests.conftest import Client

WIDTH, HEIGHT, FPS = 320, 240, 30
LOW_WIDTH, LOW_HEIGHT = 160, 120
T = TypeVar("T")


class NoiseVideoTrack(VideoStreamTrack):
    """Frames with a band of noise sliding down a flat background, so the encoder has real work every frame.

    Every frame is a fresh av.VideoFrame: aiortc marks the frame it was handed as a keyframe after a PLI, and a
    reused frame would keep that mark forever (DESIGN.md section 3).
    """

    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        super().__init__()
        self.width, self.height = width, height
        self._band = width * (height // 8)
        self._noise = os.urandom(self._band * 4)
        self._flat = bytes([96]) * (width * height)
        self._chroma = bytes([128]) * (width * height // 4)
        self._index = 0
        self.produced: list[float] = []

    def fps(self, since: float, until: float) -> float:
        """Frames handed to the encoder per second in a window: the rate subscribers are compared with."""
        return sum(1 for t in self.produced if since <= t < until) / (until - since)

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        self.produced.append(time.monotonic())
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        size = self.width * self.height
        top = (self._index * self.width * 4) % (size - self._band)
        noise_at = (self._index * 4099) % (self._band * 3)
        self._index += 1
        luma = self._flat[:top] + self._noise[noise_at : noise_at + self._band] + self._flat[top + self._band :]
        frame.planes[0].update(luma)
        frame.planes[1].update(self._chroma)
        frame.planes[2].update(self._chroma)
        frame.pts, frame.time_base = pts, time_base
        return frame


def new_pc(bundle: RTCBundlePolicy = RTCBundlePolicy.BALANCED) -> RTCPeerConnection:
    """A peer connection that never asks a public STUN server."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=bundle))


@dataclass
class Publisher:
    pc: RTCPeerConnection
    video_sender: RTCRtpSender
    track: NoiseVideoTrack
    keyframe_requests: list[float] = field(default_factory=list)
    low_track: NoiseVideoTrack | None = None


async def start_publisher(client: RelayClient, lecture: str, peer: str = "pub", low: bool = False) -> Publisher:
    """Publish a synthetic VP8 + Opus stream to the relay; with `low`, a second, smaller video (the low version),
    bundled as a browser bundles: everything on one transport from the offer on (max-bundle)."""
    pc = new_pc(RTCBundlePolicy.MAX_BUNDLE if low else RTCBundlePolicy.BALANCED)
    if low:  # the room page's order: audio, the high video, the low video
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    track = NoiseVideoTrack()
    video = pc.addTransceiver(track, direction="sendonly")
    low_track = None
    if low:
        low_track = NoiseVideoTrack(LOW_WIDTH, LOW_HEIGHT)
        pc.addTransceiver(low_track, direction="sendonly")
    else:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    publisher = Publisher(pc, video.sender, track, low_track=low_track)
    # Observe the encoder being asked for a keyframe (seam covered in test_aiortc_seams.py).
    original = video.sender._send_keyframe

    def send_keyframe() -> None:
        publisher.keyframe_requests.append(time.monotonic())
        original()

    video.sender._send_keyframe = send_keyframe
    allow_loopback(pc)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await asyncio.to_thread(client.publish, lecture, peer, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return publisher


@dataclass
class Subscriber:
    peer: str
    pc: RTCPeerConnection
    tracks: dict[str, MediaStreamTrack] = field(default_factory=dict)
    frames: dict[str, list[float]] = field(default_factory=lambda: {"audio": [], "video": []})
    sizes: set[tuple[int, int]] = field(default_factory=set)
    # Each decoded video frame's (arrival time, width, height), in order.
    video_log: list[tuple[float, int, int]] = field(default_factory=list)
    joined_at: float = 0.0
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    def fps(self, since: float, until: float) -> float:
        """Decoded video frames per second in a window."""
        return sum(1 for t in self.frames["video"] if since <= t < until) / (until - since)

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await self.pc.close()


async def _read(sub: Subscriber, kind: str) -> None:
    track = sub.tracks[kind]
    while True:
        frame = await track.recv()
        if isinstance(frame, av.VideoFrame):
            sub.sizes.add((frame.width, frame.height))
            sub.video_log.append((time.monotonic(), frame.width, frame.height))
        sub.frames[kind].append(time.monotonic())


async def start_subscriber(
    client: RelayClient, lecture: str, peer: str, read: bool = True, prepare: Any = None
) -> Subscriber:
    """Subscribe with a recvonly offer; decode what arrives unless `read` is False."""
    pc = new_pc()
    sub = Subscriber(peer, pc)
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        sub.tracks[track.kind] = track
        if read:
            sub.readers.append(asyncio.ensure_future(_read(sub, track.kind)))

    if prepare is not None:
        prepare(pc)
    allow_loopback(pc)
    await pc.setLocalDescription(await pc.createOffer())
    sub.joined_at = time.monotonic()
    answer = await asyncio.to_thread(client.subscribe, lecture, peer, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return sub


@pytest.fixture
def relay_client() -> Iterator[InProcessRelayClient]:
    """An in-process relay (its own loop thread) on loopback, with one open lecture "L1"."""
    client = InProcessRelayClient(RelayOptions(loopback_only=True, queue_size=64))
    client.open_lecture("L1")
    yield client
    client.shutdown()


@pytest.fixture
def world(app: Flask, client: Client, make: factories.Factory) -> Any:
    """A lecture of a course at Rezekne with its instructor and cadet, an invited course and hall, strangers."""
    app.config["LECTERN_RELAY_LOOPBACK"] = True
    rezekne, bishkek = make.academy(), make.academy(timezone="Asia/Bishkek")
    course, invited, other = make.course(rezekne.id), make.course(bishkek.id), make.course(bishkek.id)
    people = {
        "host": make.user(Role.INSTRUCTOR, rezekne),
        "cadet": make.user(Role.CADET, rezekne),
        "guest": make.user(Role.CADET, bishkek),
        "stranger": make.user(Role.CADET, bishkek),
        "hall": make.user(Role.CLASSROOM, bishkek),
        "other_hall": make.user(Role.CLASSROOM, bishkek),
    }
    make.staff(course.id, people["host"].id)
    make.enrol(course.id, people["cadet"].id)
    make.enrol(invited.id, people["guest"].id)
    make.enrol(other.id, people["stranger"].id)
    lecture = make.lecture(
        course.id,
        title="Forged passports",
        starts_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
        duration_minutes=90,
        invited_courses=[invited.id],
        halls=[people["hall"].id],
    )
    yield lecture, people
    client = app.extensions.get("lectern_relay")
    if client is not None:
        client.shutdown()


class Loop:
    """An asyncio loop in a thread for the aiortc side, while the Socket.IO test client is called synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def aio() -> Iterator[Loop]:
    loop = Loop()
    yield loop
    loop.close()


ROOT = Path(__file__).resolve().parents[2]


def relay_environment(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a relay (or gunicorn) subprocess in a test: the app's files under `home`, the relay on
    loopback, no relay or relay secret inherited from the test's own environment; `settings` on top."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{home / 'lectern.db'}",
        "LECTERN_STORAGE": str(home / "storage"),
        "LECTERN_RELAY_LOOPBACK": "1",
    }
    for name in ("LECTERN_RELAYS", "LECTERN_RELAY_SECRET"):
        env.pop(name, None)
    return {**env, **settings}


def spawn_relay(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """`flask lectern relay` on a free loopback port in `env`; the process and its URL, once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "lectern", "relay", "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("relay listening on "):
        process.kill()
        process.wait(10)
        pytest.fail(f"the relay did not start: {line}{process.stdout.read()}")
    return process, line.split()[-1]


def stop_relay(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(10)
    if process.stdout is not None:
        process.stdout.close()
