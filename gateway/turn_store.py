"""The chat path's writes (a new widget conversation, then two per message), as few round trips as each database
allows; `run` gives the assistant's ticket calls (gateway/tickets.py) the same path.

Every customer message of every channel writes twice: before the bot is asked, the customer's message (committed,
so a bot failure loses nothing), read together with the conversation; after, the bot's replies, read together
with the conversation's state (the bot may have handed off during the turn). Each write is one transaction of
Core statements prepared once (no ORM unit of work).

- PostgreSQL (production): a connection of the async engine in autocommit, each statement durable on its own, no
  BEGIN or COMMIT round trips. (Merging each write into one data-modifying WITH statement saved two round trips
  but cost more CPU in SQLAlchemy than it saved.)
- An SQLite file (the embedded default): aiosqlite hops to its thread for every cursor call, a dozen wakeups per
  message, which cost more than the statements; here each write runs on the event loop itself, on a synchronous
  connection to the same file (WAL: readers never wait for it). A write is a fraction of a millisecond (no fsync
  at commit with synchronous=NORMAL), less than a hop to a worker thread and back cost; it never waits inside
  SQLite (no busy timeout: a write that finds the lock taken fails at once and is tried again 2 ms later), so
  the loop is never held up by another connection's transaction.
"""
from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from gateway.bindings import current_bindings
from gateway.clock import now
from gateway.db import sqlite_pragmas
from gateway.models import Conversation, Message

T = TypeVar("T")


@dataclass(frozen=True)
class Head:
    """What a turn needs to know of its conversation."""
    id: str
    state: str
    company: str | None
    previous_at: datetime | None      # the customer's last message before this one


MESSAGE_FIELDS = (Message.id, Message.role, Message.text, Message.buttons, Message.author, Message.at, Message.meta)

_HEAD = select(
    Conversation.state, Conversation.company,
    select(func.max(Message.at)).where(Message.conversation_id == bindparam("cid"), Message.role == "customer")
    .scalar_subquery(),
).where(Conversation.id == bindparam("cid"))
_STATE = select(Conversation.state).where(Conversation.id == bindparam("cid"))
INSERT_MESSAGE = insert(Message.__table__).returning(*MESSAGE_FIELDS)
_INSERT_REPLIES = insert(Message.__table__).returning(*MESSAGE_FIELDS, sort_by_parameter_order=True)
# PostgreSQL: the replies and the conversation's state in one statement (a sub-select in RETURNING reads the state
# as of the statement's start: after the turn, whatever the bot did during it)
_INSERT_REPLIES_WITH_STATE = insert(Message.__table__).returning(
    *MESSAGE_FIELDS, select(Conversation.state).where(Conversation.id == literal_column("messages.conversation_id"))
    .scalar_subquery(), sort_by_parameter_order=True)


def new_conversation_statement(dialect: str, conversation_id: str, channel: str, customer_key: str | None,
                      company: str | None) -> Any:
    """Concurrent first messages race on the primary key harmlessly. A conversation without a company of its own
    gets the deployment's default company (gateway/bindings.py)."""
    statement = pg_insert if dialect == "postgresql" else sqlite_insert
    return statement(Conversation).values(
        id=conversation_id, channel=channel, customer_key=customer_key or conversation_id, state="bot",
        company=company or current_bindings().default_company, created_at=now(),
    ).on_conflict_do_nothing(index_elements=[Conversation.id])


def _reply_rows(conversation_id: str, replies: list[dict]) -> list[dict[str, Any]]:
    at = now()
    return [{"conversation_id": conversation_id, "role": "bot", "text": r["text"], "buttons": r.get("buttons") or None,
             "meta": r.get("meta"), "author": None, "at": at} for r in replies]


def message_row(conversation_id: str, role: str, text: str) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "role": role, "text": text, "buttons": None, "meta": None,
            "author": None, "at": now()}


_autocommit_engines: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()


class AsyncTurns:
    """Any database through the application's async engine (PostgreSQL in production).

    The chat path's writes run in autocommit: each statement is durable on its own (the message is stored before
    the bot is asked), and none of them needs another's atomicity (the conversation insert races harmlessly, the
    replies are one multi-row insert). That leaves out BEGIN and COMMIT, two of the four round trips each write
    had."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _connect(self) -> AsyncConnection:
        engine = self.session.bind
        autocommit = _autocommit_engines.get(engine.sync_engine)
        if autocommit is None:
            autocommit = _autocommit_engines[engine.sync_engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
        return autocommit.connect()

    async def open_turn(self, conversation_id: str, channel: str, customer_key: str | None, company: str | None,
                        text: str) -> tuple[Head, Any]:
        async with self._connect() as connection:
            row = (await connection.execute(_HEAD, {"cid": conversation_id})).first()
            if row is None:
                await connection.execute(new_conversation_statement(connection.dialect.name, conversation_id, channel,
                                                                    customer_key, company))
                row = (await connection.execute(_HEAD, {"cid": conversation_id})).one()
            message = (await connection.execute(INSERT_MESSAGE, message_row(conversation_id, "customer", text))).one()
        return Head(conversation_id, row[0], row[1], row[2]), message

    async def new_conversation(self, conversation_id: str, channel: str, company: str | None) -> None:
        async with self._connect() as connection:
            await connection.execute(new_conversation_statement(connection.dialect.name, conversation_id, channel,
                                                                None, company))

    async def close_turn(self, conversation_id: str, replies: list[dict]) -> tuple[list[Any], str]:
        async with self._connect() as connection:
            if connection.dialect.name == "postgresql" and replies:
                rows = list((await connection.execute(_INSERT_REPLIES_WITH_STATE,
                                                      _reply_rows(conversation_id, replies))).all())
                return rows, rows[-1][-1]
            rows = list((await connection.execute(_INSERT_REPLIES, _reply_rows(conversation_id, replies))).all())
            state = (await connection.execute(_STATE, {"cid": conversation_id})).scalar_one()
        return rows, state

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        """work(connection, *args), reads only, inside the session's transaction (it sees what the session wrote)."""
        connection = await self.session.connection()
        return await connection.run_sync(work, *args)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """work(connection, *args) as one transaction (Core statements on the session's connection)."""
        connection = await self.session.connection()
        try:
            result = await connection.run_sync(work, *args)
        except BaseException:
            await self.session.rollback()
            raise
        await self.session.commit()
        return result


BUSY_RETRY_SECONDS = 0.002
BUSY_GIVE_UP_SECONDS = 30.0


def _busy(error: OperationalError) -> bool:
    """SQLite's write lock is held by another connection (the application's own, writing a ticket)."""
    return getattr(error.orig, "sqlite_errorcode", None) in (5, 6) or "locked" in str(error.orig)


class SqliteFileTurns:
    """An SQLite file: each write is one transaction of a synchronous connection, run on the event loop.

    SQLite has one writer at a time. A write that finds the lock taken (the application's own aiosqlite
    connections, writing a handoff, say) fails at once and is tried again 2 ms later, the loop serving other
    customers meanwhile: SQLite's own busy handler would sleep, and here that would stop the whole loop."""

    def __init__(self, url: str) -> None:
        self._engine: Engine = create_engine(url, connect_args={"timeout": 0, "check_same_thread": False},
                                             hide_parameters=True)
        event.listen(self._engine, "connect", sqlite_pragmas)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_GIVE_UP_SECONDS
        while True:
            try:      # each write is one transaction: a failed try wrote nothing
                return work(*args)
            except OperationalError as error:
                if not _busy(error) or loop.time() > deadline:
                    raise
            await asyncio.sleep(BUSY_RETRY_SECONDS)

    async def open_turn(self, conversation_id: str, channel: str, customer_key: str | None, company: str | None,
                        text: str) -> tuple[Head, Any]:
        return await self._run(self._open, conversation_id, channel, customer_key, company, text)

    async def close_turn(self, conversation_id: str, replies: list[dict]) -> tuple[list[Any], str]:
        return await self._run(self._close, conversation_id, replies)

    async def new_conversation(self, conversation_id: str, channel: str, company: str | None) -> None:
        await self._run(self._new, conversation_id, channel, company)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """work(connection, *args) as one transaction (tried again while another connection writes)."""
        return await self._run(self._transaction, work, *args)

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        """work(connection, *args), reads only, of what is committed (WAL: never waits for a writer)."""
        with self._engine.connect() as connection:
            return work(connection, *args)

    def _transaction(self, work: Callable[..., T], *args: Any) -> T:
        with self._engine.begin() as connection:
            return work(connection, *args)

    def _new(self, conversation_id: str, channel: str, company: str | None) -> None:
        with self._engine.begin() as connection:
            connection.execute(new_conversation_statement("sqlite", conversation_id, channel, None, company))

    def _open(self, conversation_id: str, channel: str, customer_key: str | None, company: str | None,
              text: str) -> tuple[Head, Any]:
        with self._engine.begin() as connection:
            row = connection.execute(_HEAD, {"cid": conversation_id}).first()
            if row is None:
                connection.execute(new_conversation_statement("sqlite", conversation_id, channel, customer_key, company))
                row = connection.execute(_HEAD, {"cid": conversation_id}).one()
            message = connection.execute(INSERT_MESSAGE, message_row(conversation_id, "customer", text)).one()
        return Head(conversation_id, row[0], row[1], row[2]), message

    def _close(self, conversation_id: str, replies: list[dict]) -> tuple[list[Any], str]:
        with self._engine.begin() as connection:
            rows = list(connection.execute(_INSERT_REPLIES, _reply_rows(conversation_id, replies)).all())
            state = connection.execute(_STATE, {"cid": conversation_id}).scalar_one()
        return rows, state


_sqlite_files: dict[str, SqliteFileTurns] = {}


def turns_for(session: AsyncSession) -> AsyncTurns | SqliteFileTurns:
    """The writer for the session's database: one per SQLite file and process, else the session itself."""
    url = session.bind.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        key = str(url)
        if key not in _sqlite_files:
            _sqlite_files[key] = SqliteFileTurns(f"sqlite:///{url.database}")
        return _sqlite_files[key]
    return AsyncTurns(session)
