"""Lectern: distance learning and live lectures for border-guard and customs academies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lectern import config as config_module
from lectern.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from lectern.i18n import lazy_gettext as _l
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
    Path(app.config["LECTERN_STORAGE"]).mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)

    from lectern import errors, inputs, security
    from lectern.cli import lectern_cli

    errors.register(app)
    inputs.register(app)
    security.register(app)
    app.cli.add_command(lectern_cli)
    return app


def _init_extensions(app: Flask) -> None:
    from lectern.platform.accounts import sessions
    from lectern.platform.locale import select_locale, select_timezone
    from lectern.platform.models import utcnow
    from lectern.webrtc.room.namespace import LectureNamespace

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "lectern" / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # `socketio` is module-level and create_app runs many times (tests): register the namespace once.
    if not any(isinstance(h, LectureNamespace) for h in socketio.namespace_handlers):
        socketio.on_namespace(LectureNamespace("/lecture"))
    # Flask-SocketIO keeps a queue manager made for an earlier app in its options even when the next app has
    # none (tests make many apps in one process): start from a clean slate.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(app, async_mode="threading", message_queue=app.config["REDIS_URL"], manage_session=False)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Please sign in to open this page.")

    def load_user(token: str) -> Any:
        return sessions.load_user(db.session, token, utcnow())

    login_manager.user_loader(load_user)  # called, not used as a decorator: Flask-Login's decorator is untyped


def _register_blueprints(app: Flask) -> None:
    from lectern import health
    from lectern.courses import templating as courses_templating
    from lectern.courses.catalogue import categories
    from lectern.courses.catalogue import views as catalogue
    from lectern.courses.content import editing, lessons
    from lectern.courses.enrolment import cohort_sync  # noqa: F401  (imported for its side effect)
    from lectern.courses.enrolment import user_import as user_import_courses  # noqa: F401  (imported for its side effect)
    from lectern.courses.enrolment import views as course_admin_views
    from lectern.courses.packages import views as package_views
    from lectern.courses.quizzes import templating as quiz_templating
    from lectern.courses.quizzes.attempts import views as quiz_views
    from lectern.courses.quizzes.authoring import views as quiz_edit_views
    from lectern.courses.quizzes.bank import import_views as quiz_import_views  # noqa: F401  (imported for its side effect)
    from lectern.courses.quizzes.bank import views as quiz_bank_views
    from lectern.courses.quizzes.gradebook import views as quiz_grading_views
    from lectern.platform import home, templating
    from lectern.platform.accounts import views as auth
    from lectern.platform.admin import views as admin
    from lectern.platform.audit import views as audit_views
    from lectern.platform.cohorts import views as cohort_views
    from lectern.platform.user_import import views as user_import_views
    from lectern.reports import templating as reports_templating
    from lectern.reports import views as reports
    from lectern.webrtc import templating as lectures_templating
    from lectern.webrtc import views as lectures

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(user_import_views.bp)
    app.register_blueprint(cohort_views.bp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(course_admin_views.bp)
    app.register_blueprint(editing.bp)
    app.register_blueprint(lessons.bp)
    app.register_blueprint(categories.bp)
    app.register_blueprint(package_views.bp)
    app.register_blueprint(quiz_bank_views.bp)  # with the routes of quiz_import_views
    app.register_blueprint(quiz_views.bp)
    app.register_blueprint(quiz_edit_views.bp)
    app.register_blueprint(quiz_grading_views.bp)
    app.register_blueprint(lectures.bp)
    app.register_blueprint(reports.bp)
    templating.register(app)
    courses_templating.register(app)
    quiz_templating.register(app)
    lectures_templating.register(app)
    reports_templating.register(app)
