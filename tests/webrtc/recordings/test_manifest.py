"""manifest.json, the recorder's contract: read, and refused with a message naming the field that is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lectern.webrtc.recordings.manifest import ManifestError, ReplayError, Track, parse_manifest, read_manifest


def good() -> dict[str, Any]:
    return {
        "version": 1,
        "started_at": 1765000000.25,
        "stopped_at": None,
        "tracks": [
            {"file": "t1-video.webm", "kind": "video", "peer": "p1", "user_id": 7, "start": 0.5, "end": 60.0},
            {
                "file": "t2-audio.webm",
                "kind": "audio",
                "peer": "p1",
                "user_id": None,
                "start": -0.002,
                "end": None,
                "frames": 3000,
            },
        ],
    }


def test_a_manifest_as_the_recorder_writes_it(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(good()))
    manifest = read_manifest(tmp_path)
    assert manifest.version == 1
    assert manifest.started_at == 1765000000.25 and manifest.stopped_at is None
    assert manifest.tracks == (
        Track("t1-video.webm", "video", "p1", 7, 0.5, 60.0),
        # Sender Reports may place a first frame a little before the recording's start; keys it does not know
        # ("frames") are left alone.
        Track("t2-audio.webm", "audio", "p1", None, -0.002, None),
    )


def edit(path: str, value: Any) -> dict[str, Any]:
    """good() with the field at `path` ("tracks.0.start") set to `value`, or removed for REMOVE."""
    data = good()
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is REMOVE:
        del target[key]
    else:
        target[key] = value
    return data


REMOVE = object()


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("version", 2, "version must be 1, not 2"),
        ("version", REMOVE, "version is missing"),
        ("started_at", "yesterday", 'started_at must be a number of seconds, not "yesterday"'),
        ("started_at", True, "started_at must be a number of seconds, not true"),
        ("stopped_at", 5.0, "stopped_at (5.0) is before started_at"),
        ("stopped_at", "later", "stopped_at must be a number of seconds or null"),
        ("tracks", {}, "tracks must be a list"),
        ("tracks.0", "t1-video.webm", "tracks[0] must be an object"),
        ("tracks.0.file", "../../etc/passwd", "tracks[0].file must be a file name in the recording's folder"),
        ("tracks.0.file", "sub/t1.webm", "tracks[0].file must be a file name"),
        ("tracks.0.file", ".manifest.json.tmp", "tracks[0].file must be a file name"),
        ("tracks.0.file", "", "tracks[0].file must be a file name"),
        ("tracks.1.file", "t1-video.webm", "tracks[1].file 't1-video.webm' is listed twice"),
        ("tracks.1.kind", "screen", 'tracks[1].kind must be "video" or "audio", not "screen"'),
        ("tracks.1.peer", 12, "tracks[1].peer must be a string, not 12"),
        ("tracks.0.user_id", "7", 'tracks[0].user_id must be a whole number or null, not "7"'),
        ("tracks.0.user_id", 7.5, "tracks[0].user_id must be a whole number or null, not 7.5"),
        ("tracks.0.start", None, "tracks[0].start must be a number of seconds, not null"),
        ("tracks.0.start", REMOVE, "tracks[0].start is missing"),
        ("tracks.0.end", "NaN", "tracks[0].end must be a number of seconds or null"),
        ("tracks.0.end", float("inf"), "tracks[0].end must be a number of seconds or null"),
        ("tracks.0.end", 0.25, "tracks[0].end (0.25) is before its start (0.5)"),
    ],
)
def test_a_bad_field_is_named(path: str, value: Any, named: str) -> None:
    with pytest.raises(ValueError, match=r"manifest\.json: ") as raised:
        parse_manifest(edit(path, value))
    assert named in str(raised.value)
    assert isinstance(raised.value, ManifestError) and isinstance(raised.value, ReplayError)


def test_a_missing_or_unreadable_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"manifest\.json: missing"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"version": 1, "tracks": [')
    with pytest.raises(ManifestError, match=r"manifest\.json: not readable JSON"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("[]")
    with pytest.raises(ManifestError, match="the manifest must be an object"):
        read_manifest(tmp_path)
