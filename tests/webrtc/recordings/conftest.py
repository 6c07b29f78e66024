"""One synthetic lecture, recorded as the relay records and composed once per test run.

On the lecture's clock (the recording started 1.5 s before the first track, so the replay starts at 1.5):

  t1-video  the instructor's camera, red, 640x480 from 1.5, then a screen share at 960x540 from 5.5, until 9.5
  t2-audio  the instructor, 440 Hz, 1.5 .. 4.5
  t3-video  a cadet's camera, blue, from 3.5: 4 s written, then cut (the relay was killed: end null)
  t4-audio  the cadet, 880 Hz beeps, 6.5 .. 8.5

So on the replay's clock: red alone 0 .. 2, blue over red (red the inset) from 2 until the cut file ends, red alone
again after, filling the picture from 4; sound 0 .. 3 and 5 .. 7, silence 3 .. 5 and 7 .. 8.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from lectern.webrtc.recordings.replay import FILES, Outputs, Plan, compose, measure, plan, read_manifest
from tests.webrtc.recordings import synthetic

LEAD_IN = 1.5  # seconds of the recording before its first track: not in the replay
CUT = 0.6  # of t3-video's bytes kept


def write_lecture(directory: Path) -> None:
    """The lecture above, into `directory`."""
    synthetic.write_video(
        directory / "t1-video.webm", 8.0, sizes=((0.0, 640, 480), (4.0, 960, 540)), tint=synthetic.RED
    )
    synthetic.write_audio(directory / "t2-audio.webm", 3.0, hertz=440)
    synthetic.write_video(directory / "t3-video.webm", 4.0, tint=synthetic.BLUE)
    synthetic.truncate(directory / "t3-video.webm", CUT)
    synthetic.write_audio(directory / "t4-audio.webm", 2.0, hertz=880, beeps=True)
    synthetic.write_manifest(
        directory,
        [
            {"file": "t1-video.webm", "kind": "video", "start": LEAD_IN, "end": LEAD_IN + 8.0},
            {"file": "t2-audio.webm", "kind": "audio", "start": LEAD_IN, "end": LEAD_IN + 3.0},
            {"file": "t3-video.webm", "kind": "video", "start": LEAD_IN + 2.0, "end": None},
            {"file": "t4-audio.webm", "kind": "audio", "start": LEAD_IN + 5.0, "end": LEAD_IN + 7.0},
        ],
        stopped_at=None,
    )


@dataclass
class Composed:
    directory: Path
    plan: Plan
    outputs: Outputs
    progress: list[float]


@pytest.fixture(scope="session")
def composed(tmp_path_factory: pytest.TempPathFactory) -> Composed:
    """The lecture recorded and composed with the default settings, and the progress it reported: made once per
    test run, by whichever xdist worker comes first (the others wait on a lock, then read the files back)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, above the workers'
    recording, out, said = shared / "replay-recording", shared / "replay-out", shared / "replay-progress.json"
    with (shared / "replay.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not said.exists():
            recording.mkdir()
            write_lecture(recording)
            progress: list[float] = []
            compose(recording, out, progress=progress.append)
            said.write_text(json.dumps(progress))
    timeline = plan(read_manifest(recording), recording)
    outputs = Outputs(
        *(measure(out / name) for name in FILES.values()), offset=timeline.offset, duration=timeline.duration
    )
    return Composed(recording, timeline, outputs, json.loads(said.read_text()))
