"""One place for HTTP errors: a page in the user's language for browsers, JSON for JSON clients."""

from __future__ import annotations

from typing import NoReturn

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from lectern.domain import DomainError
from lectern.extensions import db
from lectern.i18n import gettext as _


class BadInput(BadRequest):
    """A 400 whose description, in the user's language, says what was wrong and where (a field, a line)."""


def wants_json() -> bool:
    """JSON for API paths and for clients that prefer it to HTML."""
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Bad request"),
            _("The request could not be understood. Check what you entered and try again."),
        ),
        403: (_("Access denied"), _("You do not have permission to open this page.")),
        404: (_("Page not found"), _("This page does not exist, or it is not available to you.")),
        405: (_("Method not allowed"), _("This page cannot be used this way.")),
        409: (_("Not possible now"), _("This cannot be done in the current state. Reload the page and try again.")),
        422: (_("Not accepted"), _("Some of what was sent is not valid. Check it and try again.")),
        413: (
            _("File too large"),
            _("Files up to %(mb)d MB are accepted.", mb=current_app.config["MAX_CONTENT_LENGTH"] // 2**20),
        ),
        429: (_("Too many attempts"), _("Too many attempts in a short time. Wait a minute and try again.")),
        500: (
            _("Something went wrong"),
            _("An error occurred on the server. It has been logged; please try again."),
        ),
    }


def _render(code: int, detail: str | None = None) -> ResponseReturnValue:
    title, text = _messages().get(code, (_("Error"), _("The request could not be completed.")))
    if detail:
        text = detail
    if wants_json():
        return jsonify(error={"code": code, "title": title, "message": text}), code
    return render_template("errors/error.html", code=code, title=title, text=text), code


def abort_with(code: int, message: str) -> NoReturn:
    """Abort with an HTTP error whose page (or JSON) says `message`, a translated sentence for the user, in place
    of the code's generic text."""
    try:
        abort(code)
    except HTTPException as exc:
        exc.user_message = message  # type: ignore[attr-defined]
        raise


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return _render(400, _("The form has expired or was sent from another page. Reload the page and send it again."))

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> ResponseReturnValue:
        # A service refused: nothing it began may be committed.
        db.session.rollback()
        return _render(exc.status, exc.message)

    @app.errorhandler(BadInput)
    def bad_input(exc: BadInput) -> ResponseReturnValue:
        return _render(400, exc.description)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        if exc.code is None or exc.code < 400:
            return exc
        return _render(exc.code, getattr(exc, "user_message", None))

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError) -> ResponseReturnValue:
        db.session.rollback()
        return _render(500)
