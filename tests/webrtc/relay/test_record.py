"""Recording as the relay forwards (record.py): real aiortc publishers over loopback, the files read back with PyAV.

The publishers' tracks mark the same instants in both media: every two seconds a white video frame and a beep, so
the recorded files show whether audio and video line up.
"""

from __future__ import annotations

import array
import asyncio
import json
import math
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc import MediaStreamTrack, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AUDIO_PTIME

from lectern.webrtc.relay.api import RelayClient, RelayError, RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.remote import RemoteRelayClient
from lectern.webrtc.relay.seams import allow_loopback
from tests.webrtc.conftest import new_pc, relay_environment, spawn_relay, start_subscriber, stop_relay

WIDTH, HEIGHT = 320, 240
MARK_EVERY_S = 2.0
BEEP_S = 0.1
RATE = 48000


class _Marks:
    """The instants both tracks mark: every MARK_EVERY_S from `t0` (wall clock)."""

    def __init__(self) -> None:
        self.t0 = time.time() + 0.5

    def marked(self, at: float, length: float) -> bool:
        since = at - self.t0
        return since >= 0 and since % MARK_EVERY_S < length


class FlashTrack(VideoStreamTrack):
    """Dark frames; a white one at each mark. Fresh frames every time (DESIGN.md section 3)."""

    def __init__(self, marks: _Marks) -> None:
        super().__init__()
        self.marks = marks

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        at = self._start + pts * time_base  # type: ignore[attr-defined]  # aiortc's own pacing clock
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        frame.planes[0].update(bytes([235 if self.marks.marked(at, 1 / 30) else 16]) * (WIDTH * HEIGHT))
        for plane in frame.planes[1:]:
            plane.update(bytes([128]) * (WIDTH * HEIGHT // 4))
        frame.pts, frame.time_base = pts, time_base
        return frame


class BeepTrack(MediaStreamTrack):
    """Silence; a 1 kHz beep of BEEP_S at each mark. Paced by the wall clock as aiortc's AudioStreamTrack is."""

    kind = "audio"

    def __init__(self, marks: _Marks) -> None:
        super().__init__()
        self.marks = marks
        self._start: float | None = None
        self._pts = 0
        samples = int(AUDIO_PTIME * RATE)
        tone = array.array("h", (int(12000 * math.sin(2 * math.pi * 1000 * i / RATE)) for i in range(samples)))
        self._tone = array.array("h", (s for s in tone for _ in range(2))).tobytes()  # stereo
        self._silence = bytes(len(self._tone))

    async def recv(self) -> av.AudioFrame:
        samples = int(AUDIO_PTIME * RATE)
        if self._start is None:
            self._start = time.time()
        else:
            self._pts += samples
            wait = self._start + self._pts / RATE - time.time()
            await asyncio.sleep(max(wait, 0))
        at = self._start + self._pts / RATE
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        frame.planes[0].update(self._tone if self.marks.marked(at, BEEP_S) else self._silence)
        frame.pts, frame.sample_rate = self._pts, RATE
        frame.time_base = __import__("fractions").Fraction(1, RATE)
        return frame


async def publish(client: RelayClient, lecture: str, peer: str, marks: _Marks) -> Any:
    pc = new_pc()
    pc.addTransceiver(FlashTrack(marks), direction="sendonly")
    pc.addTransceiver(BeepTrack(marks), direction="sendonly")
    allow_loopback(pc)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await asyncio.to_thread(client.publish, lecture, peer, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc


def _manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "manifest.json").read_text())


def _video_marks(path: Path, start: float) -> tuple[float, list[float]]:
    """The file's length in seconds (its last frame's end), and when on the lecture's timeline it shows a white frame
    after a dark one."""
    marks: list[float] = []
    last, white = 0.0, False
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            luma = bytes(frame.planes[0])[::97]
            now_white = sum(luma) / len(luma) > 128
            if now_white and not white:
                marks.append(start + float(frame.time))
            white = now_white
            last = float(frame.time) + 1 / 30
    return last, marks


def _audio_marks(path: Path, start: float) -> tuple[float, list[float]]:
    """The file's length, and when on the timeline a beep begins after silence."""
    marks: list[float] = []
    last, loud = 0.0, False
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            assert frame.format.name == "fltp"
            samples = array.array("f", bytes(frame.planes[0]))[: frame.samples]  # the first channel
            at = float(frame.time)
            for i in range(0, frame.samples, 48):
                now_loud = max(abs(s) for s in samples[i : i + 48]) > 0.1
                if now_loud and not loud:
                    marks.append(start + at + i / RATE)
                loud = now_loud
            last = at + frame.samples / RATE
    return last, marks


def _track_marks(directory: Path, track: dict[str, Any]) -> tuple[float, list[float]]:
    read = _video_marks if track["kind"] == "video" else _audio_marks
    return read(directory / track["file"], track["start"])


def _check_in_step(video: list[float], audio: list[float]) -> None:
    """Each video mark has its beep within 80 ms."""
    assert video and audio, (video, audio)
    for at in video:
        nearest = min(audio, key=lambda a: abs(a - at))
        assert abs(nearest - at) <= 0.08, (at, nearest, video, audio)


@pytest.fixture
def recording_relay(tmp_path: Path) -> Iterator[InProcessRelayClient]:
    client = InProcessRelayClient(RelayOptions(loopback_only=True, recordings=str(tmp_path / "recordings")))
    client.open_lecture("L1")
    yield client
    client.shutdown()


def test_a_lecture_with_a_floor_handover_is_recorded_as_files_that_play_in_step(
    recording_relay: InProcessRelayClient, tmp_path: Path
) -> None:
    client = recording_relay
    directory = tmp_path / "recordings" / "lecture-1" / "rec-1"
    marks = _Marks()

    async def lecture() -> float:
        instructor = await publish(client, "L1", "instructor", marks)
        cadet_view = await start_subscriber(client, "L1", "viewer")
        started = time.monotonic()
        await asyncio.to_thread(client.record, "L1", "lecture-1/rec-1")
        await asyncio.sleep(4.0)
        await asyncio.to_thread(client.leave, "L1", "instructor")
        await instructor.close()
        cadet = await publish(client, "L1", "cadet", marks)  # the cadet takes the floor for 3 s
        await asyncio.sleep(3.0)
        await asyncio.to_thread(client.leave, "L1", "cadet")
        await cadet.close()
        instructor = await publish(client, "L1", "instructor-2", marks)
        await asyncio.sleep(10.0 - (time.monotonic() - started))
        figures = await asyncio.to_thread(client.record, "L1", None)
        length = time.monotonic() - started
        assert figures is not None and figures["packets"] > 500 and figures["errors"] == 0, figures
        assert len(cadet_view.frames["video"]) > 100  # the live lecture went on while it was recorded
        await instructor.close()
        await cadet_view.close()
        return length

    length = asyncio.run(lecture())
    manifest = _manifest(directory)
    assert manifest["stopped_at"] is not None
    tracks = manifest["tracks"]
    assert [(t["kind"], t["peer"]) for t in tracks] == [
        (kind, peer) for peer in ("instructor", "cadet", "instructor-2") for kind in ("audio", "video")
    ]
    video: list[float] = []
    audio: list[float] = []
    for track in tracks:
        played, found = _track_marks(directory, track)
        # Each file plays for as long as the manifest says it lasted, and its publisher was on (4 s, 3 s, 3 s:
        # less the time a new publisher's connection takes).
        assert played == pytest.approx(track["end"] - track["start"], abs=0.2), track
        (video if track["kind"] == "video" else audio).extend(found)
    # The recording covers the lecture: its first track begins as it starts, its last ends as it stops.
    assert min(t["start"] for t in tracks) < 0.6
    assert max(t["end"] for t in tracks) == pytest.approx(length, abs=0.5)
    assert sum(t["end"] - t["start"] for t in tracks if t["kind"] == "audio") == pytest.approx(length, abs=1.5)
    _check_in_step(video, audio)


def test_recording_names_stay_inside_the_recordings_folder(recording_relay: InProcessRelayClient) -> None:
    for key in ("../x", "/abs", "a/../../b", "", "a b"):
        with pytest.raises(RelayError, match="invalid recording name"):
            recording_relay.record("L1", key)
    quiet = InProcessRelayClient(RelayOptions(loopback_only=True))
    try:
        quiet.open_lecture("L1")
        with pytest.raises(RelayError, match="does not record"):
            quiet.record("L1", "lecture-1/rec-1")
    finally:
        quiet.shutdown()


def test_a_relay_killed_mid_recording_leaves_files_that_play_up_to_the_kill(tmp_path: Path) -> None:
    env = relay_environment(tmp_path, LECTERN_RELAY_SECRET="s3cret")
    process, url = spawn_relay(env)
    client = RemoteRelayClient(url, "s3cret")
    directory = tmp_path / "storage" / "recordings" / "lecture-2" / "rec-1"
    marks = _Marks()

    async def lecture() -> float:
        client.open_lecture("L2")
        pc = await publish(client, "L2", "instructor", marks)
        try:
            await asyncio.to_thread(client.record, "L2", "lecture-2/rec-1")
            started = time.monotonic()
            await asyncio.sleep(5.0)
            os.kill(process.pid, signal.SIGKILL)
            return time.monotonic() - started
        finally:
            await pc.close()

    try:
        killed_after = asyncio.run(lecture())
    finally:
        stop_relay(process)
        client.shutdown()
    manifest = _manifest(directory)
    assert manifest["stopped_at"] is None
    tracks = manifest["tracks"]
    assert {t["kind"] for t in tracks} == {"audio", "video"}
    video: list[float] = []
    audio: list[float] = []
    for track in tracks:
        assert track["end"] is None  # nobody closed it
        played, found = _track_marks(directory, track)
        # Playable up to about the last second before the kill.
        assert killed_after - 1.6 <= track["start"] + played <= killed_after + 0.3, (track, played, killed_after)
        (video if track["kind"] == "video" else audio).extend(found)
    _check_in_step(video, audio)
