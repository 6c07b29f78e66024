"""Light pages on slow links: fingerprinted static URLs kept for a year, compressed responses, private pages.

Static files. `url_for("static", filename=...)` adds `v=`, the first 12 hex digits of the SHA-256 of the file's
content. A request whose `v` is the file's current fingerprint is answered `public, max-age=31536000, immutable`: the
browser keeps the file and never asks again, and a new version of it has a new URL. Every other static request gets
`no-cache` with Flask's ETag and Last-Modified, so the browser keeps the file but revalidates it on each use (a 304 of
a few hundred bytes) and never uses a changed one stale: the lecture room's ES modules, which import one another by
relative path (`./state.js`) and so carry no `v`, and a page rendered before an upgrade that asks with an old `v`.

Compression. Flask-Compress (brotli where the browser takes it, else gzip) for HTML, CSS, JavaScript, JSON and SVG
of 500 bytes or more, with `Vary: Accept-Encoding`. Its hook is called from here rather than registered by it,
because some responses must go out as they are: partial content (206, a video seeking: the range is of the file's
bytes, not of a compressed stream), anything streamed (downloads, media), and media types that are compressed
already (WebP, WebM, PNG, PDF, ZIP are not in the list). Static files are compressed once per content: the compressed
bodies are kept by algorithm and SHA-256 of what was read, so a changed file is never served from that cache.
Socket.IO never reaches Flask: engine.io's middleware answers /socket.io/ before it, so nothing here touches it.

Flask adds `Vary: Cookie` to every response of a request that looked at the session, and Flask-Login looks at it
on every request. A browser that honours it (Chromium's disk cache does) asks again for a file kept for a year as
soon as the session cookie changed (a sign-in, a message shown after a form), so a static file's response leaves
the session alone when the request did not change it: no `Vary: Cookie`, no refreshed cookie.

Pages. Every HTML page differs per user (the header's name, each form's CSRF token), so a page whose view set no
Cache-Control is sent `private, no-cache`: no shared cache keeps it, and the browser never shows a stale one (with
a stale CSRF token). Pages get no ETag: the CSRF token changes with every render, so a validator would never match.

BREACH: a compressed page that holds a secret (the CSRF token) next to text an attacker chose (a search query shown
back) lets someone who watches the encrypted lengths guess the secret, from many requests the attacker's site makes
the victim's browser send. Those requests are cross-site, and browsers say so in `Sec-Fetch-Site`: dynamic responses
are compressed only for same-origin requests and ones the user started (`none`: typed, bookmarked), or a client that
does not send the header. Static files hold no secret and are compressed for everyone.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Flask, Request, Response, current_app, g, has_request_context, request, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_compress import Compress, DictCache
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
FINGERPRINT_LENGTH = 12
# Text types worth compressing; media that is compressed already (webp, webm, png, pdf, zip) is left out on purpose.
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]
# Static files are read into memory to be compressed and cached; a larger one (there is none today) goes out as it is.
MAX_COMPRESSED_STATIC = 1024 * 1024
SAFE_FETCH_SITES = {"same-origin", "none"}
_EXTENSION = "lectern.assets"


@dataclass(frozen=True)
class _Version:
    mtime_ns: int
    size: int
    fingerprint: str


class Fingerprints:
    """Content fingerprints of static files, each computed once per version of the file.

    The file is looked at (one `stat`, microseconds) every time its URL is built and hashed again only when its
    modification time or size changed, in production as in debug: an upgrade that replaces static/ under running
    workers then never hands out an old fingerprint for a new file."""

    def __init__(self) -> None:
        self._known: dict[str, _Version] = {}

    def of(self, folder: str, filename: str) -> str | None:
        """The fingerprint of `filename` in `folder`, or None when it is not a file there."""
        path = safe_join(folder, filename)
        if path is None:
            return None
        try:
            info = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        known = self._known.get(path)
        if known is not None and known.mtime_ns == info.st_mtime_ns and known.size == info.st_size:
            return known.fingerprint
        try:
            with open(path, "rb") as fh:
                fingerprint = hashlib.file_digest(fh, "sha256").hexdigest()[:FINGERPRINT_LENGTH]
        except OSError:
            return None
        # Two threads may both hash a new version; they store the same value.
        self._known[path] = _Version(info.st_mtime_ns, info.st_size, fingerprint)
        return fingerprint


@dataclass
class _Assets:
    fingerprints: Fingerprints
    pages: Compress
    static: Compress
    urls: dict[tuple[str, str, str | None], str] = field(default_factory=dict)


def static_url(filename: str) -> str:
    """`url_for("static", filename=filename)` as templates write it (`static_url('css/lectern.css')`): the same
    fingerprinted address, built once per version of the file. Every page links three static files: the file is
    still looked at each time (one `stat`), the address is not built again."""
    assets = cast(_Assets, current_app.extensions[_EXTENSION])
    folder = current_app.static_folder
    fingerprint = assets.fingerprints.of(folder, filename) if folder else None
    key = (request.script_root if has_request_context() else "", filename, fingerprint)
    found = assets.urls.get(key)
    if found is None:
        version: dict[str, Any] = {"v": fingerprint} if fingerprint else {}
        found = assets.urls[key] = url_for("static", filename=filename, **version)
    return found


class StaticFilesWithoutSession(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a static file's response does not save an unchanged session:
    a static file is the same for everyone, so it must not say `Vary: Cookie`."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint == "static" and not session.modified:
            return
        super().save_session(app, session, response)


def _content_key(_request: Request) -> str:
    """Flask-Compress's cache key of a static response: the SHA-256 of the bytes it read (see `_static`)."""
    return str(g.get("lectern_static_sha256"))


def init_app(app: Flask) -> None:
    """Fingerprint static URLs, set their cache headers, keep pages private and compress what is worth it."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Brotli 5 is a few percent smaller than gzip 6 on these pages and files, in under a millisecond; 11 would be
    # smaller still but costs tens of milliseconds per page.
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Streamed responses (send_file's downloads, media, ranges) are never compressed; static files are made whole
    # first (see `_static`), so they are not streamed by the time Flask-Compress sees them.
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config["COMPRESS_REGISTER"] = False  # called from `after` below, which decides what may be compressed
    static = Compress(app)
    # The static instance alone keeps what it compressed: a page is compressed anew each time (it changes per user).
    static.cache = DictCache()
    static.cache_key = _content_key
    assets = _Assets(Fingerprints(), pages=Compress(app), static=static)
    app.extensions[_EXTENSION] = assets
    app.jinja_env.globals["static_url"] = static_url
    if type(app.session_interface) is SecureCookieSessionInterface:  # Flask's own, not one configured elsewhere
        app.session_interface = StaticFilesWithoutSession()

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" or "v" in values:
            return
        filename, folder = values.get("filename"), current_app.static_folder
        if isinstance(filename, str) and folder and (value := assets.fingerprints.of(folder, filename)):
            values["v"] = value

    @app.after_request
    def after(response: Response) -> Response:
        if request.endpoint == "static":
            return _static(assets, response)
        return _page(assets, response)


def _static(assets: _Assets, response: Response) -> Response:
    if response.status_code not in (200, 304):
        return response  # a 404, or a 206 of a range: as they are
    folder, filename = current_app.static_folder, (request.view_args or {}).get("filename")
    wanted = request.args.get("v")
    fingerprinted = bool(wanted and folder and filename and wanted == assets.fingerprints.of(folder, filename))
    response.headers["Cache-Control"] = IMMUTABLE if fingerprinted else "no-cache"
    if (
        response.status_code == 200
        and response.mimetype in COMPRESSED_TYPES
        and (response.content_length or 0) <= MAX_COMPRESSED_STATIC
    ):
        response.direct_passthrough = False  # send_file's file, read into memory so it can be compressed
        g.lectern_static_sha256 = hashlib.sha256(response.get_data()).hexdigest()
        return assets.static.after_request(response)
    return response


def _page(assets: _Assets, response: Response) -> Response:
    if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-cache"
    if (
        response.mimetype not in COMPRESSED_TYPES
        or response.status_code == 206
        or "Content-Range" in response.headers
        or request.headers.get("Sec-Fetch-Site", "same-origin") not in SAFE_FETCH_SITES
    ):
        return response
    return assets.pages.after_request(response)
