"""A lecture beside a loaded web app: the relay inside the web process against the relay in a process of its own.

One aiortc publisher (VP8 640x480 at 30 fps plus Opus) and N aiortc subscribers (timestamping what arrives, no
decoding: benchmarks/relay.py's load generator), while K clients load the catalogue page of a signed-in cadet as
fast as the app serves it. The web app (demo data, SQLite) is served by werkzeug's threaded server in this process,
as in the links benchmark. Two modes, in the same run:

- `in-process`: the relay's asyncio loop is a thread of the web process (the embedded default before issue 14):
  the pages and the media share one interpreter lock;
- `relay-process`: the relay runs as `flask lectern relay` (what `make run` starts beside the web app), reached
  over its signed API (RemoteRelayClient).

Each mode is measured without the page load, then with it. Printed: the subscribers' video frames per second
(mean, and the worst subscriber), the catalogue's requests per second, and each mode's frame rate under load as a
ratio of its own frame rate without load.

    .venv/bin/python benchmarks/lecture_load.py [--subscribers 20] [--clients 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import logging
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Browser, free_port
from benchmarks.relay import publisher_main, subscribers_main

LECTURE = "bench"


def loader_main(port: int, cookie: str, stop_at: float, conn: Connection) -> None:
    """Load the catalogue as one client until `stop_at`; send back how many pages were served."""
    served, failed = 0, 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.time() < stop_at:
        try:
            connection.request("GET", "/courses/", headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            served += response.status == 200
            failed += response.status != 200
        except (OSError, http.client.HTTPException):
            failed += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.send((served, failed))


def serve_app(home: Path) -> tuple[Any, int, str]:
    """The app on demo data, served by werkzeug (threaded) in this process; (app, port, a cadet's Cookie)."""
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{home / 'lectern.db'}",
            "LECTERN_STORAGE": str(home / "storage"),
            "SECRET_KEY": "benchmark",
            "LECTERN_LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per page served otherwise

    from lectern import create_app
    from lectern.cli import load_demo_data
    from lectern.extensions import db
    from lectern.platform.accounts.services import hash_password
    from lectern.platform.models import User

    app = create_app()
    with app.app_context():
        db.create_all()
        load_demo_data()
        cadet = db.session.query(User).filter_by(username="a.asanov").one()
        cadet.password_hash = hash_password("benchmark password")
        db.session.commit()
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = Browser(port)
    browser.sign_in("a.asanov", "benchmark password")
    browser.close()
    return app, port, "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def relay_client(mode: str, home: Path) -> tuple[Any, Any]:
    """(the RelayClient, what to stop afterwards) for a mode."""
    from lectern.webrtc.relay.api import RelayOptions

    if mode == "in-process":
        from lectern.webrtc.relay.inprocess import InProcessRelayClient

        client = InProcessRelayClient(RelayOptions(loopback_only=True))
        return client, client
    from lectern.webrtc.relay.embedded import EmbeddedRelay
    from lectern.webrtc.relay.remote import RemoteRelayClient

    environment = {**os.environ, "FLASK_APP": "wsgi.py", "LECTERN_RELAY_LOOPBACK": "1"}
    relay = EmbeddedRelay(environment)
    env = relay.start()
    return RemoteRelayClient(env["LECTERN_RELAYS"], env["LECTERN_RELAY_SECRET"]), relay


def frame_rates(data: list[dict[str, Any]], since: float, until: float) -> list[float]:
    return [len({ts for ts, at in r["video"] if since <= at < until}) / (until - since) for r in data]


def run_mode(mode: str, port: int, cookie: str, subscribers: int, clients: int, seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    client, owner = relay_client(mode, Path(tempfile.gettempdir()))
    pub_conn, pub_end = ctx.Pipe()
    sub_conn, sub_end = ctx.Pipe()
    publisher = ctx.Process(target=publisher_main, args=(pub_end,), daemon=True)
    audience = ctx.Process(target=subscribers_main, args=(sub_end, subscribers), daemon=True)
    loaders: list[tuple[Any, Connection]] = []
    try:
        client.open_lecture(LECTURE)
        publisher.start()
        pub_conn.send(client.publish(LECTURE, "pub", pub_conn.recv()))
        audience.start()
        while True:
            tag, sdp = sub_conn.recv()
            if tag == "joined":
                break
            sub_conn.send(client.subscribe(LECTURE, tag, sdp))
        assert sub_conn.recv()[0] == "ready"
        time.sleep(2.0)
        quiet = (time.time(), time.time() + seconds)
        time.sleep(seconds)
        stop_at = time.time() + seconds + 1.0
        for _ in range(clients):
            mine, theirs = ctx.Pipe()
            process = ctx.Process(target=loader_main, args=(port, cookie, stop_at, theirs), daemon=True)
            process.start()
            loaders.append((process, mine))
        time.sleep(1.0)  # the load builds up
        loaded = (time.time(), stop_at)
        time.sleep(max(0.0, stop_at - time.time()))
        served = [mine.recv() for _, mine in loaders]
        sub_conn.send("stop")
        data = sub_conn.recv()
        pub_conn.send("stop")
        pub_conn.recv()
    finally:
        for process in [publisher, audience, *(p for p, _ in loaders)]:
            process.join(15)
            if process.is_alive():
                process.kill()
        client.shutdown()
        if owner is not client:
            owner.stop()
    calm, busy = frame_rates(data, *quiet), frame_rates(data, *loaded)
    return {
        "mode": mode,
        "fps": statistics.mean(calm),
        "fps_worst": min(calm),
        "fps_loaded": statistics.mean(busy),
        "fps_loaded_worst": min(busy),
        "pages_per_s": sum(s for s, _ in served) / (loaded[1] - loaded[0] + 1.0),
        "page_errors": sum(f for _, f in served),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8, help="processes loading the catalogue page")
    parser.add_argument("--seconds", type=float, default=10.0, help="each window: without load, then with it")
    parser.add_argument("--modes", default="in-process,relay-process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _app, port, cookie = serve_app(Path(tmp))
        results = [
            run_mode(mode, port, cookie, args.subscribers, args.clients, args.seconds) for mode in args.modes.split(",")
        ]
    print(
        f"\nA lecture of {args.subscribers} subscribers (640x480 at 30 fps) while {args.clients} clients load the "
        f"catalogue, {args.seconds:g} s windows, {os.cpu_count()} cores\n"
    )
    header = f"{'relay':<14}{'fps':>7}{'worst':>7}{'fps, page load':>16}{'worst':>7}{'pages/s':>9}{'errors':>8}"
    print(header + f"{'loaded/calm':>13}")
    print("-" * (len(header) + 13))
    for r in results:
        print(
            f"{r['mode']:<14}{r['fps']:>7.1f}{r['fps_worst']:>7.1f}{r['fps_loaded']:>16.1f}"
            f"{r['fps_loaded_worst']:>7.1f}{r['pages_per_s']:>9.1f}{r['page_errors']:>8}"
            f"{r['fps_loaded'] / r['fps'] if r['fps'] else 0:>13.2f}"
        )
    if len(results) == 2:
        a, b = results
        fps = b["fps_loaded"] / max(a["fps_loaded"], 0.01)
        pages = b["pages_per_s"] / max(a["pages_per_s"], 0.01)
        print(f"\n{b['mode']} against {a['mode']} under page load: frame rate x{fps:.2f}, pages x{pages:.2f}")


if __name__ == "__main__":
    main()
