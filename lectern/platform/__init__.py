"""Academies, users, authentication, roles and their administration: the lowest area, which imports no other."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the platform area: its pages, and what every page's template needs (header, language, formats)."""
    from lectern.platform import home, templating
    from lectern.platform.accounts import views as accounts
    from lectern.platform.admin import views as admin
    from lectern.platform.audit import views as audit
    from lectern.platform.cohorts import views as cohorts
    from lectern.platform.user_import import views as user_import

    for blueprint in (accounts.bp, home.bp, admin.bp, user_import.bp, cohorts.bp, audit.bp):
        app.register_blueprint(blueprint)
    templating.init_app(app)
