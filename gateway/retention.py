"""Keeping personal data only as long as needed (PIPL): the retention purge and one customer's export or erasure.

What is kept, and for how long (the README's "Data retention" says the same):
- a conversation's transcript, handoffs and packets: until RETENTION_DAYS (default 180) after its last message,
  then deleted together with the conversation (an open handoff waits for its close);
- tickets: kept as the company's service record, but once closed for RETENTION_DAYS their personal fields are
  masked (phone and account number down to the last digits, the address to its first characters, numbers in the
  description and notes) and their link to the customer is replaced by a pseudonym;
- Rasa's trackers in Redis expire by themselves after 30 days (bot/endpoints.yml, record_exp); an erasure
  request deletes the customer's at once.
A supervisor can export everything stored about one customer, or erase it, on the customer's request.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.masking import mask_text
from gateway.clock import now
from gateway.conversations import message_dict, transcript
from gateway.models import AnswerFeedback, AuditRecord, Conversation, Handoff, Message, Rating, Ticket
from gateway.notices.models import NoticeDelivery, NoticeSubscription
from gateway.tickets import FINAL, as_dict

PSEUDONYM = "anon:"
RASA_TRACKER_KEY = "assistant:tracker:{}"   # Rasa's Redis tracker store, key_prefix "assistant" (bot/endpoints.yml)


@dataclass(frozen=True)
class Customer:
    """Whom a request is about: a phone number the customer proves, or one conversation id; a supervisor of one
    company reaches that company's records only."""
    phone: str | None = None
    conversation_id: str | None = None
    company: str | None = None


@dataclass
class Erased:
    conversations: int = 0
    messages: int = 0
    tickets_masked: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"conversations": self.conversations, "messages": self.messages, "tickets_masked": self.tickets_masked}


def pseudonym(value: str) -> str:
    return PSEUDONYM + hashlib.sha256(value.encode()).hexdigest()[:16]


def mask_address(address: str | None) -> str | None:
    """The first six characters (the district, usually) and no more: 北京市朝阳区****."""
    if not address or address.endswith("****"):
        return address
    return address[:6] + "****"


def mask_account(account_no: str | None) -> str | None:
    if not account_no or "*" in account_no:
        return account_no
    return "****" + account_no[-4:]


async def _conversation_ids(session: AsyncSession, customer: Customer) -> list[str]:
    if customer.conversation_id:
        key = await session.scalar(select(Conversation.customer_key).where(Conversation.id == customer.conversation_id))
        if key is None:
            return []
        query = select(Conversation.id).where(or_(Conversation.customer_key == key,
                                                  Conversation.id == customer.conversation_id))
    else:
        ticket_conversations = select(Ticket.conversation_id).where(Ticket.contact_phone == customer.phone)
        query = select(Conversation.id).where(or_(
            Conversation.verified_phone == customer.phone, Conversation.customer_key == f"phone:{customer.phone}",
            Conversation.id.in_(ticket_conversations)))
    if customer.company is not None:
        query = query.where(Conversation.company == customer.company)
    return sorted(set(await session.scalars(query)))


async def _tickets(session: AsyncSession, customer: Customer, conversation_ids: list[str]) -> list[Ticket]:
    clauses = [Ticket.conversation_id.in_(conversation_ids)] if conversation_ids else []
    if customer.phone:
        clauses.append(Ticket.contact_phone == customer.phone)
    if not clauses:
        return []
    query = select(Ticket).where(or_(*clauses)).order_by(Ticket.id)
    if customer.company is not None:
        query = query.where(Ticket.company == customer.company)
    return list((await session.scalars(query)).all())


async def export_customer(session: AsyncSession, customer: Customer, actor: str) -> dict[str, Any]:
    """Everything stored about the customer, unmasked (it is theirs), for the supervisor to hand over."""
    conversation_ids = await _conversation_ids(session, customer)
    conversations = []
    for conversation_id in conversation_ids:
        conversation = await session.get(Conversation, conversation_id)
        messages = await transcript(session, conversation_id, limit=100_000)
        ratings = await session.scalars(select(Rating).where(Rating.conversation_id == conversation_id))
        reminders = await session.scalars(select(NoticeSubscription).where(
            NoticeSubscription.conversation_id == conversation_id))
        conversations.append({
            "id": conversation.id, "channel": conversation.channel, "company": conversation.company,
            "created_at": conversation.created_at.isoformat(), "verified_phone": conversation.verified_phone,
            "messages": [message_dict(m) for m in messages],
            "ratings": [{"score": r.score, "at": r.at.isoformat()} for r in ratings],
            "outage_reminders": [{"address": r.address, "created_at": r.created_at.isoformat(),
                                  "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None}
                                 for r in reminders]})
    tickets = [as_dict(t, history=True) for t in await _tickets(session, customer, conversation_ids)]
    session.add(AuditRecord(actor=actor, action="privacy.export", target=_target(customer),
                            detail={"conversations": len(conversations), "tickets": len(tickets)}))
    await session.commit()
    return {"exported_at": now().isoformat(), "conversations": conversations, "tickets": tickets}


def _anonymise_ticket(ticket: Ticket) -> None:
    if ticket.customer_key.startswith(PSEUDONYM):
        return
    ticket.contact_phone = mask_text(ticket.contact_phone)
    ticket.account_no = mask_account(ticket.account_no)
    ticket.address = mask_address(ticket.address)
    ticket.description = mask_text(ticket.description)
    ticket.customer_key = pseudonym(ticket.customer_key)
    ticket.conversation_id = pseudonym(ticket.conversation_id)
    for event in ticket.history:
        event.note = mask_text(event.note) if event.note else event.note


async def _delete_conversation(session: AsyncSession, conversation_id: str) -> int:
    """The transcript, handoffs (their packets hold the transcript too) and the conversation itself; ratings
    stay as bare scores under a pseudonym; ratings of answers go with the answers they rate."""
    await session.execute(delete(AnswerFeedback).where(AnswerFeedback.conversation_id == conversation_id))
    await _delete_subscriptions(session, conversation_id)
    removed = await session.execute(delete(Message).where(Message.conversation_id == conversation_id))
    await session.execute(delete(Handoff).where(Handoff.conversation_id == conversation_id))
    await session.execute(update(Rating).where(Rating.conversation_id == conversation_id)
                          .values(conversation_id=pseudonym(conversation_id)))
    await session.execute(delete(Conversation).where(Conversation.id == conversation_id))
    return removed.rowcount or 0


async def _delete_subscriptions(session: AsyncSession, conversation_id: str) -> None:
    """The conversation's outage reminders (each holds an address) and their delivery records."""
    subscriptions = select(NoticeSubscription.id).where(NoticeSubscription.conversation_id == conversation_id)
    await session.execute(delete(NoticeDelivery).where(NoticeDelivery.subscription_id.in_(subscriptions)))
    await session.execute(delete(NoticeSubscription).where(NoticeSubscription.conversation_id == conversation_id))


async def erase_customer(session: AsyncSession, redis: Redis, customer: Customer, actor: str) -> Erased:
    """On the customer's request: conversations deleted, tickets kept with masked personal fields."""
    conversation_ids = await _conversation_ids(session, customer)
    erased = Erased()
    for ticket in await _tickets(session, customer, conversation_ids):
        _anonymise_ticket(ticket)
        erased.tickets_masked += 1
    for conversation_id in conversation_ids:
        erased.messages += await _delete_conversation(session, conversation_id)
        erased.conversations += 1
    session.add(AuditRecord(actor=actor, action="privacy.erase", target=_target(customer), detail=erased.as_dict()))
    await session.commit()
    if conversation_ids:
        await redis.delete(*(RASA_TRACKER_KEY.format(c) for c in conversation_ids))
    return erased


async def purge_expired(session: AsyncSession, days: int, at: datetime | None = None) -> Erased:
    """Conversations idle for `days` (and not waiting for or talking to an agent) are deleted; tickets closed
    for `days` keep their record with masked personal fields."""
    cutoff = (at or now()) - timedelta(days=days)
    last_message = (select(Message.conversation_id, func.max(Message.at).label("last"))
                    .group_by(Message.conversation_id).subquery())
    idle = await session.scalars(
        select(Conversation.id).outerjoin(last_message, last_message.c.conversation_id == Conversation.id)
        .where(Conversation.state == "bot", func.coalesce(last_message.c.last, Conversation.created_at) < cutoff))
    erased = Erased()
    for conversation_id in list(idle):
        erased.messages += await _delete_conversation(session, conversation_id)
        erased.conversations += 1
    closed = await session.scalars(select(Ticket).where(
        Ticket.status.in_(FINAL), Ticket.updated_at < cutoff, ~Ticket.customer_key.startswith(PSEUDONYM)))
    for ticket in closed:
        _anonymise_ticket(ticket)
        erased.tickets_masked += 1
    if erased.conversations or erased.tickets_masked:
        session.add(AuditRecord(actor="retention", action="privacy.purge", target=f"older than {days} days",
                                detail=erased.as_dict()))
    await session.commit()
    return erased


def _target(customer: Customer) -> str:
    return mask_text(customer.phone) if customer.phone else customer.conversation_id or ""

