"""One customer message, from any channel: stored first, then answered by the bot or routed to the agent.

Messages of one conversation are handled one at a time (a Redis lock), so replies keep their order even with
several gateway processes, and the same client message id never produces two turns: once the bot has answered,
its replies are kept under that id (before they are written to the database, so a database failure at that
moment cannot make a retry ask the bot a second time; the retry stores and returns them), and the turn is kept
under it as the lock is released (gateway/turn_gate.py reads and writes it with the lock, no calls of its own).

Rasa answers HTTP 200 with no messages when something behind it failed (its Redis, the action server): that
is an outage too, and the customer is told so rather than left with silence.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core.hazards import detect_hazard
from core.ids import ConversationState, HandoffStatus
from core.masking import mask_text
from core.turns import turn_of
from gateway import events, handoffs, keys, knowledge_store, turn_gate
from gateway.config import Settings
from gateway.conversations import insert_message, message_dict, set_state
from gateway.metrics import MESSAGES
from gateway.models import Conversation, Handoff
from gateway.rasa_client import RasaClient, RasaUnavailable
from gateway.turn_store import Head, turns_for

UNAVAILABLE_NOTICE = "抱歉，系统暂时没能处理您的这条消息，请稍后再发一次。"


@dataclass(frozen=True)
class Inbound:
    """One customer message as every channel hands it over, parsed and verified at its edge."""
    conversation_id: str
    channel: str
    text: str
    client_id: str | None = None     # the channel's own message id: a retry of it is answered once
    customer_key: str | None = None  # whose tickets the conversation sees (phone:<caller> on the phone)
    company: str | None = None       # the company a new conversation is bound to (a WeChat account's); None: default


@dataclass(frozen=True)
class Turn:
    messages: list[dict[str, Any]]
    state: str


class BotUnavailable(Exception):
    """The customer's message is stored, but the assistant could not answer it now."""


async def _unavailable(session: AsyncSession, conversation: Head) -> BotUnavailable:
    notice = await insert_message(session, conversation.id, "system", UNAVAILABLE_NOTICE)
    await session.commit()
    return BotUnavailable(message_dict(notice))


async def _store_replies(session: AsyncSession, conversation_id: str, replies: list[dict]) -> tuple[list[dict], str]:
    """The replies stored, and the conversation's state after the turn (the bot may have handed off)."""
    stored, state = await turns_for(session).close_turn(conversation_id, replies)
    return [message_dict(m) for m in stored], state


async def _to_bot(session: AsyncSession, redis: Redis, rasa: RasaClient, conversation: Head, text: str,
                  previous_at: datetime | None, dedupe_key: str | None) -> tuple[list[dict], str]:
    # When the customer last wrote: the assistant tells a customer whose conversation it lost (its Redis came
    # back empty) instead of silently starting over (bot/actions/session_start.py).
    metadata: dict[str, Any] = {"previous_message_at": previous_at.timestamp()} if previous_at else {}
    if conversation.company:  # whose promises this customer gets (bot/actions/answer_knowledge.py)
        metadata["company"] = conversation.company
    try:
        replies = with_annotations(await rasa.send(conversation.id, text, metadata))
    except RasaUnavailable as error:
        raise await _unavailable(session, conversation) from error
    if not replies:
        raise await _unavailable(session, conversation)
    if dedupe_key:
        await redis.set(dedupe_key, orjson.dumps({"unsaved": replies}), ex=keys.DEDUPE_TTL)
    return await _store_replies(session, conversation.id, replies)


# The intents a published example question is sent as: a question the knowledge base answers, never a request
# that would start a form (bot/data/rules/knowledge.yml; a question inside a form is answered by the form).
ANSWERING_INTENTS = frozenset({"ask_fee", "ask_payment", "ask_process", "ask_channel"})


async def _for_bot(session: AsyncSession, text: str) -> str:
    """What the bot is asked: a question an operator published as an example of an entry is answered by that
    entry whatever the classifier would make of it (the bot's answer action takes the entry named); anything
    else, and always a danger, as the customer wrote it."""
    if text.startswith("/") or detect_hazard(text) is not None:
        return text
    match = await knowledge_store.published_example(session, text)
    if match is None:
        return text
    entry, intent = match
    return "/" + (intent if intent in ANSWERING_INTENTS else "ask_process") + json.dumps(
        {"kb_entry": entry}, ensure_ascii=False)


def with_annotations(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot's text replies, each carrying the annotation (core/turns.py) the bot sent after it as "meta"."""
    replies: list[dict[str, Any]] = []
    for reply in raw:
        turn = turn_of(reply)
        if turn is not None:
            if replies:
                replies[-1]["meta"] = turn
        elif reply.get("text"):
            replies.append({key: value for key, value in reply.items() if key != "custom"})
    return replies


def _kept(turn: Turn) -> bytes:
    return orjson.dumps({"messages": turn.messages, "state": turn.state})


async def handle(session: AsyncSession, redis: Redis, rasa: RasaClient, inbound: Inbound, *,
                 gate: turn_gate.Gate | None = None) -> Turn:
    """gate: the conversation's gate, entered by the caller with the message's client id (gateway/turn_gate.py,
    as every channel does); else it is entered here."""
    if gate is not None:
        return await _once(session, redis, rasa, inbound, gate)
    async with turn_gate.entered(redis, inbound.conversation_id, client_id=inbound.client_id) as gate:
        return await _once(session, redis, rasa, inbound, gate)


async def _once(session: AsyncSession, redis: Redis, rasa: RasaClient, inbound: Inbound, gate: turn_gate.Gate) -> Turn:
    """The turn, or the one a retry of the same client message id already had."""
    conversation_id, client_id = inbound.conversation_id, inbound.client_id
    dedupe_key = keys.dedupe(conversation_id, client_id) if client_id else None
    if gate.dedupe_key != dedupe_key:
        raise ValueError("the gate was entered without this message's client id")
    if gate.kept:
        data = orjson.loads(gate.kept)
        if "unsaved" not in data:
            return Turn(data["messages"], data["state"])
        # The bot answered this message but the database failed before the replies were stored.
        turn = Turn(*await _store_replies(session, conversation_id, data["unsaved"]))
        gate.keep = _kept(turn)
        return turn
    turn = await _handle(session, redis, rasa, inbound, dedupe_key)
    if dedupe_key:
        gate.keep = _kept(turn)
    return turn


async def _handle(session: AsyncSession, redis: Redis, rasa: RasaClient, inbound: Inbound,
                  dedupe_key: str | None) -> Turn:
    text = inbound.text
    MESSAGES.labels(inbound.channel).inc()
    conversation, customer = await turns_for(session).open_turn(
        inbound.conversation_id, inbound.channel, inbound.customer_key, inbound.company, text)
    previous_at = conversation.previous_at
    if conversation.state in (ConversationState.WAITING.value, ConversationState.AGENT.value):
        handoff = await handoffs.open_handoff(session, conversation.id)
        if handoff is not None:
            if text.strip() == handoffs.CALLBACK_PAYLOAD and handoff.status == HandoffStatus.WAITING.value:
                await handoffs.accept_callback(session, redis, handoff)
                return Turn([], "bot")
            await events.to_agents(redis, "message", {"handoff_id": handoff.id, "owner": handoff.agent,
                                                      "company": conversation.company,
                                                      **message_dict(customer), "text": mask_text(customer.text)})
            if detect_hazard(text) is None:
                return Turn([], conversation.state)
            # Safety first, even in the queue or with an agent: the assistant answers a danger at once.
            replies, _ = await _to_bot(session, redis, rasa, conversation, text, previous_at, dedupe_key)
            return Turn(replies, conversation.state)
        await set_state(session, conversation.id, ConversationState.BOT.value)
        await session.commit()
    replies, state = await _to_bot(session, redis, rasa, conversation, await _for_bot(session, text), previous_at,
                                   dedupe_key)
    return Turn(replies, state)


# -- Handoffs a channel asks for itself (the phone: silence twice, a failed transfer, the caller hanging up). They
# go through here, like the bot's own handoffs, so the queue, the packet and the agents' events stay one path.

async def request_human(session: AsyncSession, redis: Redis, settings: Settings, conversation: Conversation,
                        reason: str, summary: str) -> Handoff:
    """The conversation's open handoff, or a new one with the channel's reason."""
    handoff = await handoffs.open_handoff(session, conversation.id)
    if handoff is None:
        handoff, _ = await handoffs.request(session, redis, settings, {
            "conversation_id": conversation.id, "channel": conversation.channel, "reason": reason,
            "priority": "normal", "customer": {"phone": conversation.verified_phone}, "summary": summary})
    return handoff


async def callback_instead(session: AsyncSession, redis: Redis, settings: Settings, conversation: Conversation,
                           summary: str) -> str:
    """A transfer that could not connect becomes a callback ticket (HD…); its number is returned."""
    handoff = await request_human(session, redis, settings, conversation, "transfer_failed", summary)
    return await handoffs.accept_callback(session, redis, handoff)


async def customer_left(session: AsyncSession, redis: Redis, conversation_id: str, text: str) -> None:
    """The customer went away (hung up) while still waiting in the queue: the handoff closes, unrated."""
    handoff = await handoffs.open_handoff(session, conversation_id)
    if handoff is not None and handoff.status == HandoffStatus.WAITING.value:
        await handoffs.close(session, redis, handoff, "caller", rating=False, text=text)


async def open_handoff(session: AsyncSession, conversation_id: str) -> Handoff | None:
    return await handoffs.open_handoff(session, conversation_id)
