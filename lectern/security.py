"""Security headers on every response.

The templates use no inline script or style, so the content security policy can be strict."""

from __future__ import annotations

from flask import Flask, Response

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    secure = app.config["SESSION_COOKIE_SECURE"]
    added = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        # Lectures need the camera, microphone and screen of this site only.
        ("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), geolocation=()"),
    ]
    if secure:
        added.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    @app.after_request
    def headers(response: Response) -> Response:
        # Each header unless the view set its own; one pass over the response's headers (Werkzeug's `setdefault`
        # looks each name up apart, and a missing one costs it an exception).
        h = response.headers
        present = {name.lower() for name, _value in h.items()}
        h.extend([(name, value) for name, value in added if name.lower() not in present])
        return response
