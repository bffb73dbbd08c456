"""Database engine and sessions: PostgreSQL via DATABASE_URL, SQLite by default."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def async_url(url: str) -> str:
    """The driver URL for the async engine: asyncpg for PostgreSQL, aiosqlite for SQLite."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def sync_url(url: str) -> str:
    """The driver URL for Alembic's synchronous migrations."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> AsyncEngine:
    # hide_parameters: a failed statement's values (phone numbers, addresses) stay out of exceptions and logs.
    if url.startswith("sqlite"):
        engine = create_async_engine(async_url(url), connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    # Timeouts: a connection attempt gives up after 5 s, a statement after 15 s, a wait for a pooled connection
    # after 10 s; a stuck database then answers 503 instead of holding customers' requests open.
    driver_url = async_url(url)
    if driver_url.startswith("postgresql+asyncpg://"):
        options: dict[str, Any] = {"async_creator": asyncpg_connector(driver_url)}
    elif driver_url.startswith("postgresql+psycopg://"):
        options = {"connect_args": {"connect_timeout": 5, "options": "-c statement_timeout=15000"}}
    else:
        options = {}
    engine = create_async_engine(driver_url, pool_size=10, max_overflow=20, pool_timeout=10, hide_parameters=True,
                                 **options)
    dialect = engine.sync_engine.dialect

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        """A pooled connection that sat idle is pinged before use (the database may have restarted meanwhile); one
        in steady use is not: a ping on every checkout was a round trip (three with asyncpg: BEGIN, ping,
        ROLLBACK) before each write of the chat path. A connection that breaks in use raises a disconnect error,
        which invalidates the pool's connections and answers that request 503; the client's retry gets new ones.
        One whose socket the server already closed (asyncpg has seen it end: the database restarted, or a
        failure of the chat path's own connections, gateway/pg_turns.py, came first) is replaced at once."""
        closed = getattr(getattr(dbapi_connection, "driver_connection", None), "is_closed", None)
        if closed is not None and closed():
            raise exc.DisconnectionError("connection closed by the server")
        if time.monotonic() - record.info.get("used_at", 0.0) < IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("idle connection is gone") from error

    event.listen(engine.sync_engine.pool, "checkout", ping_if_idle)
    event.listen(engine.sync_engine.pool, "connect", _note_use)
    event.listen(engine.sync_engine.pool, "checkin", _note_use)
    return engine


IDLE_PING_SECONDS = 10.0   # a pooled connection idle this long is pinged before use


def _note_use(_dbapi_connection: Any, record: Any) -> None:
    record.info["used_at"] = time.monotonic()


def asyncpg_connector(driver_url: str) -> Callable[[], Awaitable[Any]]:
    """asyncpg connections (less of the gateway's CPU per statement than psycopg's async path, measured side by
    side), with a failed connection attempt reported as the database error it is: SQLAlchemy's asyncpg adapter
    lets a refused connection (OSError), a timeout or a server's refusal (asyncpg's own errors) through
    untranslated, and those would answer 500 instead of the 503 every other database failure gets."""
    import asyncpg
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi

    dsn = "postgresql://" + driver_url.split("://", 1)[1]

    async def connect() -> Any:
        try:
            return await asyncpg.connect(dsn, timeout=5, server_settings={"statement_timeout": "15000"})
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise AsyncAdapt_asyncpg_dbapi.OperationalError(f"cannot connect to PostgreSQL: {error}") from error
    return connect


def sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Write-ahead log: readers never wait for the writer, and a commit appends to the log instead of rewriting
    pages under a rollback journal; `synchronous=NORMAL` syncs the log at checkpoints, not at every commit (a power
    cut may lose the last commits, never corrupt the file). The embedded default; production runs PostgreSQL."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def light_session(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for a path that mostly writes through the chat path's own connections (gateway/turn_store.py)
    and leaves the session untouched: closed only if it holds a connection, which a session does only inside a
    transaction (closing an untouched one costs a task and a greenlet, about 0.05 ms, a thirtieth of the gateway's
    own work per customer message)."""
    session = maker()
    try:
        yield session
    finally:
        if session.in_transaction():
            await session.close()


async def session_from(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with maker() as session:
        yield session
