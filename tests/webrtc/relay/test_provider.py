"""The web side knows the relay through relay/api.py only: an app that has served no lecture never loads aiortc,
PyAV or aioice; the first lecture that needs a relay does."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

MEDIA = ("aiortc", "av", "aioice")

# A fresh interpreter: the test process itself has aiortc loaded by the other relay tests.
PROBE = textwrap.dedent(
    """
    import json, sys
    from lectern import create_app

    instance, media = sys.argv[1], sys.argv[2:]
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": instance,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/test.db",
        "REDIS_URL": None,
        "LECTERN_RELAY_LOOPBACK": True,
    })
    after_app = sorted(m for m in media if m in sys.modules)

    from lectern.webrtc.relay.provider import relay
    client = relay(app)
    client.open_lecture("1:main")
    after_relay = sorted(m for m in media if m in sys.modules)
    client.shutdown()
    print(json.dumps({"after_app": after_app, "after_relay": after_relay}))
    """
)


def test_app_loads_no_media_stack_until_a_lecture_needs_the_relay(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), *MEDIA],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["after_app"] == []
    # The probe sees the modules once the relay is made: the first check above can fail.
    assert found["after_relay"] == sorted(MEDIA)
