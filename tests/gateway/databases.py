"""A database of its own for a test or a test session: a new PostgreSQL database beside the machine's `test`
database (TEST_POSTGRES_URL), dropped afterwards; SQLite in `tmp_dir` when no PostgreSQL answers."""
from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


@contextmanager
def fresh_database(tmp_dir: Path, prefix: str = "gateway_test") -> Iterator[str]:
    base = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        warnings.warn("PostgreSQL not reachable: these gateway tests run on SQLite", stacklevel=3)
        yield f"sqlite:///{tmp_dir / f'{prefix}.db'}"
        return
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
