"""The chat path's writes (a new widget conversation, then two per message), as few round trips as each database
allows; `run` gives the assistant's ticket calls (gateway/tickets.py) the same path.

Every customer message of every channel writes twice: before the bot is asked, the customer's message (committed,
so a bot failure loses nothing), read together with the conversation; after, the bot's replies, read together
with the conversation's state (the bot may have handed off during the turn). No ORM unit of work.

- PostgreSQL (production): asyncpg itself (gateway/pg_turns.py) in autocommit, no BEGIN or COMMIT round trips, one
  prepared statement per write: the customer's message with the conversation (created if new) and its state in
  one data-modifying WITH statement, the replies with the state in one INSERT … RETURNING.
- An SQLite file (the embedded default): aiosqlite hops to its thread for every cursor call, a dozen wakeups per
  message, which cost more than the statements; here each write runs on the event loop itself, through the
  standard library's driver on its own connection to the same file (WAL: readers never wait for it), no
  SQLAlchemy around the chat path's four statements. A write is a fraction of a millisecond (no fsync at commit
  with synchronous=NORMAL), less than a hop to a worker thread and back cost; it never waits inside SQLite (no
  busy timeout: a write that finds the lock taken fails at once and is tried again 2 ms later), so the loop is
  never held up by another connection's transaction.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar

import orjson
from sqlalchemy import URL, Engine, bindparam, create_engine, event, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from gateway.bindings import current_bindings
from gateway.clock import CHINA, now
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


def _new_conversation(insert_of: Callable[..., Any]) -> Any:
    return insert_of(Conversation).values(
        id=bindparam("new_id"), channel=bindparam("new_channel"), customer_key=bindparam("new_customer_key"),
        state="bot", company=bindparam("new_company"), created_at=bindparam("new_at", type_=Conversation.created_at.type),
    ).on_conflict_do_nothing(index_elements=[Conversation.id])


# Built once per dialect, so SQLAlchemy compiles each once (its compiled cache) instead of building and compiling a
# statement for every new conversation (every widget session).
_NEW_CONVERSATION = {"postgresql": _new_conversation(pg_insert), "sqlite": _new_conversation(sqlite_insert)}


def new_conversation_insert(dialect: str, conversation_id: str, channel: str, customer_key: str | None,
                            company: str | None) -> tuple[Any, dict[str, Any]]:
    """(statement, parameters) creating the conversation: concurrent first messages race on the primary key
    harmlessly. A conversation without a company of its own gets the deployment's default company
    (gateway/bindings.py)."""
    return _NEW_CONVERSATION[dialect], {
        "new_id": conversation_id, "new_channel": channel, "new_customer_key": customer_key or conversation_id,
        "new_company": company or current_bindings().default_company, "new_at": now()}


def _reply_rows(conversation_id: str, replies: list[dict]) -> list[dict[str, Any]]:
    at = now()
    return [{"conversation_id": conversation_id, "role": "bot", "text": r["text"], "buttons": r.get("buttons") or None,
             "meta": r.get("meta"), "author": None, "at": at} for r in replies]


def message_row(conversation_id: str, role: str, text: str) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "role": role, "text": text, "buttons": None, "meta": None,
            "author": None, "at": now()}


_autocommit_engines: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()


class AsyncTurns:
    """Any database through the application's async engine (an in-memory SQLite; PostgreSQL's chat path is
    PgTurns, its ticket calls these methods).

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
                await connection.execute(*new_conversation_insert(connection.dialect.name, conversation_id, channel,
                                                                  customer_key, company))
                row = (await connection.execute(_HEAD, {"cid": conversation_id})).one()
            message = (await connection.execute(INSERT_MESSAGE, message_row(conversation_id, "customer", text))).one()
        return Head(conversation_id, row[0], row[1], row[2]), message

    async def new_conversation(self, conversation_id: str, channel: str, company: str | None) -> None:
        async with self._connect() as connection:
            await connection.execute(*new_conversation_insert(connection.dialect.name, conversation_id, channel,
                                                              None, company))

    async def close_turn(self, conversation_id: str, replies: list[dict]) -> tuple[list[Any], str]:
        async with self._connect() as connection:
            rows = list((await connection.execute(_INSERT_REPLIES, _reply_rows(conversation_id, replies))).all()) \
                if replies else []
            state = (await connection.execute(_STATE, {"cid": conversation_id})).scalar_one()
        return rows, state

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        """work(connection, *args), reads only: inside the session's transaction when it has one (it sees what the
        session wrote), else on an autocommit connection (nothing uncommitted to see; no BEGIN and ROLLBACK round
        trips around the assistant's ticket and notice lookups)."""
        if self.session.in_transaction():
            connection = await self.session.connection()
            return await connection.run_sync(work, *args)
        async with self._connect() as connection:
            return await connection.run_sync(work, *args)

    async def autocommit(self, work: Callable[..., T], *args: Any) -> T:
        """work(connection, *args) on an autocommit connection: each statement is its own transaction (a work whose
        writes are one statement needs no BEGIN and COMMIT round trips)."""
        async with self._connect() as connection:
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


class StoredMessage(NamedTuple):
    """A message row as the chat path returns it (the fields of MESSAGE_FIELDS)."""
    id: int
    role: str
    text: str
    buttons: list[dict[str, str]] | None
    author: str | None
    at: datetime
    meta: dict[str, Any] | None


# The SQLite chat path's statements, run by the standard library's driver. Values are stored exactly as the
# models' types store them (gateway/models.py: TZDateTime as naive UTC in SQLAlchemy's text format, JSON by
# json.dumps, None as JSON null), so the ORM and these statements read each other's rows alike.
_SQLITE_HEAD = ("SELECT state, company, (SELECT max(at) FROM messages WHERE conversation_id = ?1 AND role = 'customer') "
                "FROM conversations WHERE id = ?1")
_SQLITE_NEW = ("INSERT INTO conversations (id, channel, customer_key, state, company, created_at) "
               "VALUES (?, ?, ?, 'bot', ?, ?) ON CONFLICT (id) DO NOTHING")
_SQLITE_MESSAGE = ("INSERT INTO messages (conversation_id, role, text, buttons, author, at, meta) "
                   "VALUES (?, ?, ?, ?, NULL, ?, ?) RETURNING id, role, text, buttons, author, at, meta")
_SQLITE_STATE = "SELECT state FROM conversations WHERE id = ?"


def _stored_at(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _read_at(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc).astimezone(CHINA)


def _read_message(row: tuple) -> StoredMessage:
    return StoredMessage(row[0], row[1], row[2], orjson.loads(row[3]) if row[3] is not None else None, row[4],
                         _read_at(row[5]), orjson.loads(row[6]) if row[6] is not None else None)


def _raw_busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in (5, 6) or "locked" in str(error)


class SqliteFileTurns:
    """An SQLite file: each write is one transaction of a synchronous connection, run on the event loop.

    SQLite has one writer at a time. A write that finds the lock taken (the application's own aiosqlite
    connections, writing a handoff, say) fails at once and is tried again 2 ms later, the loop serving other
    customers meanwhile: SQLite's own busy handler would sleep, and here that would stop the whole loop."""

    def __init__(self, url: str) -> None:
        self._path = url.removeprefix("sqlite:///")
        # the assistant's ticket and notice statements (run, read) are SQLAlchemy Core on this engine
        self._engine: Engine = create_engine(url, connect_args={"timeout": 0, "check_same_thread": False},
                                             hide_parameters=True)
        event.listen(self._engine, "connect", sqlite_pragmas)
        self._connection: sqlite3.Connection | None = None

    def _raw(self) -> sqlite3.Connection:
        """The chat path's own connection: the standard library's driver with no SQLAlchemy around it (executing
        its statements was an eighth of the gateway's CPU per message, py-spy); explicit transactions."""
        if self._connection is None:
            connection = sqlite3.connect(self._path, timeout=0, isolation_level=None, check_same_thread=False)
            sqlite_pragmas(connection, None)
            self._connection = connection
        return self._connection

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_GIVE_UP_SECONDS
        while True:
            try:      # each write is one transaction: a failed try wrote nothing
                return work(*args)
            except OperationalError as error:
                if not _busy(error) or loop.time() > deadline:
                    raise
            except sqlite3.OperationalError as error:
                if not _raw_busy(error) or loop.time() > deadline:
                    raise OperationalError(None, None, error) from error
            except sqlite3.Error as error:
                raise OperationalError(None, None, error) from error
            await asyncio.sleep(BUSY_RETRY_SECONDS)

    def _write(self, statements: Callable[[sqlite3.Connection], T]) -> T:
        """statements(connection) in one transaction that takes the write lock first (BEGIN IMMEDIATE: a busy
        database fails here, before anything is written, and the whole write is tried again)."""
        connection = self._raw()
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = statements(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return result

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
        self._write(lambda c: c.execute(_SQLITE_NEW, (conversation_id, channel, conversation_id,
                                                      company or current_bindings().default_company, _stored_at(now()))))

    def _open(self, conversation_id: str, channel: str, customer_key: str | None, company: str | None,
              text: str) -> tuple[Head, StoredMessage]:
        def statements(connection: sqlite3.Connection) -> tuple[Head, StoredMessage]:
            row = connection.execute(_SQLITE_HEAD, (conversation_id,)).fetchone()
            if row is None:
                connection.execute(_SQLITE_NEW, (conversation_id, channel, customer_key or conversation_id,
                                                 company or current_bindings().default_company, _stored_at(now())))
                row = connection.execute(_SQLITE_HEAD, (conversation_id,)).fetchone()
            message = connection.execute(_SQLITE_MESSAGE, (conversation_id, "customer", text, "null",
                                                           _stored_at(now()), "null")).fetchone()
            previous_at = _read_at(row[2]) if row[2] is not None else None
            return Head(conversation_id, row[0], row[1], previous_at), _read_message(message)
        return self._write(statements)

    def _close(self, conversation_id: str, replies: list[dict]) -> tuple[list[StoredMessage], str]:
        def statements(connection: sqlite3.Connection) -> tuple[list[StoredMessage], str]:
            at = _stored_at(now())
            rows = [_read_message(connection.execute(_SQLITE_MESSAGE, (
                conversation_id, "bot", reply["text"], json.dumps(reply.get("buttons") or None),
                at, json.dumps(reply.get("meta")))).fetchone()) for reply in replies]
            return rows, connection.execute(_SQLITE_STATE, (conversation_id,)).fetchone()[0]
        return self._write(statements)


_sqlite_files: dict[URL, SqliteFileTurns] = {}
Writer = Callable[[AsyncSession], AsyncTurns | SqliteFileTurns]
# Per engine, the writer of its sessions: found once, not from the engine's URL on every write (a URL hashes by
# rendering itself as a string).
_writers: weakref.WeakKeyDictionary[Engine, Writer] = weakref.WeakKeyDictionary()


def turns_for(session: AsyncSession) -> AsyncTurns | SqliteFileTurns:
    """The writer for the session's database: one per SQLite file and process; on PostgreSQL through asyncpg the
    chat path's own connections (gateway/pg_turns.py); else the session itself."""
    engine = session.bind
    writer = _writers.get(engine.sync_engine)
    if writer is None:
        writer = _writers[engine.sync_engine] = _writer_of(engine)
    return writer(session)


def _writer_of(engine: AsyncEngine) -> Writer:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        sqlite = _sqlite_files.get(url)
        if sqlite is None:
            sqlite = _sqlite_files[url] = SqliteFileTurns(f"sqlite:///{url.database}")
        return lambda _session: sqlite
    if url.get_backend_name() == "postgresql" and engine.dialect.driver == "asyncpg":
        from gateway.pg_turns import ChatConnections, PgTurns  # it builds on this module

        connections = ChatConnections.of(engine)
        return lambda session: PgTurns(session, connections)
    return AsyncTurns
