"""Alembic environment: migrates the database named by the gateway's settings."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from gateway import models  # noqa: F401  (registers the tables)
from gateway.config import get_settings
from gateway.db import Base, sync_url

url = context.config.attributes.get("database_url") or get_settings().database_url


def run_migrations_online() -> None:
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
