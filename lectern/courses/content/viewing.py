"""Video lessons are done when the cadet has played most of them (DONE_SHARE): the parts played, not the position
reached, so a seek to the last seconds completes nothing.

The browser reports the parts of the video it has played (its `played` time ranges). The server merges them with
the parts reported before and credits the new playing time only as fast as the wall clock allows since the page
was opened or the last report (MAX_RATE): a forged report can claim every second of the video, but it
cannot complete the lesson before the time to play it has passed. The video's length is read from the file itself,
not taken from the browser, where the file can be read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lectern.courses.content import progress
from lectern.courses.models import Lesson, LessonViewing
from lectern.extensions import DbSession

DONE_SHARE = 0.9
MAX_RATE = 2.0  # the fastest playback speed credited in full (and room for a report that comes late)
MAX_RANGES = 500
MAX_SECONDS = 24 * 3600.0

Ranges = list[tuple[float, float]]


class BadReport(ValueError):
    """A report that is not a list of played ranges of this video."""


@dataclass(frozen=True)
class Watched:
    share: float  # of the video credited as played, 0 to 1
    done: bool  # the lesson is done (now or before)
    completed_course: bool  # this report completed the course


def read_ranges(text: str, duration: float) -> Ranges:
    """The played ranges of a report (JSON: [[start, end], ...] in seconds), clipped to the video; BadReport if
    they are not that."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise BadReport("not JSON") from exc
    if not isinstance(raw, list) or len(raw) > MAX_RANGES:
        raise BadReport("not a list of ranges")
    ranges: Ranges = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2 and all(type(x) in (int, float) for x in item)):
            raise BadReport("not a range")
        start, end = float(item[0]), float(item[1])
        if not (math.isfinite(start) and math.isfinite(end)) or start > end:
            raise BadReport("not a range")
        start, end = max(0.0, start), min(duration, end)
        if end > start:
            ranges.append((start, end))
    return ranges


def merge(ranges: Ranges) -> Ranges:
    """The union of the ranges, as sorted ranges that do not overlap."""
    merged: Ranges = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def length(ranges: Ranges) -> float:
    return sum(end - start for start, end in ranges)


UNREADABLE = 0.0  # kept as the file's duration when it cannot be read, so that it is not opened on every report


def read_duration(path: Path) -> float | None:
    """The length of the video file in seconds, or None if it cannot be read. A file written as a stream (the WebM
    of a browser's MediaRecorder) has no length in its header: then the end of its last packet, read once."""
    import av  # here only: no page needs PyAV for anything else

    try:
        with av.open(str(path)) as container:
            if container.duration:
                return float(container.duration / av.time_base)
            for stream in container.streams:
                if stream.duration and stream.time_base:
                    return float(stream.duration * stream.time_base)
            ends = [
                float((packet.pts + (packet.duration or 0)) * packet.time_base)
                for packet in container.demux()
                if packet.pts is not None and packet.time_base is not None
            ]
            return max(ends) if ends and max(ends) > 0 else None
    except (av.FFmpegError, OSError):
        return None


def duration_of(lesson: Lesson, path: Path, reported: float) -> float:
    """The video's length: read from its file once and kept; the browser's figure only for a file that cannot be
    read (it plays in the browser all the same)."""
    if lesson.file is not None and lesson.file.duration_seconds is None and path.exists():
        found = read_duration(path)
        lesson.file.duration_seconds = UNREADABLE if found is None else found
    if lesson.file is not None and lesson.file.duration_seconds:
        return lesson.file.duration_seconds
    if not (math.isfinite(reported) and 0 < reported <= MAX_SECONDS):
        raise BadReport("no duration")
    return reported


def opened(session: DbSession, user_id: int, lesson: progress.CourseLesson, now: datetime) -> LessonViewing:
    """The user opened the video lesson's page: playing time is credited from now on."""
    progress.insert_once(
        session, LessonViewing, user_id=user_id, lesson_id=lesson.id, played=[], credited_seconds=0.0, checked_at=now
    )
    viewing = session.get(LessonViewing, (user_id, lesson.id))
    assert viewing is not None
    viewing.checked_at = now
    return viewing


def share(viewing: LessonViewing | None, duration: float | None) -> float:
    """How much of the video is credited as played, 0 to 1."""
    if viewing is None or not duration:
        return 0.0
    return min(1.0, viewing.credited_seconds / duration)


def report(session: DbSession, user_id: int, lesson: Lesson, played: Ranges, duration: float, now: datetime) -> Watched:
    """Credit the parts of the video the browser says it played; the lesson is done at DONE_SHARE of it."""
    viewing = session.get(LessonViewing, (user_id, lesson.id))
    if viewing is None:  # a report with no page opened: credit starts now
        viewing = opened(session, user_id, lesson, now)
    merged = merge([(a, b) for a, b in viewing.played] + played)
    elapsed = max(0.0, (now - viewing.checked_at).total_seconds())
    viewing.credited_seconds = min(length(merged), viewing.credited_seconds + elapsed * MAX_RATE)
    viewing.played = [[a, b] for a, b in merged]
    viewing.checked_at = now
    completed_course = False
    done = share(viewing, duration) >= DONE_SHARE
    if done:
        completed_course = progress.mark_done(session, user_id, lesson, now)
    return Watched(share(viewing, duration), done, completed_course)
