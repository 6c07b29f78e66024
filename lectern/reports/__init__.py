"""Reports: completion, quiz results and lecture attendance by course and by cohort. Reads the other areas; only
`create_app` imports it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the reports area: its pages and the links to them on the other areas' pages."""
    from lectern.reports import templating, views

    app.register_blueprint(views.bp)
    templating.init_app(app)
