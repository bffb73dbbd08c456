"""Database engine and sessions: PostgreSQL via DATABASE_URL, SQLite by default."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def async_url(url: str) -> str:
    """The driver URL for the async engine: psycopg 3 for PostgreSQL, aiosqlite for SQLite."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
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
    return create_async_engine(async_url(url), pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=10,
                               hide_parameters=True,
                               connect_args={"connect_timeout": 5, "options": "-c statement_timeout=15000"})


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


async def session_from(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with maker() as session:
        yield session
