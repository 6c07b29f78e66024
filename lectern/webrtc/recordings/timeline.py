"""A recording's timeline: where each track lies, how long the replay is, and which picture is shown where.

The replay starts with the recording's first track and ends with its last (the minutes before the instructor's
camera came on are not worth watching); `Plan.offset` maps one onto the other (lecture second = replay second +
offset), for whatever else was kept on the lecture's clock (chapters). Where the relay died a track's `end` is null:
its file is read (demuxed, not decoded) up to its last whole packet, which says where it ends.

Video layout: at each moment the video track that started last is the main picture and the one before it, if it is
still going, the inset; no video is black. In Lectern one publisher sends at a time, so tracks mostly follow one
another; the inset is for the overlaps (a cadet given the floor while the instructor's camera runs on).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import av

from lectern.webrtc.recordings.manifest import MANIFEST, Manifest, ReplayError, Track

# Shorter than this (seconds) is no media at all: a file with one frame, or none.
EMPTY = 0.001


@dataclass(frozen=True)
class Placed:
    """A track with media in it, on the replay's timeline (seconds from the replay's start)."""

    track: Track
    path: Path
    start: float
    end: float
    from_file: bool  # the manifest had no end: the file's last packet gave it

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Segment:
    """A stretch of the replay with one layout: the main picture and the inset (indexes in `Plan.video`; None for
    none)."""

    start: float
    end: float
    main: int | None
    inset: int | None


@dataclass(frozen=True)
class Plan:
    """What the replay is made of."""

    directory: Path
    manifest: Manifest
    offset: float  # the lecture's second (since started_at) at which the replay starts
    duration: float  # of the replay, seconds
    video: tuple[Placed, ...]
    audio: tuple[Placed, ...]
    layout: tuple[Segment, ...]  # covers 0 .. duration
    empty: tuple[str, ...]  # files with no media in them (the track began and ended at once): left out


def plan(manifest: Manifest, directory: Path | str) -> Plan:
    """The timeline of the recording in `directory`. Every track's file is opened (ReplayError naming a file that is
    missing, unreadable or of the wrong kind); those whose end is null are read through to their last packet."""
    directory = Path(directory)
    found: list[tuple[Track, Path, float, bool]] = []
    empty: list[str] = []
    for track in manifest.tracks:
        path = directory / track.file
        length = probe(path, track.kind, whole=track.end is None)
        end = track.end if track.end is not None else track.start + (length or 0.0)
        if end - track.start < EMPTY:
            empty.append(track.file)
            continue
        found.append((track, path, end, track.end is None))
    if not found:
        raise ReplayError(f"{directory / MANIFEST}: the recording has no audio or video")
    offset = min(track.start for track, _, _, _ in found)
    duration = max(end for _, _, end, _ in found) - offset
    placed = [
        Placed(track, path, track.start - offset, end - offset, from_file) for track, path, end, from_file in found
    ]
    video = tuple(p for p in placed if p.track.kind == "video")
    audio = tuple(p for p in placed if p.track.kind == "audio")
    return Plan(directory, manifest, offset, duration, video, audio, layout(video, duration), tuple(empty))


def layout(video: tuple[Placed, ...], duration: float) -> tuple[Segment, ...]:
    """Which video is the main picture and which the inset, stretch by stretch over 0 .. `duration`: of the tracks
    going at a moment the one that started last is the main picture, the one before it the inset (a tie: the one
    listed later in the manifest is the newer)."""
    edges = sorted({0.0, duration, *(p.start for p in video), *(p.end for p in video)})
    segments: list[Segment] = []
    for start, end in itertools.pairwise(edges):
        if end - start < EMPTY:
            continue
        going = sorted((p.start, n) for n, p in enumerate(video) if p.start <= start + EMPTY and p.end >= end - EMPTY)
        main = going[-1][1] if going else None
        inset = going[-2][1] if len(going) > 1 else None
        if segments and (segments[-1].main, segments[-1].inset) == (main, inset):
            segments[-1] = Segment(segments[-1].start, end, main, inset)
        else:
            segments.append(Segment(start, end, main, inset))
    return tuple(segments)


def probe(path: Path, kind: str, *, whole: bool) -> float | None:
    """Check that `path` is a media file with a `kind` stream. With `whole` (the manifest has no end: the relay
    died) read it through, demuxing only, and return how long its media lasts: from 0 (the recorder's first pts) to
    the end of its last whole packet; a file cut before that (in its header, or before its first packet) is an
    empty track, 0. None without `whole`. ReplayError naming the file for one that is missing or not media."""
    if not path.is_file():
        raise ReplayError(f"{path.name}: missing (listed in {MANIFEST})")
    if whole and path.stat().st_size == 0:
        return 0.0  # the relay died as it opened the file
    try:
        container = av.open(str(path), "r")
    except (av.EOFError, av.OSError) as error:
        if whole:
            return 0.0  # the relay died before it wrote a whole header or a first packet: an empty track
        raise ReplayError(f"{path.name}: not a readable WebM file ({error})") from None
    except (av.FFmpegError, OSError) as error:
        raise ReplayError(f"{path.name}: not a readable WebM file ({error})") from None
    with container:
        streams = container.streams.video if kind == "video" else container.streams.audio
        if not streams:
            raise ReplayError(f"{path.name}: has no {kind} stream (the manifest says it is {kind})")
        if not whole:
            return None
        stream = streams[0]
        end = 0.0
        gap = 0.0
        last: float | None = None
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.time_base is None:
                    continue  # the demuxer's empty packet at the end
                at = float(packet.pts * packet.time_base)
                if last is not None and at > last:
                    gap = at - last  # the last packet lasts as long as the one before it, when it does not say
                last = at
                length = float(packet.duration * packet.time_base) if packet.duration else gap
                end = max(end, at + length)
        except av.FFmpegError:
            pass  # a file cut short: what was read up to the cut stands
        return end
