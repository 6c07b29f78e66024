"""deploy/gunicorn.conf.py's settings as the environment sets them."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


@pytest.mark.parametrize(("value", "expected"), [(None, "-"), ("on", "-"), ("off", None)])
def test_the_access_log_is_written_unless_nginx_keeps_it(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("LECTERN_ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("LECTERN_ACCESS_LOG", value)
    assert runpy.run_path(str(CONF))["accesslog"] == expected
