"""manifest.json, the contract between the relay's recorder (relay/record.py) and the replay: read and checked.

    {"version": 1, "started_at": <unix seconds>, "stopped_at": <unix seconds or null>,
     "tracks": [{"file": "t1-video.webm", "kind": "video", "peer": "<publisher>", "user_id": <int or null>,
                 "start": <seconds since started_at>, "end": <seconds, or null when the relay died>}, ...]}

Keys this module does not know (the recorder's "frames") are left alone, so the recorder may add some.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

MANIFEST = "manifest.json"
VERSION = 1
KINDS = ("video", "audio")
_MISSING = object()  # a key not in the manifest at all, told apart from null


class ReplayError(Exception):
    """Why a recording cannot be made into a replay. The message names the file (or the manifest's field)."""


class ManifestError(ReplayError, ValueError):
    """manifest.json is missing, unreadable or has a bad field: the message names the field."""


@dataclass(frozen=True)
class Track:
    """One track's file and its place on the lecture's timeline (seconds since the recording started)."""

    file: str
    kind: Literal["video", "audio"]
    peer: str
    user_id: int | None
    start: float
    end: float | None  # None: the relay died; the file's own last timestamp says where it ends


@dataclass(frozen=True)
class Manifest:
    """A recording's manifest.json, checked."""

    version: int
    started_at: float
    stopped_at: float | None
    tracks: tuple[Track, ...]


def read_manifest(directory: Path | str) -> Manifest:
    """The manifest of the recording in `directory`; ManifestError (a ValueError) naming the field that is wrong."""
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"{path}: not readable JSON ({error})") from None
    return parse_manifest(data)


def parse_manifest(data: Any) -> Manifest:
    """A manifest from its decoded JSON; ManifestError naming the field that is wrong."""
    if not isinstance(data, dict):
        raise ManifestError(_wrong("the manifest", "an object", data))
    version = data.get("version", _MISSING)
    if version != VERSION or isinstance(version, bool):
        raise ManifestError(_wrong("version", str(VERSION), version))
    started_at = _seconds(data, "started_at", "started_at")
    stopped_at = _optional_seconds(data, "stopped_at", "stopped_at")
    if stopped_at is not None and stopped_at < started_at:
        raise ManifestError(f"{MANIFEST}: stopped_at ({stopped_at}) is before started_at ({started_at})")
    raw = data.get("tracks", _MISSING)
    if not isinstance(raw, list):
        raise ManifestError(_wrong("tracks", "a list", raw))
    tracks = tuple(_track(item, f"tracks[{n}]") for n, item in enumerate(raw))
    seen: set[str] = set()
    for n, track in enumerate(tracks):
        if track.file in seen:
            raise ManifestError(f"{MANIFEST}: tracks[{n}].file {track.file!r} is listed twice")
        seen.add(track.file)
    return Manifest(VERSION, started_at, stopped_at, tracks)


def _track(item: Any, where: str) -> Track:
    if not isinstance(item, dict):
        raise ManifestError(_wrong(where, "an object", item))
    file = item.get("file", _MISSING)
    # A plain file name beside the manifest: a path in it could read anything on the machine.
    if not isinstance(file, str) or not file or file != Path(file).name or file.startswith(".") or "\\" in file:
        raise ManifestError(_wrong(f"{where}.file", "a file name in the recording's folder", file))
    kind = item.get("kind", _MISSING)
    if kind not in KINDS:
        raise ManifestError(_wrong(f"{where}.kind", '"video" or "audio"', kind))
    peer = item.get("peer", _MISSING)
    if not isinstance(peer, str):
        raise ManifestError(_wrong(f"{where}.peer", "a string", peer))
    user_id = item.get("user_id")  # may be left out: nobody known
    if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
        raise ManifestError(_wrong(f"{where}.user_id", "a whole number or null", user_id))
    start = _seconds(item, "start", f"{where}.start")
    end = _optional_seconds(item, "end", f"{where}.end")
    if end is not None and end < start:
        raise ManifestError(f"{MANIFEST}: {where}.end ({end}) is before its start ({start})")
    return Track(file, "video" if kind == "video" else "audio", peer, user_id, start, end)


def _seconds(data: dict[str, Any], key: str, where: str) -> float:
    value = data.get(key, _MISSING)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ManifestError(_wrong(where, "a number of seconds", value))
    return float(value)


def _optional_seconds(data: dict[str, Any], key: str, where: str) -> float | None:
    value = data.get(key, _MISSING)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ManifestError(_wrong(where, "a number of seconds or null", value))
    return float(value)


def _wrong(where: str, wanted: str, value: Any) -> str:
    """The message for a bad field: what it must be, and what it is."""
    if value is _MISSING:
        return f"{MANIFEST}: {where} is missing ({wanted} expected)"
    shown = json.dumps(value) if isinstance(value, str | int | float | bool) or value is None else type(value).__name__
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{MANIFEST}: {where} must be {wanted}, not {shown}"
