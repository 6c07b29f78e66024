"""compose(): the synthetic lecture of conftest.py made into its three files, and those files read back with PyAV."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import pytest

from lectern.webrtc.recordings.replay import FILES
from tests.webrtc.recordings.conftest import LEAD_IN, Composed
from tests.webrtc.recordings.media import colour, frame_at, loudness, quietest_between, rms_between, video_frames

LENGTH = 8.0  # the lecture's media, first track to last (the lead-in left out)
LOUD = 0.05  # RMS: a tone at 0.3 of full scale is about 0.2
SILENT = 0.005


def test_the_timeline_starts_with_the_first_track_and_reads_the_cut_file_to_its_end(composed: Composed) -> None:
    plan = composed.plan
    assert plan.offset == pytest.approx(LEAD_IN)
    assert plan.duration == pytest.approx(LENGTH)
    cut = plan.video[1]
    assert cut.track.file == "t3-video.webm" and cut.from_file
    # 4 s were written and 40% of the bytes cut away: it ends somewhere inside, at a whole packet.
    assert cut.start == pytest.approx(2.0)
    assert 2.0 + 0.5 < cut.end < 2.0 + 3.9
    assert composed.outputs.offset == pytest.approx(LEAD_IN)


def test_three_files_that_decode_and_last_as_long_as_the_timeline(composed: Composed) -> None:
    outputs = composed.outputs
    assert [o.path.name for o in (outputs.replay, outputs.low, outputs.audio)] == list(FILES.values())
    assert sorted(p.name for p in outputs.replay.path.parent.iterdir()) == sorted(FILES.values())  # nothing partial
    for output in (outputs.replay, outputs.low, outputs.audio):
        assert output.size == output.path.stat().st_size > 0
        assert output.duration == pytest.approx(LENGTH, abs=0.5)
        with av.open(str(output.path)) as container:
            decoded = {"video": 0, "audio": 0}
            last = 0.0
            for frame in container.decode(*container.streams):
                decoded["video" if isinstance(frame, av.VideoFrame) else "audio"] += 1
                last = max(last, float(frame.time or 0.0))
            assert last == pytest.approx(LENGTH, abs=0.5)
        assert decoded["audio"] > 0
        assert (decoded["video"] > 0) == (output is not outputs.audio)
    assert (outputs.replay.width, outputs.replay.height) == (1280, 720)
    assert (outputs.low.width, outputs.low.height) == (640, 360)
    assert (outputs.audio.width, outputs.audio.height, outputs.audio.video_bitrate) == (None, None, None)
    # 30 pictures a second, all the way (the canvas is there when no track is).
    assert len(video_frames(outputs.low.path)) == pytest.approx(LENGTH * 30, abs=3)


def test_bitrates_near_their_targets(composed: Composed) -> None:
    outputs = composed.outputs
    assert outputs.replay.video_bitrate is not None and outputs.low.video_bitrate is not None
    assert 500_000 < outputs.replay.video_bitrate < 1_600_000  # target 1 Mbps
    assert 150_000 < outputs.low.video_bitrate < 500_000  # about 300 kbps with its sound
    assert outputs.replay.audio_bitrate is not None and 32_000 < outputs.replay.audio_bitrate < 100_000  # 64 kbps
    for output in (outputs.low, outputs.audio):
        assert output.audio_bitrate is not None and 16_000 < output.audio_bitrate < 50_000  # 32 kbps
    assert outputs.replay.bitrate == round(outputs.replay.size * 8 / outputs.replay.duration)


def test_a_keyframe_every_two_seconds_and_the_index_in_front(composed: Composed) -> None:
    for output in (composed.outputs.replay, composed.outputs.low):
        with av.open(str(output.path)) as container:
            keys = [float(p.pts * p.time_base) for p in container.demux(video=0) if p.is_keyframe and p.pts is not None]
        gaps = [b - a for a, b in itertools.pairwise(keys)]
        assert keys[0] < 0.05 and len(keys) >= 4  # from the first picture (Opus's pre-skip shifts it by 7 ms)
        assert max(gaps) <= 2.0 + 1 / 30
    for output in (composed.outputs.replay, composed.outputs.low, composed.outputs.audio):
        head = output.path.read_bytes()[:4096]
        assert b"\x1c\x53\xbb\x6b" in head, f"{output.path.name}: no Cues at the front"  # Matroska's Cues ID


@pytest.mark.parametrize("version", ["replay", "low"])
def test_the_newest_picture_is_the_main_one_and_the_older_the_inset(composed: Composed, version: str) -> None:
    output = composed.outputs.replay if version == "replay" else composed.outputs.low
    frames = video_frames(output.path)
    k = output.width / 1280 if output.width else 1.0

    def at(seconds: float, x: int, y: int) -> str:
        return colour(frame_at(frames, seconds), round(x * k), round(y * k), box=max(round(32 * k), 8))

    # 0 .. 2: the instructor's 4:3 camera alone, fitted to the height: black bars left and right.
    assert (at(1.0, 640, 360), at(1.0, 60, 360), at(1.0, 1220, 360)) == ("red", "black", "black")
    # From 2: the cadet's camera (newer) fills the middle; the instructor's is the inset, bottom right.
    assert (at(2.5, 640, 360), at(2.5, 60, 360)) == ("blue", "black")
    assert at(2.5, 1256 - 160, 696 - 120) == "red"  # the inset's box: 320x240, 24 pixels in from the corner
    assert at(2.5, 1256 - 160, 696 - 300) == "blue"  # above the inset: the main picture
    # After the cut file's end: the instructor again, now sharing a 16:9 screen (its size changed mid-file): no bars.
    assert (at(7.0, 640, 360), at(7.0, 60, 360), at(7.0, 1220, 60)) == ("red", "red", "red")


@pytest.mark.parametrize("version", ["replay", "low", "audio"])
def test_the_sound_of_each_track_where_it_was_and_silence_elsewhere(composed: Composed, version: str) -> None:
    path: Path = getattr(composed.outputs, version).path
    levels = loudness(path)
    assert quietest_between(levels, 0.3, 2.7) > LOUD  # the instructor's steady tone
    assert rms_between(levels, 3.3, 4.7) < SILENT  # nobody
    assert rms_between(levels, 5.2, 6.8) > LOUD  # the cadet's beeps
    assert rms_between(levels, 7.3, 7.9) < SILENT  # nobody
    # Not normalised down: one speaker alone comes out at the level they spoke at (0.3 peak: 0.21 RMS).
    assert 0.15 < rms_between(levels, 0.3, 2.7) < 0.3


def test_progress_goes_from_the_start_to_one(composed: Composed) -> None:
    progress = composed.progress
    assert progress[-1] == 1.0
    assert all(0.0 <= p <= 1.0 for p in progress)
    assert progress == sorted(progress)
