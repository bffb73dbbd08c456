"""One customer message, from any channel: stored first, then answered by the bot or routed to the agent.

Messages of one conversation are handled one at a time (a Redis lock), so replies keep their order even with
several gateway processes, and the same client message id never produces two turns.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot.components.hazard_patterns import detect_hazard
from gateway import events, handoffs, keys
from gateway.conversations import add_message, get_or_create, message_dict
from gateway.masking import mask_text
from gateway.models import Conversation
from gateway.rasa_client import RasaClient, RasaUnavailable

LOCK_SECONDS = 30


@dataclass(frozen=True)
class Turn:
    messages: list[dict[str, Any]]
    state: str


class BotUnavailable(Exception):
    """The customer's message is stored, but the assistant could not answer it now."""


async def _to_bot(session: AsyncSession, rasa: RasaClient, conversation: Conversation, text: str) -> list[dict]:
    try:
        replies = await rasa.send(conversation.id, text)
    except RasaUnavailable as error:
        notice = await add_message(session, conversation.id, "system", "抱歉，智能助手暂时无法回复，请稍后再试或转人工客服。")
        await session.commit()
        raise BotUnavailable(message_dict(notice)) from error
    stored = []
    for reply in replies:
        if reply.get("text"):
            stored.append(await add_message(session, conversation.id, "bot", reply["text"], reply.get("buttons")))
    return [message_dict(m) for m in stored]


async def handle(session: AsyncSession, redis: Redis, rasa: RasaClient, conversation_id: str, channel: str,
                 text: str, client_id: str | None = None, customer_key: str | None = None) -> Turn:
    async with redis.lock(keys.conversation_lock(conversation_id), timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS):
        if client_id:
            cached = await redis.get(keys.dedupe(conversation_id, client_id))
            if cached:
                data = json.loads(cached)
                return Turn(data["messages"], data["state"])
        turn = await _handle(session, redis, rasa, conversation_id, channel, text, customer_key)
        if client_id:
            await redis.set(keys.dedupe(conversation_id, client_id),
                            json.dumps({"messages": turn.messages, "state": turn.state}, ensure_ascii=False),
                            ex=keys.DEDUPE_TTL)
        return turn


async def _handle(session: AsyncSession, redis: Redis, rasa: RasaClient, conversation_id: str, channel: str,
                  text: str, customer_key: str | None) -> Turn:
    conversation = await get_or_create(session, conversation_id, channel, customer_key)
    customer = await add_message(session, conversation.id, "customer", text)
    await session.commit()
    if conversation.state in ("waiting", "agent"):
        handoff = await handoffs.open_handoff(session, conversation.id)
        if handoff is not None:
            if text.strip() == handoffs.CALLBACK_PAYLOAD and handoff.status == "waiting":
                await handoffs.accept_callback(session, redis, handoff)
                return Turn([], "bot")
            await events.to_agents(redis, "message", {"handoff_id": handoff.id, "owner": handoff.agent,
                                                      **message_dict(customer), "text": mask_text(customer.text)})
            if detect_hazard(text) is None:
                return Turn([], conversation.state)
            # Safety first, even in the queue or with an agent: the assistant answers a danger at once.
            replies = await _to_bot(session, rasa, conversation, text)
            await session.commit()
            return Turn(replies, conversation.state)
        conversation.state = "bot"
    replies = await _to_bot(session, rasa, conversation, text)
    await session.commit()
    await session.refresh(conversation)   # the bot may have handed off during this turn
    return Turn(replies, conversation.state)
