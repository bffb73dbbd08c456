"""停电停气提醒: customers subscribe an address on WeChat or the widget, and unsubscribe ("退订提醒").

Handled at the gateway before the assistant: the keyword asks for the address, and the next message (within ten
minutes, a Redis key) is taken as the address when it reads as one. A message that names a danger, or reads as a
question rather than an address, goes to the assistant as usual. The exchange is kept in the transcript, and a
repeated client message id gets the same answer (the chat path's de-duplication key).
"""
from __future__ import annotations

import json
import re

from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import ids
from core.hazards import detect_hazard
from core.ids import ConversationState
from gateway import keys
from gateway.chat import Inbound, Turn
from gateway.clock import now
from gateway.conversations import add_bot_messages, add_message, get_or_create, message_dict
from gateway.models import Conversation
from gateway.notices import render, service
from gateway.notices.areas import Place, normalise, place_in_answer
from gateway.notices.models import NoticeDelivery, NoticeSubscription

PENDING_SECONDS = 600
MAX_SUBSCRIPTIONS = 5
CHANNELS = {ids.Channel.WEB.value, ids.Channel.WECHAT.value}
_CHANNEL_PREFIXES = tuple(ids.conversation_id(channel, "") for channel in CHANNELS)   # ids.channel_of, unsplit
_STOPS = r"(?:停[电气暖水热供]|断[电气])"
_SUBSCRIBE = re.compile(rf"^(?:我要|我想|帮我)?(?:订阅|开通)?{_STOPS}{{1,3}}(?:通知)?提醒$|^(?:我要|我想|帮我)?(?:订阅|开通)"
                        rf"{_STOPS}{{0,3}}(?:通知|提醒)?$|^订阅提醒$")
_UNSUBSCRIBE = re.compile(rf"^(?:退订|取消订阅|取消){_STOPS}{{0,3}}(?:通知)?(?:提醒|订阅)$|^退订$|^取消订阅$")
_CANCEL = re.compile(r"^(?:算了|不用了?|取消|不要了|不订了|不需要了?)$")
_QUESTION = re.compile(r"[吗呢？?]|怎么|什么|多少|为什么|为啥|哪|能不能|可以|是不是|报修|投诉|缴费|交费|人工")

ASK_ADDRESS = ("好的，为您开通停电、停气、停暖提醒。请发给我要接收提醒的地址，说到小区（或村、街道）和楼号，"
               "比如“花家地小区3号楼”。地址只用于发送停供提醒。")
NOT_AN_ADDRESS = "没能认出这个地址。请发小区、村或街道的名称，比如“花家地小区3号楼”；不需要了请回复“算了”。"
CANCELLED = "好的，先不开通。需要时回复“停电停气提醒”即可。"


def command_of(text: str) -> str | None:
    """subscribe | unsubscribe | None."""
    tidy = re.sub(r"[\s。！!，,]", "", normalise(text))
    if _SUBSCRIBE.match(tidy):
        return "subscribe"
    if _UNSUBSCRIBE.match(tidy):
        return "unsubscribe"
    return None


async def active(session: AsyncSession, conversation_id: str) -> list[NoticeSubscription]:
    return list(await session.scalars(select(NoticeSubscription).where(
        NoticeSubscription.conversation_id == conversation_id, NoticeSubscription.cancelled_at.is_(None))
        .order_by(NoticeSubscription.id)))


async def subscribe(session: AsyncSession, conversation: Conversation, place: Place) -> tuple[NoticeSubscription, bool]:
    """(the subscription, True when new); the same place twice is one subscription."""
    for existing in await active(session, conversation.id):
        if existing.place_key == place.key:
            return existing, False
    subscription = NoticeSubscription(conversation_id=conversation.id, channel=conversation.channel,
                                      company=conversation.company, address=place.text[:200], place=place.as_dict(),
                                      place_key=place.key[:300], created_at=now())
    session.add(subscription)
    await session.flush()
    return subscription, True


async def unsubscribe(session: AsyncSession, conversation_id: str) -> list[str]:
    """Cancels every subscription of the conversation; the addresses cancelled."""
    cancelled = [s.address for s in await active(session, conversation_id)]
    await session.execute(update(NoticeSubscription).where(NoticeSubscription.conversation_id == conversation_id,
                                                           NoticeSubscription.cancelled_at.is_(None))
                          .values(cancelled_at=now()))
    return cancelled


async def erase(session: AsyncSession, conversation_ids: list[str]) -> int:
    """Deletes the conversations' subscriptions (their addresses) and delivery rows, for the retention purge and a
    customer's erasure request; the number of subscriptions deleted. The caller commits."""
    ids_ = list(await session.scalars(select(NoticeSubscription.id).where(
        NoticeSubscription.conversation_id.in_(conversation_ids))))
    if ids_:
        await session.execute(delete(NoticeDelivery).where(NoticeDelivery.subscription_id.in_(ids_)))
        await session.execute(delete(NoticeSubscription).where(NoticeSubscription.id.in_(ids_)))
    return len(ids_)


async def intercept(sessionmaker: async_sessionmaker[AsyncSession], redis: Redis, inbound: Inbound,
                    pending_address: bool) -> Turn | None:
    """The turn when the message is about reminders; None when it goes to the assistant. The caller holds the
    conversation's lock and has read whether the customer was asked for an address (gateway/turn_gate.py)."""
    if not inbound.conversation_id.startswith(_CHANNEL_PREFIXES):
        return None
    pending_key = keys.notice_subscribe_pending(inbound.conversation_id)
    command = command_of(inbound.text) or ("address" if pending_address else None)
    if command is None:
        return None
    if command == "address" and detect_hazard(inbound.text) is not None:
        await redis.delete(pending_key)        # safety first: the assistant answers a danger
        return None
    dedupe_key = keys.dedupe(inbound.conversation_id, inbound.client_id) if inbound.client_id else None
    if dedupe_key and await redis.exists(dedupe_key):
        return None                            # a retry: the chat path returns the answer it kept
    async with sessionmaker() as session:
        conversation = await get_or_create(session, inbound.conversation_id, inbound.channel,
                                           inbound.customer_key, inbound.company)
        if conversation.state != ConversationState.BOT.value:
            return None                        # with an agent or in the queue: the agent reads it
        reply = await _reply(session, redis, conversation, command, inbound.text)
        if reply is None:
            await redis.delete(pending_key)
            return None
        await add_message(session, conversation.id, "customer", inbound.text)
        stored = await add_bot_messages(session, conversation.id, [{"text": reply}])
        await session.commit()
        turn = Turn([message_dict(m) for m in stored], conversation.state)
    if dedupe_key:
        await redis.set(dedupe_key, json.dumps({"messages": turn.messages, "state": turn.state},
                                               ensure_ascii=False), ex=keys.DEDUPE_TTL)
    return turn


async def _reply(session: AsyncSession, redis: Redis, conversation: Conversation, command: str,
                 text: str) -> str | None:
    pending_key = keys.notice_subscribe_pending(conversation.id)
    if command == "unsubscribe":
        await redis.delete(pending_key)
        cancelled = await unsubscribe(session, conversation.id)
        if not cancelled:
            return "您目前没有开通停电停气提醒。回复“停电停气提醒”可以开通。"
        return f"已退订停电停气提醒（{'、'.join(cancelled)}）。需要时回复“停电停气提醒”可重新开通。"
    if command == "subscribe":
        existing = await active(session, conversation.id)
        if len(existing) >= MAX_SUBSCRIPTIONS:
            return f"您已订阅{len(existing)}个地址，最多{MAX_SUBSCRIPTIONS}个。回复“退订提醒”可以全部取消后重新订阅。"
        await redis.set(pending_key, "1", ex=PENDING_SECONDS)
        if existing:
            return (f"您已订阅：{'、'.join(s.address for s in existing)}。要再加一个地址，请直接发给我；"
                    "回复“退订提醒”可以取消。")
        return ASK_ADDRESS
    if _CANCEL.match(normalise(text)):
        await redis.delete(pending_key)
        return CANCELLED
    place = place_in_answer(text)
    if place is None:
        return NOT_AN_ADDRESS if not _QUESTION.search(text) else None
    await redis.delete(pending_key)
    subscription, new = await subscribe(session, conversation, place)
    lines = [f"已为您开通停电停气提醒：{subscription.address}。" if new else f"“{subscription.address}”已经订阅过了。"]
    if new:
        later = "（网页对话里的提醒，下次打开对话时就能看到）" if conversation.channel == ids.Channel.WEB.value else ""
        lines.append(f"这里有停电、停气或停暖通知发布、变更或恢复时，我会发消息告诉您{later}。回复“退订提醒”可随时取消。")
    current = await service.for_place(session, place, company=conversation.company, within_hours=7 * 24)
    if current:
        lines.append("目前这里已发布的通知：")
        lines += [render.customer_text(service.snapshot(m.notice), m.area) for m in current[:3]]
    return "\n".join(lines)
