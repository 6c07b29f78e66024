"""Lectern: distance learning and live lectures for border-guard and customs academies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_limiter.util import get_qualified_name
from werkzeug.middleware.proxy_fix import ProxyFix

from lectern import assets, courses, errors, gate, health, inputs, platform, registry, reports, security, webrtc
from lectern import config as config_module
from lectern.cli import lectern_cli
from lectern.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from lectern.i18n import lazy_gettext as _l
from lectern.platform import jobs
from lectern.urls import IdConverter

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. `config` overrides the environment (tests pass a plain dict)."""
    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        instance_path=str(Path((config or {}).get("INSTANCE_PATH", ROOT / "instance")).resolve()),
    )
    app.config.from_mapping(config_module.load(Path(app.instance_path), config))
    app.url_map.converters["id"] = IdConverter
    if proxies := app.config["LECTERN_PROXIES"]:
        # Behind nginx: take the client's address and scheme from the proxy's headers (rate limits need them).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    if slots := app.config["LECTERN_REQUEST_SLOTS"]:
        # HTTP requests take turns (lectern/gate.py); Socket.IO's middleware, added later, wraps this one.
        app.wsgi_app = gate.RequestGate(app.wsgi_app, slots)  # type: ignore[method-assign]
    Path(app.config["LECTERN_STORAGE"]).mkdir(parents=True, exist_ok=True)

    registry.init_app(app)
    jobs.init_app(app)  # before the areas, which add their tasks to it
    _init_extensions(app)
    app.register_blueprint(health.bp)
    # The areas, lowest first; each registers its pages and adds to the lower areas' registry slots.
    for area in (platform, courses, webrtc, reports):
        area.init_app(app)
    _init_socketio(app)  # after the lectures area has handed over its namespace
    _limits_on_sign_in_only(app)
    errors.init_app(app)
    inputs.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    app.cli.add_command(lectern_cli)
    return app


def _init_extensions(app: Flask) -> None:
    from lectern.platform.accounts import sessions
    from lectern.platform.locale import select_locale, select_timezone
    from lectern.platform.models import utcnow

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "lectern" / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Please sign in to open this page.")

    def load_user(token: str) -> Any:
        return sessions.load_user(db.session, token, utcnow())

    login_manager.user_loader(load_user)  # called, not used as a decorator: Flask-Login's decorator is untyped


def _limits_on_sign_in_only(app: Flask) -> None:
    """Flask-Limiter looks at every request of the app for limits (about 0.07 ms each in-process, 4% of a quiz
    answer's save), and the only limits are on signing in: its check runs for that blueprint's requests alone. A
    limit put on a view of another blueprint would not be checked: starting the app says so."""
    limited = {
        endpoint.partition(".")[0]
        for endpoint, view in app.view_functions.items()
        if get_qualified_name(view) in limiter._marked_for_limiting
    }
    if limited - {"auth"}:
        raise RuntimeError(f"rate limits are checked for the auth blueprint only, not for {sorted(limited - {'auth'})}")
    check = limiter._check_request_limit  # what Flask-Limiter's init_app added to every request (when enabled)
    everywhere = app.before_request_funcs.get(None, [])
    if check in everywhere:
        everywhere.remove(check)
        app.before_request_funcs.setdefault("auth", []).append(check)


def _init_socketio(app: Flask) -> None:
    # Flask-SocketIO keeps a queue manager made for an earlier app in its options even when the next app has
    # none (tests make many apps in one process): start from a clean slate.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(app, async_mode="threading", message_queue=app.config["REDIS_URL"], manage_session=False)
