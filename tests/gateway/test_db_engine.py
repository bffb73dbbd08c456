"""The PostgreSQL engine (gateway/db.py): every failure to reach the database is a database error (the 503 path,
never a 500), and a pooled connection is pinged only after it sat idle, so one in steady use costs no round trip
while one the database dropped during a quiet spell is replaced before a customer's request uses it."""
from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gateway import db

BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_or_skip() -> None:
    try:
        psycopg.connect(BASE, connect_timeout=3).close()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL here")


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:1/test",                 # nothing listening
                                 BASE.rsplit("/", 1)[0] + "/no_such_database_here"])       # the server refuses
async def test_a_database_out_of_reach_is_a_database_error(url: str) -> None:
    if "no_such" in url:
        _postgres_or_skip()
    engine = db.make_engine(url)
    try:
        with pytest.raises(DBAPIError):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def _backend(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()


def _terminate(pid: int) -> None:
    with psycopg.connect(BASE, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def test_only_an_idle_connection_is_pinged(monkeypatch) -> None:
    _postgres_or_skip()
    engine = db.make_engine(BASE)
    try:
        # In steady use: no ping, so a connection the server dropped fails its statement (503 to the customer,
        # whose retry gets a new connection, as the drills count).
        first = await _backend(engine)
        _terminate(first)
        with pytest.raises(DBAPIError):
            await _backend(engine)
        second = await _backend(engine)
        assert second != first
        # After a quiet spell: the ping finds the connection gone and the pool replaces it unnoticed.
        _terminate(second)
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        third = await _backend(engine)
        assert third not in (first, second)
    finally:
        await engine.dispose()
