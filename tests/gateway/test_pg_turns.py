"""The chat path's own asyncpg connections on PostgreSQL (gateway/pg_turns.py): never more than their limit, a
statement's own error leaves its connection in use, any other failure closes it, a connection the server closed
is replaced unnoticed, a database that cannot be reached is the DBAPIError every path answers 503 for, and
disposing the engine closes them."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from gateway import db
from gateway.bindings import current_bindings
from gateway.models import Conversation
from gateway.pg_turns import ChatConnections, PgTurns
from gateway.turn_store import new_conversation_insert, turns_for


@pytest.fixture
async def engine(migrated_database: str) -> AsyncIterator:
    if not migrated_database.startswith("postgresql"):
        pytest.skip("no PostgreSQL here")
    engine = db.make_engine(migrated_database)
    yield engine
    await engine.dispose()


def connections_of(engine) -> ChatConnections:
    writer = turns_for(db.make_sessionmaker(engine)())
    assert isinstance(writer, PgTurns)
    return writer._connections


def _terminate(database_url: str, pid: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def _pid(connections: ChatConnections) -> int:
    return (await connections.fetch("SELECT pg_backend_pid()"))[0][0]


async def test_never_more_connections_than_the_limit(engine) -> None:
    connections = connections_of(engine)
    rows = await asyncio.gather(*(connections.fetch("SELECT pg_backend_pid() FROM pg_sleep(0.02)")
                                  for _ in range(3 * ChatConnections.SIZE)))
    assert 1 < len({row[0][0] for row in rows}) <= ChatConnections.SIZE


async def test_a_statement_error_keeps_the_connection_any_other_failure_closes_it(engine) -> None:
    connections = connections_of(engine)
    first = await _pid(connections)
    with pytest.raises(DBAPIError):
        await connections.fetch("SELECT 1 / 0")
    assert await _pid(connections) == first
    with pytest.raises(TimeoutError):          # cancelled in the middle of a statement: not reused
        await asyncio.wait_for(connections.fetch("SELECT pg_sleep(5)"), 0.2)
    assert await _pid(connections) != first


async def test_a_connection_the_server_closed_is_replaced_unnoticed(engine, migrated_database, monkeypatch) -> None:
    connections = connections_of(engine)
    first = await _pid(connections)
    _terminate(migrated_database, first)
    await asyncio.sleep(0.2)                   # the loop sees the socket end
    second = await _pid(connections)
    assert second != first
    # A connection idle long enough is pinged first; one that fails its ping is replaced too.
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    assert await _pid(connections) == second
    _terminate(migrated_database, second)
    assert await _pid(connections) not in (first, second)


async def test_an_unreachable_database_is_a_dbapi_error() -> None:
    refused = ChatConnections(db.asyncpg_connector("postgresql+asyncpg://postgres@127.0.0.1:9/none"))
    with pytest.raises(OperationalError):
        await refused.fetch("SELECT 1")


async def test_disposing_the_engine_closes_them(engine) -> None:
    connections = connections_of(engine)
    await _pid(connections)
    idle = [connection for connection, _ in connections._idle]
    assert idle
    await engine.dispose()
    assert all(connection.is_closed() for connection in idle) and not connections._idle
    await _pid(connections)                    # and a disposed engine still works, as SQLAlchemy's does


async def test_the_new_conversation_statement_is_built_once(engine) -> None:
    """A widget session's conversation through the ORM session (conversations.get_or_create, tickets) uses one
    statement object, so SQLAlchemy compiles it once; its values are the call's."""
    first, first_params = new_conversation_insert("postgresql", f"web:{uuid.uuid4().hex}", "web", None, "tianfu")
    second, second_params = new_conversation_insert("postgresql", f"web:{uuid.uuid4().hex}", "web", None, None)
    assert first is second and first_params["new_id"] != second_params["new_id"]
    async with db.make_sessionmaker(engine)() as session:
        for statement, params in ((first, first_params), (second, second_params)):
            await session.execute(statement, params)
        await session.commit()
        rows = (await session.execute(select(Conversation.id, Conversation.company, Conversation.customer_key)
                                      .where(Conversation.id.in_([first_params["new_id"], second_params["new_id"]]))
                                      .order_by(Conversation.created_at))).all()
    default = current_bindings().default_company
    assert [(r.company, r.customer_key == r.id) for r in rows] == [("tianfu", True), (default, True)]
