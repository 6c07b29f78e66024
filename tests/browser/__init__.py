"""The browser tests: Chromium through Playwright (conftest.py), and what several of their modules share."""

from __future__ import annotations

import pytest

# The lecture's media tests drive browsers and relays; what the room writes to the database (attendance, the
# lecture's state, the floor) is tested on both backends in tests/webrtc/. They run once, on production's PostgreSQL,
# which keeps the suite within its time (each takes 5-30 s).
MEDIA_ON_POSTGRESQL = pytest.mark.parametrize("database", ["postgresql"], indirect=True)
