"""Conversations and their transcript: who the customer is, who answers (bot, queue or agent)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.turns import TurnKind
from gateway.clock import now
from gateway.models import Conversation, Message
from gateway.turn_store import INSERT_MESSAGE, message_row, new_conversation_insert


async def get_or_create(session: AsyncSession, conversation_id: str, channel: str,
                        customer_key: str | None = None, company: str | None = None) -> Conversation:
    """The conversation, created if new; concurrent first messages race on the primary key harmlessly. A new
    conversation without a company of its own gets the deployment's default company (gateway/bindings.py)."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is not None:
        return conversation
    await session.execute(*new_conversation_insert(session.bind.dialect.name, conversation_id, channel,
                                                      customer_key, company))
    return await session.get(Conversation, conversation_id, populate_existing=True)


async def insert_message(session: AsyncSession, conversation_id: str, role: str, text: str) -> Any:
    """One message written with a single statement; the row returned reads like a `Message` (message_dict takes
    it)."""
    return (await session.execute(INSERT_MESSAGE, message_row(conversation_id, role, text))).one()


async def set_state(session: AsyncSession, conversation_id: str, state: str) -> None:
    await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(state=state))


async def add_message(session: AsyncSession, conversation_id: str, role: str, text: str,
                      buttons: list[dict[str, str]] | None = None, author: str | None = None) -> Message:
    message = Message(conversation_id=conversation_id, role=role, text=text, buttons=buttons or None,
                      author=author, at=now())
    session.add(message)
    await session.flush()
    return message


async def add_bot_messages(session: AsyncSession, conversation_id: str, replies: list[dict]) -> list[Message]:
    """The bot's replies of one turn, written in one statement."""
    at = now()
    messages = [Message(conversation_id=conversation_id, role="bot", text=r["text"], buttons=r.get("buttons") or None,
                        meta=r.get("meta"), at=at) for r in replies]
    session.add_all(messages)
    await session.flush()
    return messages


async def transcript(session: AsyncSession, conversation_id: str, limit: int = 200) -> list[Message]:
    rows = await session.execute(select(Message).where(Message.conversation_id == conversation_id)
                                 .order_by(Message.id.desc()).limit(limit))
    return list(reversed(rows.scalars().all()))


def message_dict(message: Any) -> dict[str, Any]:
    """A message (a `Message`, or a row with its fields) as the channels and the widget receive it."""
    data = {"id": message.id, "role": message.role, "text": message.text, "buttons": message.buttons or [],
            "author": message.author, "at": message.at.isoformat()}
    if message.meta and message.meta.get("kind") == TurnKind.ANSWER.value:
        data["answer"] = {"entries": message.meta.get("entries") or []}   # the widget's 有用 / 没用 buttons
    return data
