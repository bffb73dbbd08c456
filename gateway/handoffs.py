"""Human handoff: the queue, claiming, live messages, closing, and the callback offer."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import ConversationState as C
from core.ids import HandoffStatus as H
from gateway import events
from gateway.clock import now
from gateway.config import Settings
from gateway.conversations import add_message, get_or_create, message_dict
from gateway.models import AuditRecord, Conversation, Handoff
from gateway.tickets import NewTicket, create_ticket

PRIORITY_ORDER = case({"emergency": 0, "urgent": 1}, value=Handoff.priority, else_=2)
OPEN = (H.WAITING.value, H.ACTIVE.value)
CALLBACK_PAYLOAD = "/request_callback"
CALLBACK_BUTTON = {"title": "预约回电", "payload": CALLBACK_PAYLOAD}


class HandoffError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def in_working_hours(settings: Settings, at: datetime | None = None) -> bool:
    moment = (at or now()).time()
    return settings.working_hours_start <= moment < settings.working_hours_end


async def open_handoff(session: AsyncSession, conversation_id: str) -> Handoff | None:
    rows = await session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                       Handoff.status.in_(OPEN)))
    return rows.scalars().first()


async def open_queue(session: AsyncSession, company: str | None) -> list[tuple[Handoff, str | None]]:
    """Open handoffs with their conversation's company, most urgent and oldest first; one company's only when
    given."""
    query = (select(Handoff, Conversation.company).join(Conversation, Conversation.id == Handoff.conversation_id)
             .where(Handoff.status.in_(OPEN)).order_by(PRIORITY_ORDER, Handoff.created_at))
    if company is not None:
        query = query.where(Conversation.company == company)
    return [(handoff, owner) for handoff, owner in (await session.execute(query)).all()]


async def with_company(session: AsyncSession, handoff_id: str) -> tuple[Handoff | None, str | None]:
    handoff = await session.get(Handoff, handoff_id)
    if handoff is None:
        return None, None
    return handoff, await session.scalar(select(Conversation.company).where(Conversation.id == handoff.conversation_id))


async def queue_position(session: AsyncSession, handoff: Handoff) -> int:
    """1 + the waiting handoffs that will be served first (higher priority, or same priority and older)."""
    rank = {"emergency": 0, "urgent": 1}.get(handoff.priority, 2)
    ahead = await session.execute(select(func.count()).select_from(Handoff).where(
        Handoff.status == H.WAITING.value, Handoff.id != handoff.id,
        (PRIORITY_ORDER < rank) | ((PRIORITY_ORDER == rank) & (Handoff.created_at < handoff.created_at))))
    return ahead.scalar_one() + 1


async def request(session: AsyncSession, redis: Redis, settings: Settings, packet: dict[str, Any]) -> tuple[Handoff, bool]:
    """(handoff, created). A second request while one is open updates the packet, never queues twice."""
    conversation = await get_or_create(session, packet["conversation_id"], packet.get("channel", "rest"))
    existing = await open_handoff(session, conversation.id)
    if existing is not None:
        existing.packet = packet
        if packet.get("priority") == "emergency":
            existing.priority = "emergency"
        await session.commit()
        await events.to_agents(redis, "queue", {"handoff_id": existing.id})
        return existing, False
    handoff = Handoff(id=str(uuid.uuid4()), conversation_id=conversation.id, channel=conversation.channel,
                      reason=packet.get("reason", "request_human"), priority=packet.get("priority", "normal"),
                      status=H.WAITING.value, packet=packet, created_at=now())
    session.add(handoff)
    conversation.state = C.WAITING.value
    session.add(AuditRecord(actor="assistant", action="handoff.request", target=handoff.id,
                            detail={"reason": handoff.reason, "priority": handoff.priority}))
    await session.flush()
    position = await queue_position(session, handoff)
    notice = None
    if not in_working_hours(settings) and handoff.priority != "emergency":
        handoff.callback_offered = True
        notice = await add_message(session, conversation.id, "system",
                                   "现在是非工作时间，人工客服可能无法及时接入。您可以预约回电，客服上班后第一时间联系您。",
                                   [CALLBACK_BUTTON])
    await session.commit()
    await events.to_customer(redis, conversation.id, "state", {"state": "waiting", "queue_position": position})
    if notice is not None:
        await events.to_customer(redis, conversation.id, "message", message_dict(notice))
    await events.to_agents(redis, "queue", {"handoff_id": handoff.id})
    return handoff, True


async def claim(session: AsyncSession, redis: Redis, handoff_id: str, agent: str) -> Handoff:
    handoff = await session.get(Handoff, handoff_id, with_for_update=True)
    if handoff is None:
        raise HandoffError(404, "会话不存在")
    if handoff.status == H.ACTIVE.value and handoff.agent == agent:
        return handoff
    if handoff.status != H.WAITING.value:
        raise HandoffError(409, "已被其他客服接入" if handoff.status == H.ACTIVE.value else "会话已结束")
    handoff.status, handoff.agent, handoff.claimed_at = H.ACTIVE.value, agent, now()
    conversation = await session.get(Conversation, handoff.conversation_id)
    conversation.state = "agent"
    notice = await add_message(session, conversation.id, "system", "人工客服已接入，请问有什么可以帮您？")
    session.add(AuditRecord(actor=agent, action="handoff.claim", target=handoff.id))
    await session.commit()
    await events.to_customer(redis, conversation.id, "state", {"state": "agent", "queue_position": 0})
    await events.to_customer(redis, conversation.id, "message", message_dict(notice))
    await events.to_agents(redis, "queue", {"handoff_id": handoff.id})
    return handoff


async def agent_says(session: AsyncSession, redis: Redis, handoff: Handoff, agent: str, text: str) -> dict[str, Any]:
    if handoff.status != H.ACTIVE.value or handoff.agent != agent:
        raise HandoffError(409, "请先接入该会话")
    message = await add_message(session, handoff.conversation_id, "agent", text, author=agent)
    await session.commit()
    data = message_dict(message)
    conversation = await session.get(Conversation, handoff.conversation_id)
    await events.to_customer(redis, handoff.conversation_id, "message", data)
    await events.to_agents(redis, "message", {"handoff_id": handoff.id, "owner": handoff.agent,
                                              "company": conversation.company if conversation else None, **data})
    return data


async def close(session: AsyncSession, redis: Redis, handoff: Handoff, actor: str, *, rating: bool = True,
                text: str = "人工服务已结束，接下来由智能助手继续为您服务。请为本次服务打分（1-5分）。") -> None:
    handoff.status, handoff.closed_at = H.CLOSED.value, now()
    conversation = await session.get(Conversation, handoff.conversation_id)
    conversation.state = "bot"
    notice = await add_message(session, conversation.id, "system", text)
    session.add(AuditRecord(actor=actor, action="handoff.close", target=handoff.id))
    await session.commit()
    await events.to_customer(redis, conversation.id, "state", {"state": "bot", "queue_position": 0})
    await events.to_customer(redis, conversation.id, "message", message_dict(notice))
    if rating:
        await events.to_customer(redis, conversation.id, "rating", {"handoff_id": handoff.id})
    await events.to_agents(redis, "queue", {"handoff_id": handoff.id})


async def accept_callback(session: AsyncSession, redis: Redis, handoff: Handoff) -> str:
    """The waiting customer chose a callback: a callback ticket replaces the queue place."""
    conversation = await session.get(Conversation, handoff.conversation_id)
    customer = handoff.packet.get("customer") or {}
    utility = {"燃气": "gas", "电力": "electricity", "供热": "heat"}.get(
        (handoff.packet.get("slots") or {}).get("utility") or "", "gas")
    ticket, _ = await create_ticket(session, NewTicket(
        type="callback", utility=utility, conversation_id=conversation.id, channel=conversation.channel,
        customer_key=conversation.customer_key, company=conversation.company,
        contact_phone=customer.get("phone") or conversation.verified_phone or "待补充",
        account_no=customer.get("account_no"), address=customer.get("address"),
        description=handoff.packet.get("summary") or "客户预约人工回电", priority=handoff.priority),
        idempotency_key=f"callback:{handoff.id}", actor="customer")
    await close(session, redis, handoff, "customer", rating=False,
                text=f"已为您预约回电，登记号 {ticket.ticket_no}。客服会尽快联系您，请保持电话畅通。")
    return ticket.ticket_no


async def offer_callbacks(session: AsyncSession, redis: Redis, settings: Settings) -> int:
    """Waiting longer than allowed: tell each customer their place and offer a callback, once."""
    limit = now() - timedelta(seconds=settings.handoff_wait_seconds)
    rows = await session.execute(select(Handoff).where(Handoff.status == H.WAITING.value, Handoff.callback_offered.is_(False),
                                                       Handoff.created_at < limit))
    offered = 0
    for handoff in rows.scalars().all():
        # Claimed with one conditional UPDATE: with several gateway processes only one offers each callback.
        claimed = await session.execute(update(Handoff).where(Handoff.id == handoff.id,
                                                              Handoff.callback_offered.is_(False))
                                        .values(callback_offered=True).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:    # another process offered it first
            continue
        position = await queue_position(session, handoff)
        notice = await add_message(session, handoff.conversation_id, "system",
                                   f"客服都在忙，您前面还有{position - 1}位。您可以继续等待，也可以预约回电。",
                                   [CALLBACK_BUTTON])
        await session.commit()
        await events.to_customer(redis, handoff.conversation_id, "message", message_dict(notice))
        await events.to_customer(redis, handoff.conversation_id, "state", {"state": "waiting", "queue_position": position})
        offered += 1
    return offered
