"""The chat path's two writes (gateway/turn_store.py) on PostgreSQL and on an SQLite file, where they run on a
synchronous connection of their own on the event loop: the message is stored before the bot is asked, the replies keep
their order, the state read after the replies is the one another connection set during the turn (a handoff),
and the time of the customer's previous message is the one before this turn's."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update

from gateway.conversations import message_dict
from gateway.db import make_engine, make_sessionmaker
from gateway.migrate import upgrade
from gateway.models import Conversation, Message
from gateway.turn_store import AsyncTurns, SqliteFileTurns, turns_for


@pytest.fixture(params=["postgresql", "sqlite"])
async def maker(request, migrated_database: str, tmp_path) -> AsyncIterator:
    url = migrated_database
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'turns.db'}"
        upgrade(url)
    elif not url.startswith("postgresql"):
        pytest.skip("no PostgreSQL here")
    engine = make_engine(url)
    yield make_sessionmaker(engine), request.param
    await engine.dispose()


async def test_a_turn_is_stored_in_order_with_the_state_after_it(maker) -> None:
    sessionmaker, kind = maker
    conversation = f"web:turns-{uuid.uuid4().hex[:8]}"
    async with sessionmaker() as session:
        turns = turns_for(session)
        assert isinstance(turns, SqliteFileTurns if kind == "sqlite" else AsyncTurns)
        head, asked = await turns.open_turn(conversation, "web", None, "kunlun", "燃气费在哪交")
        assert (head.state, head.company, head.previous_at) == ("bot", "kunlun", None)
    # The message is committed before the bot is asked: another connection sees it, and hands off meanwhile.
    async with sessionmaker() as other:
        stored = (await other.execute(select(Message.text).where(Message.conversation_id == conversation))).all()
        assert [r.text for r in stored] == ["燃气费在哪交"]
        await other.execute(update(Conversation).where(Conversation.id == conversation).values(state="waiting"))
        await other.commit()
    async with sessionmaker() as session:
        rows, state = await turns_for(session).close_turn(conversation, [
            {"text": "可以到营业厅缴纳。", "meta": {"kind": "answer", "entries": ["gas_pay"]}},
            {"text": "还有别的问题吗？", "buttons": [{"title": "转人工", "payload": "/handoff"}]}])
    assert state == "waiting"
    shown = [message_dict(r) for r in rows]
    assert [m["text"] for m in shown] == ["可以到营业厅缴纳。", "还有别的问题吗？"]
    assert shown[0]["answer"] == {"entries": ["gas_pay"]} and shown[1]["buttons"][0]["title"] == "转人工"
    assert shown[0]["id"] < shown[1]["id"] and asked.id < shown[0]["id"]
    async with sessionmaker() as session:
        head, _ = await turns_for(session).open_turn(conversation, "web", None, None, "那电费呢")
        assert head.previous_at == asked.at and head.state == "waiting" and head.company == "kunlun"
        roles = (await session.execute(select(Message.role).where(Message.conversation_id == conversation)
                                       .order_by(Message.id))).scalars().all()
    assert roles == ["customer", "bot", "bot", "customer"]


async def test_a_new_widget_conversation_is_created_once_with_its_company(maker) -> None:
    sessionmaker, _ = maker
    conversation = f"web:new-{uuid.uuid4().hex[:8]}"
    async with sessionmaker() as session:
        await turns_for(session).new_conversation(conversation, "web", "tianfu")
        await turns_for(session).new_conversation(conversation, "web", "kunlun")   # a race: the first stands
    async with sessionmaker() as session:
        row = (await session.execute(select(Conversation).where(Conversation.id == conversation))).scalar_one()
        assert (row.channel, row.company, row.customer_key, row.state) == ("web", "tianfu", conversation, "bot")


async def test_on_an_sqlite_file_a_write_waits_for_the_lock_without_blocking_others(tmp_path) -> None:
    """Another connection holds SQLite's write lock (the application writing a ticket): the customer's message
    is written once the lock is free, and meanwhile the event loop keeps serving."""
    import asyncio
    import sqlite3

    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade(url)
    engine = make_engine(url)
    conversation = f"web:locked-{uuid.uuid4().hex[:8]}"
    try:
        async with make_sessionmaker(engine)() as session:
            turns = turns_for(session)
            await turns.new_conversation(conversation, "web", None)
            holder = sqlite3.connect(str(tmp_path / "locked.db"), isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            writing = asyncio.create_task(turns.open_turn(conversation, "web", None, None, "燃气表不走了"))
            ticks = 0
            for _ in range(20):
                await asyncio.sleep(0.005)
                ticks += 1
            assert not writing.done() and ticks == 20
            holder.execute("COMMIT")
            holder.close()
            head, message = await asyncio.wait_for(writing, 5)
        assert message.text == "燃气表不走了" and head.state == "bot"
        async with make_sessionmaker(engine)() as session:
            texts = (await session.execute(select(Message.text).where(Message.conversation_id == conversation)))
            assert texts.scalars().all() == ["燃气表不走了"]
    finally:
        await engine.dispose()


async def test_the_chat_paths_rows_read_alike_through_the_orm(maker) -> None:
    """The chat path writes with its own statements (SQLite: the standard library's driver); the ORM, which the
    console and the history use, reads every field of those rows back exactly as the chat path returned them."""
    sessionmaker, _ = maker
    conversation = f"web:alike-{uuid.uuid4().hex[:8]}"
    async with sessionmaker() as session:
        _, asked = await turns_for(session).open_turn(conversation, "web", None, "tianfu", "电费怎么交？")
        replies, _ = await turns_for(session).close_turn(conversation, [
            {"text": "可以在营业厅交。", "meta": {"kind": "answer", "entries": ["电费·缴费"]}},
            {"text": "还需要什么？", "buttons": [{"title": "转人工", "payload": "/request_human"}]}])
    async with sessionmaker() as session:
        stored = (await session.execute(select(Message).where(Message.conversation_id == conversation)
                                        .order_by(Message.id))).scalars().all()
        conversation_row = await session.get(Conversation, conversation)
    fields = ("id", "role", "text", "buttons", "author", "at", "meta")
    assert [tuple(getattr(m, f) for f in fields) for m in stored] == \
        [tuple(getattr(r, f) for f in fields) for r in (asked, *replies)]
    assert stored[0].buttons is None and stored[1].meta["entries"] == ["电费·缴费"]
    assert (conversation_row.company, conversation_row.customer_key) == ("tianfu", conversation)
