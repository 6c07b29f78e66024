"""Files the browser saves rather than shows."""

from __future__ import annotations

from flask import Response


def csv_download(body: bytes, filename: str) -> Response:
    """A CSV file to save: names, grades and attendance are personal data, so no cache keeps a copy."""
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
