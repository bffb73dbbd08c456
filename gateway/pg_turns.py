"""The chat path's writes on PostgreSQL (production), through asyncpg itself: each write one statement, in autocommit,
on a connection of the chat path's own small pool (`ChatConnections`).

asyncpg prepares each statement once per connection (its statement cache) and binds and reads the rest; no
SQLAlchemy connection, execution context or result is built around it. Those, and checking a connection out of the
engine's pool and back, were about a third of the gateway's CPU per message on PostgreSQL (py-spy,
scripts/bench_chat.py). The statements are what they were: a turn's first write creates the conversation if it is
new, stores the customer's message and reads the conversation's state, company and the customer's previous message
in one data-modifying WITH statement; its second stores the replies in their order and reads the state after them.
Values are stored exactly as the models' types store them (gateway/models.py: naive UTC times, JSON text), and rows
come back as StoredMessage, as the ORM would read them. A failure is SQLAlchemy's DBAPIError, as on every other
path (503 to the customer, gateway/main.py).
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import await_only

from gateway import db
from gateway.bindings import current_bindings
from gateway.clock import CHINA, now
from gateway.turn_store import AsyncTurns, Head, StoredMessage

_MESSAGE = "id, role, text, buttons, author, at, meta"

# $1 id, $2 channel, $3 customer key, $4 company, $5 time; the conversation as the chat path creates it.
NEW_CONVERSATION = ("INSERT INTO conversations (id, channel, customer_key, state, company, created_at) "
                    "VALUES ($1, $2, $3, 'bot', $4, $5) ON CONFLICT (id) DO NOTHING")

# A turn's first write: the conversation created if new (a first message on WeChat or the phone; the widget's is
# created with its session), the customer's message inserted, and the conversation's state, company and the
# customer's previous message read, all from the statement's snapshot: a conversation created by this statement is
# not in it yet, so its values come from the insert's RETURNING. $6: the text.
OPEN_TURN = f"""
WITH created AS (
    INSERT INTO conversations (id, channel, customer_key, state, company, created_at)
    VALUES ($1, $2, $3, 'bot', $4, $5)
    ON CONFLICT (id) DO NOTHING
    RETURNING state, company
), message AS (
    INSERT INTO messages (conversation_id, role, text, buttons, author, at, meta)
    VALUES ($1, 'customer', $6, NULL, NULL, $5, NULL)
    RETURNING {_MESSAGE}
)
SELECT message.id, message.role, message.text, message.buttons, message.author, message.at, message.meta,
       COALESCE(existing.state, created.state) AS state, COALESCE(existing.company, created.company) AS company,
       (SELECT max(earlier.at) FROM messages AS earlier
        WHERE earlier.conversation_id = $1 AND earlier.role = 'customer') AS previous_at
FROM message
LEFT JOIN conversations AS existing ON existing.id = $1
LEFT JOIN created ON true
"""

# The conversation as it is now ($1): state, company, the customer's last message.
HEAD = ("SELECT state, company, (SELECT max(at) FROM messages WHERE conversation_id = $1 AND role = 'customer') "
        "FROM conversations WHERE id = $1")

# A turn's second write: the replies inserted in their order (ids follow the ordinality) and returned with the
# conversation's state after the turn (the bot may have handed off during it). $2 time; $3-$5 texts, buttons and
# annotations as JSON text.
CLOSE_TURN = f"""
INSERT INTO messages (conversation_id, role, text, buttons, author, at, meta)
SELECT $1, 'bot', reply.text, CAST(reply.buttons AS json), NULL, $2, CAST(reply.meta AS json)
FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS reply(text, buttons, meta, n)
ORDER BY reply.n
RETURNING {_MESSAGE}, (SELECT state FROM conversations WHERE id = $1) AS state
"""
STATE = "SELECT state FROM conversations WHERE id = $1"


def _stored_now() -> datetime:
    """Now as TZDateTime stores it: naive UTC."""
    return now().astimezone(timezone.utc).replace(tzinfo=None)


def _message(row: Any) -> StoredMessage:
    return StoredMessage(row[0], row[1], row[2], orjson.loads(row[3]) if row[3] is not None else None, row[4],
                         row[5].replace(tzinfo=timezone.utc).astimezone(CHINA),
                         orjson.loads(row[6]) if row[6] is not None else None)


def _read_at(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc).astimezone(CHINA) if value is not None else None


class ChatConnections:
    """At most SIZE asyncpg connections for the chat path, made when needed by the application's connector
    (gateway/db.py: its timeouts and statement timeout). As the engine's pool does, a connection idle for
    db.IDLE_PING_SECONDS is pinged before use, and one that failed other than by its statement's own error is
    closed, never reused. The idle ones are closed with the engine (engine.dispose())."""

    SIZE = 10
    WAIT_SECONDS = 10.0       # for a free connection, as the engine's pool_timeout

    def __init__(self, connect: Callable[[], Awaitable[Any]], size: int = SIZE) -> None:
        self._connect = connect
        self._idle: list[tuple[Any, float]] = []         # (connection, when last used); the last is reused first
        self._free = asyncio.Semaphore(size)

    @classmethod
    def of(cls, engine: AsyncEngine) -> ChatConnections:
        """The pool for the engine's database, closed when the engine is disposed."""
        connections = cls(db.asyncpg_connector(engine.url.render_as_string(hide_password=False)))
        event.listen(engine.sync_engine, "engine_disposed", lambda _engine: connections.dispose())
        return connections

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        """The statement's rows; DBAPIError when it or the database failed."""
        if self._free.locked():
            try:
                await asyncio.wait_for(self._free.acquire(), self.WAIT_SECONDS)
            except TimeoutError:
                raise OperationalError(None, None, TimeoutError("no free chat connection")) from None
        else:
            await self._free.acquire()
        try:
            connection = await self._take()
            try:
                rows = await connection.fetch(query, *args)
            except asyncpg.PostgresError as error:       # the statement's own failure: the connection is sound
                self._idle.append((connection, time.monotonic()))
                raise DBAPIError(None, None, error) from error
            except BaseException as error:
                connection.terminate()
                if isinstance(error, Exception):
                    raise OperationalError(None, None, error) from error
                raise
            self._idle.append((connection, time.monotonic()))
            return rows
        finally:
            self._free.release()

    async def _take(self) -> Any:
        while self._idle:
            connection, used_at = self._idle.pop()
            if connection.is_closed():
                continue
            if time.monotonic() - used_at >= db.IDLE_PING_SECONDS:
                try:
                    await connection.execute("SELECT 1")
                except Exception:      # gone while idle (the database restarted): another one
                    connection.terminate()
                    continue
            return connection
        try:
            return await self._connect()
        except Exception as error:
            raise OperationalError(None, None, error) from error

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            try:
                await connection.close(timeout=2)
            except Exception:
                connection.terminate()

    def dispose(self) -> None:
        """Closes the idle connections (the engine's "engine_disposed" event: AsyncEngine.dispose runs it where
        it can await; elsewhere they are dropped). Connections in use are kept when they come back."""
        try:
            await_only(self.close())
        except Exception:
            for connection, _ in self._idle:
                connection.terminate()
            self._idle = []


class PgTurns(AsyncTurns):
    """PostgreSQL through asyncpg: the chat path's three writes as single statements on ChatConnections; the
    assistant's ticket calls (run, read, autocommit) through the engine, as AsyncTurns does."""

    def __init__(self, session: AsyncSession, connections: ChatConnections) -> None:
        super().__init__(session)
        self._connections = connections

    async def open_turn(self, conversation_id: str, channel: str, customer_key: str | None, company: str | None,
                        text: str) -> tuple[Head, StoredMessage]:
        row = (await self._connections.fetch(
            OPEN_TURN, conversation_id, channel, customer_key or conversation_id,
            company or current_bindings().default_company, _stored_now(), text))[0]
        message = _message(row)
        if row[7] is not None:
            return Head(conversation_id, row[7], row[8], _read_at(row[9])), message
        # created by a concurrent first message after this statement's snapshot: read it as it is now
        head = (await self._connections.fetch(HEAD, conversation_id))[0]
        return Head(conversation_id, head[0], head[1], _read_at(head[2])), message

    async def new_conversation(self, conversation_id: str, channel: str, company: str | None) -> None:
        await self._connections.fetch(NEW_CONVERSATION, conversation_id, channel, conversation_id,
                                      company or current_bindings().default_company, _stored_now())

    async def close_turn(self, conversation_id: str, replies: list[dict]) -> tuple[list[StoredMessage], str]:
        if not replies:
            return [], (await self._connections.fetch(STATE, conversation_id))[0][0]
        rows = sorted(await self._connections.fetch(
            CLOSE_TURN, conversation_id, _stored_now(), [r["text"] for r in replies],
            [json.dumps(r.get("buttons") or None) for r in replies], [json.dumps(r.get("meta")) for r in replies]),
            key=lambda row: row[0])
        return [_message(row) for row in rows], rows[-1][7]
