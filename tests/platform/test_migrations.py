"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lectern.extensions import db


def _fresh_schema(database, tmp_path, app_factory):
    """An application on an empty database of the test's backend."""
    if database.backend == "sqlite":
        return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrated.db'}"), None
    schema = f"lectern_migrations_{os.getpid()}"
    admin = sa.create_engine(database.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    return app_factory(SQLALCHEMY_DATABASE_URI=database.url + "?", SQLALCHEMY_ENGINE_OPTIONS=options), (admin, schema)


def test_migrations_match_the_models(database, tmp_path, app_factory):
    app, pg = _fresh_schema(database, tmp_path, app_factory)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
            downgrade(revision="base")
            with db.engine.connect() as conn:
                left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
    finally:
        with app.app_context():
            db.engine.dispose()
        if pg:
            admin, schema = pg
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
