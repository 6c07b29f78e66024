"""plan(): the recording's timeline, the files it reads (and refuses), and the layout of the pictures."""

from __future__ import annotations

from pathlib import Path

import pytest

from lectern.webrtc.recordings.manifest import ReplayError, Track
from lectern.webrtc.recordings.replay import Placed, Segment, plan, read_manifest
from lectern.webrtc.recordings.timeline import layout, probe
from tests.webrtc.recordings import synthetic


def placed(start: float, end: float, n: int = 0) -> Placed:
    return Placed(Track(f"t{n}-video.webm", "video", f"p{n}", None, start, end), Path("."), start, end, False)


def roles(segments: tuple[Segment, ...]) -> list[tuple[float, float, int | None, int | None]]:
    return [(s.start, s.end, s.main, s.inset) for s in segments]


def test_tracks_that_follow_one_another_are_each_the_main_picture_in_turn() -> None:
    video = (placed(0, 10), placed(10, 25), placed(30, 40))
    assert roles(layout(video, 40)) == [(0, 10, 0, None), (10, 25, 1, None), (25, 30, None, None), (30, 40, 2, None)]


def test_an_overlapping_newer_track_is_the_main_picture_and_the_older_the_inset() -> None:
    video = (placed(0, 60), placed(20, 40), placed(30, 35))
    assert roles(layout(video, 60)) == [
        (0, 20, 0, None),
        (20, 30, 1, 0),
        (30, 35, 2, 1),  # three at once: the oldest is hidden
        (35, 40, 1, 0),
        (40, 60, 0, None),
    ]


def test_tracks_that_start_together_put_the_later_listed_in_front() -> None:
    assert roles(layout((placed(5, 10), placed(5, 10)), 12)) == [
        (0, 5, None, None),
        (5, 10, 1, 0),
        (10, 12, None, None),
    ]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short video and audio track, copies of the video cut short and cut before its first packet, and a file
    that is not media."""
    directory = tmp_path_factory.mktemp("files")
    synthetic.write_video(directory / "video.webm", 2.0)
    synthetic.write_audio(directory / "audio.webm", 2.0, hertz=300)
    (directory / "cut.webm").write_bytes((directory / "video.webm").read_bytes())
    synthetic.truncate(directory / "cut.webm", 0.5)
    (directory / "junk.webm").write_bytes(b"\x1a\x45\xdf\xa3 not a webm file at all" * 50)
    (directory / "header.webm").write_bytes((directory / "video.webm").read_bytes())
    synthetic.cut_before_media(directory / "header.webm")
    return directory


def test_a_file_is_read_to_its_last_whole_packet(files: Path) -> None:
    assert probe(files / "video.webm", "video", whole=True) == pytest.approx(2.0, abs=0.05)
    assert probe(files / "audio.webm", "audio", whole=True) == pytest.approx(2.0, abs=0.05)
    cut = probe(files / "cut.webm", "video", whole=True)
    assert cut is not None and 0.2 < cut < 1.9
    assert probe(files / "video.webm", "video", whole=False) is None  # the manifest's end is taken


def test_ends_from_the_manifest_or_from_the_file(files: Path) -> None:
    synthetic.write_manifest(
        files,
        [
            {"file": "video.webm", "kind": "video", "start": 3.0, "end": 5.0},
            {"file": "cut.webm", "kind": "video", "start": 4.0, "end": None},
            {"file": "audio.webm", "kind": "audio", "start": 2.5, "end": None},
        ],
    )
    timeline = plan(read_manifest(files), files)
    assert timeline.offset == 2.5
    assert [(p.track.file, p.start, p.from_file) for p in timeline.video] == [
        ("video.webm", 0.5, False),
        ("cut.webm", 1.5, True),
    ]
    assert timeline.video[0].end == 2.5
    assert timeline.audio[0].end == pytest.approx(2.0, abs=0.05)
    assert timeline.duration == pytest.approx(max(2.5, timeline.video[1].end, timeline.audio[0].end))
    assert timeline.layout[0] == Segment(0.0, 0.5, None, None)


@pytest.mark.parametrize(
    ("file", "kind", "message"),
    [
        ("gone.webm", "video", r"^gone\.webm: missing \(listed in manifest\.json\)"),
        ("junk.webm", "video", r"^junk\.webm: not a readable WebM file"),
        ("audio.webm", "video", r"^audio\.webm: has no video stream"),
        # Cut before its first packet, yet the manifest says the track ended: not the relay dying, a broken file.
        ("header.webm", "video", r"^header\.webm: not a readable WebM file"),
    ],
)
def test_a_missing_corrupt_or_wrong_file_is_named(
    files: Path, tmp_path: Path, file: str, kind: str, message: str
) -> None:
    for name in ("video.webm", "junk.webm", "audio.webm", "header.webm"):
        (tmp_path / name).write_bytes((files / name).read_bytes())
    synthetic.write_manifest(
        tmp_path,
        [
            {"file": "video.webm", "kind": "video", "start": 0.0, "end": None},
            {"file": file, "kind": kind, "start": 1.0, "end": 3.0},
        ],
    )
    with pytest.raises(ReplayError, match=message):
        plan(read_manifest(tmp_path), tmp_path)


def test_empty_tracks_are_left_out_and_no_media_at_all_is_an_error(tmp_path: Path) -> None:
    synthetic.write_video(tmp_path / "header.webm", 0.5)
    synthetic.cut_before_media(tmp_path / "header.webm")
    synthetic.write_audio(tmp_path / "audio.webm", 0.5, hertz=300)
    synthetic.write_manifest(
        tmp_path,
        [
            {"file": "header.webm", "kind": "video", "start": 0.0, "end": None},
            {"file": "audio.webm", "kind": "audio", "start": 1.0, "end": 1.0},
        ],
    )
    assert probe(tmp_path / "header.webm", "video", whole=True) == 0.0
    with pytest.raises(ReplayError, match=r"manifest\.json: the recording has no audio or video"):
        plan(read_manifest(tmp_path), tmp_path)
    synthetic.write_manifest(
        tmp_path,
        [
            {"file": "header.webm", "kind": "video", "start": 0.0, "end": None},
            {"file": "audio.webm", "kind": "audio", "start": 1.0, "end": 1.5},
        ],
    )
    timeline = plan(read_manifest(tmp_path), tmp_path)
    assert timeline.empty == ("header.webm",)
    assert (timeline.video, timeline.offset, timeline.duration) == ((), 1.0, 0.5)
