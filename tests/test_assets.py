"""Light pages (lectern/assets.py): static URLs carry a content fingerprint and are kept for a year, other static
requests revalidate, and pages and static files are compressed where that is safe (never a range, never Socket.IO,
never a page for a cross-site request)."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli

from lectern.platform.models import Role

ROOT = Path(__file__).resolve().parents[1]
CSS = ROOT / "static" / "css" / "lectern.css"
STATIC_URL = re.compile(r'"(/static/[^"?]+)(?:\?v=([0-9a-f]+))?"')
GZIP = {"Accept-Encoding": "gzip"}


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def get(client, url: str, headers: dict[str, str] | None = None):
    """The response to a GET, read whole and closed (a static file is sent from an open file)."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def static_urls(client, page: str = "/login") -> dict[str, str | None]:
    """Each static file the page links to, with its `v` (None when it has none)."""
    return {path: v or None for path, v in STATIC_URL.findall(client.get(page).get_data(as_text=True))}


def test_every_static_url_of_a_page_carries_the_fingerprint_of_its_file(client):
    urls = static_urls(client)
    assert "/static/css/lectern.css" in urls and "/static/js/lectern.js" in urls
    for path, v in urls.items():
        assert v == fingerprint((ROOT / path.removeprefix("/")).read_bytes()), path


def test_the_fingerprint_changes_when_the_file_changes(app, client, tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    app.static_folder = str(static)
    css = static / "css" / "lectern.css"
    css.write_text("body { color: black; }\n" * 40)
    first = static_urls(client)["/static/css/lectern.css"]
    before = get(client, "/static/css/lectern.css", GZIP)
    assert gzip.decompress(before.get_data()) == css.read_bytes()
    css.write_text("body { color: navy; }\n" * 50)
    # Compressed bodies are kept by content: the changed file is never served from that cache.
    after = get(client, "/static/css/lectern.css", GZIP)
    assert gzip.decompress(after.get_data()) == css.read_bytes()
    second = static_urls(client)["/static/css/lectern.css"]
    assert first == fingerprint(("body { color: black; }\n" * 40).encode())
    assert second == fingerprint(css.read_bytes()) != first
    # The new URL is kept for a year; the old one now names other content, so it is only revalidated.
    assert get(client, f"/static/css/lectern.css?v={second}").headers["Cache-Control"] == (
        "public, max-age=31536000, immutable"
    )
    stale = get(client, f"/static/css/lectern.css?v={first}")
    assert stale.headers["Cache-Control"] == "no-cache"
    assert stale.get_data() == css.read_bytes()


def test_a_fingerprinted_file_is_immutable_and_the_others_are_revalidated_with_304(client):
    kept = get(client, f"/static/css/lectern.css?v={fingerprint(CSS.read_bytes())}")
    assert kept.status_code == 200
    assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # A lecture-room module, imported by relative path (no `v`): kept, but asked about again each time.
    module = get(client, "/static/js/lecture/state.js", GZIP)
    assert module.status_code == 200
    assert module.headers["Cache-Control"] == "no-cache"
    assert module.headers["ETag"] and module.headers["Last-Modified"]
    again = get(client, "/static/js/lecture/state.js", headers={**GZIP, "If-None-Match": module.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["Cache-Control"] == "no-cache"
    since = get(client, "/static/css/lectern.css", {"If-Modified-Since": kept.headers["Last-Modified"]})
    assert since.status_code == 304


def test_a_page_is_compressed_when_the_browser_accepts_it_and_only_then(client):
    plain = get(client, "/login")
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data(as_text=True).startswith("<!doctype html>")
    zipped = get(client, "/login", GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()).decode().startswith("<!doctype html>")
    assert int(zipped.headers["Content-Length"]) == len(zipped.get_data()) < len(plain.get_data()) / 2
    brotli_page = get(client, "/login", {"Accept-Encoding": "gzip, deflate, br"})
    assert brotli_page.headers["Content-Encoding"] == "br"
    assert brotli.decompress(brotli_page.get_data()).decode().startswith("<!doctype html>")


def test_a_stylesheet_is_compressed_when_accepted_and_sent_as_it_is_otherwise(client):
    url = f"/static/css/lectern.css?v={fingerprint(CSS.read_bytes())}"
    plain = get(client, url)
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == CSS.read_bytes()
    zipped = get(client, url, GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()) == CSS.read_bytes()
    assert zipped.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Its ETag names the encoding, and answers a conditional request with 304.
    assert zipped.headers["ETag"].endswith(':gzip"')
    again = get(client, url, {**GZIP, "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_a_range_request_gets_the_file_s_own_bytes_uncompressed(client):
    whole = get(client, "/static/css/lectern.css", GZIP)
    assert whole.headers["Content-Encoding"] == "gzip"
    part = get(client, "/static/css/lectern.css", {**GZIP, "Range": "bytes=100-299"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.headers["Content-Range"] == f"bytes 100-299/{CSS.stat().st_size}"
    assert part.get_data() == CSS.read_bytes()[100:300]


def test_socketio_is_left_alone_while_pages_are_compressed(client):
    assert get(client, "/login", GZIP).headers["Content-Encoding"] == "gzip"
    handshake = get(client, "/socket.io/?EIO=4&transport=polling", GZIP)
    assert handshake.status_code == 200
    assert "Content-Encoding" not in handshake.headers
    assert "Accept-Encoding" not in handshake.headers.get("Vary", "")
    assert handshake.get_data().startswith(b'0{"sid":')


def test_a_page_for_a_cross_site_request_is_not_compressed(client):
    """BREACH: an attacker's site makes the browser send cross-site requests; their pages go out uncompressed."""
    ours = get(client, "/login", {**GZIP, "Sec-Fetch-Site": "same-origin"})
    assert ours.headers["Content-Encoding"] == "gzip"
    typed = get(client, "/login", {**GZIP, "Sec-Fetch-Site": "none"})
    assert typed.headers["Content-Encoding"] == "gzip"
    theirs = get(client, "/login", {**GZIP, "Sec-Fetch-Site": "cross-site"})
    assert "Content-Encoding" not in theirs.headers
    assert theirs.get_data(as_text=True).startswith("<!doctype html>")


def test_a_static_file_does_not_vary_with_the_session_cookie(client, make):
    """A browser keeps a file that varies by cookie only until the cookie changes (a sign-in, a flashed message)."""
    cadet = make.user(Role.CADET)
    assert "Cookie" in get(client, "/login").headers["Vary"]  # pages do
    assert client.login(cadet.username).status_code == 302
    before = client.get_cookie("lectern_session")
    css = get(client, f"/static/css/lectern.css?v={fingerprint(CSS.read_bytes())}", GZIP)
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert css.headers["Vary"] == "Accept-Encoding"
    assert "Set-Cookie" not in css.headers
    assert client.get_cookie("lectern_session").value == before.value
    assert "Cookie" in get(client, "/learning").headers["Vary"]


def test_a_signed_in_page_is_private_and_revalidated(client, make):
    cadet = make.user(Role.CADET)
    assert client.login(cadet.username).status_code == 302
    page = get(client, "/learning", GZIP)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert page.headers["Content-Encoding"] == "gzip"
    assert "ETag" not in page.headers
