"""The relay's compiled part (_fanout.c, built by `pip install -e .`), where the relay uses it: the fan-out loop and
the per-packet fields it reads, kept in C as the base classes of StreamRewriter (rtp.py), OutTrack (out_track.py)
and DirectRtpSender (seams.py). None where it is not built, or where `LECTERN_RELAY_FAN_OUT=python` asks for the
Python loop alone (then those classes keep their fields in Python, as the relay did before the compiled fan-out:
benchmarks/relay.py --python-loop compares the two). No aiortc here: rtp.py imports it.
"""

from __future__ import annotations

import os
from types import ModuleType

try:
    from lectern.webrtc.relay import _fanout as _built
except ImportError as exc:
    _built = None  # type: ignore[assignment]
    PROBLEM: str | None = f"the compiled fan-out is not built ({exc}): run `make install`"
else:
    PROBLEM = None

PYTHON_ONLY = os.environ.get("LECTERN_RELAY_FAN_OUT", "").lower() == "python"

# The module, or None: everything in the relay that could use it asks here.
fanout: ModuleType | None = None if PYTHON_ONLY else _built
