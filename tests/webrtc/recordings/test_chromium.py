"""Chromium (Debian's, as the browser tests use) plays the three files and seeks in them, over HTTP range requests.

Served slowly, so that a seek lands beyond what was loaded: Chromium finds where to read from the Cues at the
front (one range request), as it will from the app's range-serving downloads.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.webrtc.recordings.conftest import Composed

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHUNK = 16384
PLAY_AND_SEEK = """async ([tag, url, to]) => {
  const media = document.createElement(tag);
  media.muted = true;
  media.src = url;
  document.body.appendChild(media);
  await new Promise((ok, fail) => {
    media.onloadedmetadata = ok;
    media.onerror = () => fail(new Error(media.error ? media.error.message : "error"));
  });
  const duration = media.duration;
  await media.play();
  media.currentTime = to;
  await new Promise((ok) => { media.onseeked = ok; });
  const at = media.currentTime;
  await new Promise((ok) => setTimeout(ok, 300));
  return {duration, at, playing: !media.paused && media.currentTime > at, width: media.videoWidth || 0};
}"""


class Files:
    """A WSGI app serving files from memory (no open file a dropped connection could leave behind) with range
    requests, about 1 MB/s (a request from the start crawls past 40% of the file); it remembers the ranges asked for."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.ranges: list[tuple[str, str]] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        name = environ["PATH_INFO"].lstrip("/")
        if name not in self.files:
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<!doctype html><title>replay</title>"]
        data = self.files[name]
        asked = environ.get("HTTP_RANGE", "")
        self.ranges.append((name, asked))
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", asked)
        first = int(match.group(1)) if match else 0
        last = int(match.group(2)) if match and match.group(2) else len(data) - 1
        kind = "audio/webm" if name.startswith("audio") else "video/webm"
        headers = [("Content-Type", kind), ("Accept-Ranges", "bytes"), ("Content-Length", str(last - first + 1))]
        if match:
            headers.append(("Content-Range", f"bytes {first}-{last}/{len(data)}"))
        start_response("206 Partial Content" if match else "200 OK", headers)
        # A request from the start crawls past 40% of the file, however slowly the machine runs the page, so the
        # seek to 65% always lands beyond what was loaded.
        return self.slowly(data[first : last + 1], int(0.4 * len(data)) if first == 0 else len(data))

    @staticmethod
    def slowly(body: bytes, crawl_from: int) -> Iterator[bytes]:
        for start in range(0, len(body), CHUNK):
            time.sleep(0.016 if start < crawl_from else 0.5)
            yield body[start : start + CHUNK]


def test_chromium_plays_and_seeks_the_three_files(composed: Composed) -> None:
    outputs = composed.outputs
    files = Files({o.path.name: o.path.read_bytes() for o in (outputs.replay, outputs.low, outputs.audio)})
    server = make_server("127.0.0.1", 0, files, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="replay-files", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
            )
            try:
                page = browser.new_page()
                page.goto(f"{base}/")
                played = {
                    name: page.evaluate(PLAY_AND_SEEK, [tag, f"{base}/{name}", 6.5])
                    for tag, name in (("video", "replay.webm"), ("video", "low.webm"), ("audio", "audio.webm"))
                }
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    for name, result in played.items():
        assert result["duration"] == pytest.approx(composed.plan.duration, abs=0.5), name
        assert result["at"] == pytest.approx(6.5, abs=0.1), name
        assert result["playing"], name
    assert (played["replay.webm"]["width"], played["low.webm"]["width"], played["audio.webm"]["width"]) == (
        1280,
        640,
        0,
    )
    # The videos were still loading at the seek: Chromium jumped there with one more range request, by the Cues.
    for name in ("replay.webm", "low.webm"):
        asked = [r for n, r in files.ranges if n == name]
        assert len(asked) == 2 and asked[0] == "bytes=0-" and asked[1] != "bytes=0-", (name, asked)
