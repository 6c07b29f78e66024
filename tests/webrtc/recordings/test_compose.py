"""compose() on short recordings: sound or picture alone, and when something is wrong (one exception type, a message
naming the file, nothing half-written)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lectern.webrtc.recordings.replay import FILES, ReplayError, Settings, compose
from tests.webrtc.recordings import synthetic
from tests.webrtc.recordings.media import loudness, rms_between


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-second recording: the instructor's voice alone."""
    directory = tmp_path_factory.mktemp("short")
    synthetic.write_audio(directory / "t1-audio.webm", 1.0, hertz=300)
    synthetic.write_manifest(directory, [{"file": "t1-audio.webm", "kind": "audio", "start": 0.2, "end": 1.2}])
    return directory


def copy(recording: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "recording"
    shutil.copytree(recording, directory)
    return directory


def test_a_recording_with_sound_alone_gets_a_black_picture(short: Path, tmp_path: Path) -> None:
    outputs = compose(short, tmp_path)
    assert [o.path for o in (outputs.replay, outputs.low, outputs.audio)] == [tmp_path / n for n in FILES.values()]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES.values())
    assert outputs.duration == pytest.approx(1.0)
    assert (outputs.replay.width, outputs.low.width) == (1280, 640)
    assert outputs.audio.duration == pytest.approx(1.0, abs=0.1)


def test_a_recording_with_a_picture_alone_gets_silence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Relative folders, and a name ffmpeg would read as a protocol ("data:") were it not told it is a file.
    monkeypatch.chdir(tmp_path)
    Path("recording").mkdir()
    synthetic.write_video(Path("recording/data:t1-video.webm"), 1.0)
    synthetic.write_manifest(
        Path("recording"), [{"file": "data:t1-video.webm", "kind": "video", "start": 0.0, "end": 1.0}]
    )
    outputs = compose("recording", "out")
    assert outputs.audio.duration == pytest.approx(1.0, abs=0.1)
    assert rms_between(loudness(outputs.audio.path), 0.0, 1.0) == 0.0
    assert outputs.replay.video_bitrate and outputs.replay.width == 1280


def test_a_missing_track_names_the_file_and_writes_nothing(short: Path, tmp_path: Path) -> None:
    recording = copy(short, tmp_path)
    (recording / "t1-audio.webm").unlink()
    out = tmp_path / "out"
    with pytest.raises(ReplayError, match=r"^t1-audio\.webm: missing"):
        compose(recording, out)
    assert not out.exists() or not list(out.iterdir())


def test_a_corrupt_track_names_the_file(short: Path, tmp_path: Path) -> None:
    recording = copy(short, tmp_path)
    (recording / "t1-audio.webm").write_bytes(b"RIFF" + bytes(1000))
    with pytest.raises(ReplayError, match=r"^t1-audio\.webm: not a readable WebM file"):
        compose(recording, tmp_path / "out")


def test_ffmpeg_failing_leaves_the_earlier_replay_and_no_partial_file(short: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "replay.webm").write_bytes(b"the replay made before")
    with pytest.raises(ReplayError, match=r"manifest\.json: ffmpeg failed on this recording: .*cpu-used"):
        compose(short, out, settings=Settings(cpu_used=99))  # libvpx refuses it
    assert sorted(p.name for p in out.iterdir()) == ["replay.webm"]
    assert (out / "replay.webm").read_bytes() == b"the replay made before"


def test_a_failing_progress_callback_stops_ffmpeg_and_cleans_up(short: Path, tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel(done: float) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        compose(short, tmp_path, progress=cancel)
    assert list(tmp_path.iterdir()) == []


def test_without_ffmpeg(short: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ReplayError, match="ffmpeg is not installed"):
        compose(short, tmp_path / "out")
    assert not any((tmp_path / "out" / name).exists() for name in FILES.values())
