"""Ticket creation and lookup as Core transactions (gateway/tickets.py) on PostgreSQL and on an SQLite file, where
they run on the turn store's own connection: one ticket per idempotency key even when retries race, a changed body
refused, the conversation bound to the company the customer chose, the history written with the ticket, and a
customer reads only their own tickets."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, func, select

from core import ids
from gateway.clock import CHINA, now
from gateway.db import make_engine, make_sessionmaker
from gateway.migrate import upgrade
from gateway.models import AuditRecord, Conversation, IdempotencyRecord, Ticket, TicketCounter
from gateway.tickets import IdempotencyConflict, as_dict, create_for_conversation, of_conversation


@pytest.fixture(params=["postgresql", "sqlite"])
async def sessionmaker(request, migrated_database: str, tmp_path) -> AsyncIterator:
    url = migrated_database
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tickets.db'}"
        upgrade(url)
    elif not url.startswith("postgresql"):
        pytest.skip("no PostgreSQL here")
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    await engine.dispose()


def repair(conversation_id: str, **changes: object) -> dict:
    return {"type": "repair", "utility": "gas", "conversation_id": conversation_id, "channel": "web",
            "contact_phone": "13800138000", "account_no": None, "address": "幸福小区3号楼", "description": "燃气表不走字",
            "priority": "normal", "customer_type": None, "external_pipeline": None, "area": None, **changes}


async def create(sessionmaker, conversation_id: str, key: str, company: str | None = None, **changes: object):
    async with sessionmaker() as session:
        return await create_for_conversation(session, conversation_id, "web", company, repair(conversation_id, **changes),
                                             key, actor="assistant")


async def test_one_ticket_per_key_with_its_history_and_the_chosen_company(sessionmaker) -> None:
    conversation = f"web:tw-{uuid.uuid4().hex[:8]}"
    ticket, created = await create(sessionmaker, conversation, f"{conversation}:k1", company="kunlun")
    view = as_dict(ticket, history=True)
    assert created and view["ticket_no"].startswith("BX") and view["status"] == "已受理"
    assert view["company"] == "kunlun" and view["due_at"] and view["sla"]["text"]
    assert [(e["status"], e["by"], e["note"]) for e in view["history"]] == [("已受理", "assistant", "创建工单")]
    again, created_again = await create(sessionmaker, conversation, f"{conversation}:k1", company="kunlun")
    assert not created_again and as_dict(again, history=True)["ticket_no"] == view["ticket_no"]
    assert as_dict(again, history=True)["history"] == view["history"]
    with pytest.raises(IdempotencyConflict):
        await create(sessionmaker, conversation, f"{conversation}:k1", description="另一件事")
    async with sessionmaker() as session:
        stored = await session.get(Conversation, conversation)
        audits = await session.scalar(select(func.count()).select_from(AuditRecord)
                                      .where(AuditRecord.target == view["ticket_no"]))
    assert stored is not None and stored.company == "kunlun" and audits == 1


async def test_racing_retries_create_one_ticket(sessionmaker) -> None:
    conversation = f"web:tw-{uuid.uuid4().hex[:8]}"
    results = await asyncio.gather(*(create(sessionmaker, conversation, f"{conversation}:race") for _ in range(8)))
    assert len({r[0].ticket_no for r in results}) == 1 and sum(created for _, created in results) == 1
    async with sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.conversation_id == conversation))
    assert count == 1


async def test_a_customer_reads_only_their_own_tickets(sessionmaker) -> None:
    mine, other = (f"web:tw-{uuid.uuid4().hex[:8]}" for _ in range(2))
    first, _ = await create(sessionmaker, mine, f"{mine}:1")
    second, _ = await create(sessionmaker, mine, f"{mine}:2", description="又坏了")
    theirs, _ = await create(sessionmaker, other, f"{other}:1")
    async with sessionmaker() as session:
        listed = await of_conversation(session, mine)
        named = await of_conversation(session, mine, first.ticket_no.lower())
        not_mine = await of_conversation(session, mine, theirs.ticket_no)
        unknown = await of_conversation(session, "web:nobody-here")
    assert [t.ticket_no for t in listed] == [second.ticket_no, first.ticket_no]
    assert [t.ticket_no for t in named] == [first.ticket_no] and named[0].history[0].note == "创建工单"
    assert not_mine == [] and unknown == []


async def test_numbers_past_9999_and_the_rows_written_with_the_ticket(sessionmaker) -> None:
    """The day's counter past four digits reads as ids.ticket_no writes it (PostgreSQL formats it in SQL); the
    first event, the idempotency key and the audit record carry the ticket's own time."""
    conversation = f"web:tw-{uuid.uuid4().hex[:8]}"
    prefix = ids.ticket_prefix("repair", now().astimezone(CHINA).date())
    async with sessionmaker() as session:
        counted = await session.scalar(select(TicketCounter.last).where(TicketCounter.prefix == prefix))
        await session.execute(delete(TicketCounter).where(TicketCounter.prefix == prefix))
        session.add(TicketCounter(prefix=prefix, last=9999))
        await session.commit()
    ticket, _ = await create(sessionmaker, conversation, f"{conversation}:k")
    assert ticket.ticket_no == ids.ticket_no(prefix, 10000) == f"{prefix}-10000"
    async with sessionmaker() as session:      # the day's count as it was, for the tests after this one
        await session.execute(delete(TicketCounter).where(TicketCounter.prefix == prefix))
        if counted is not None:
            session.add(TicketCounter(prefix=prefix, last=counted))
        await session.commit()
        key = await session.get(IdempotencyRecord, f"{conversation}:k")
        audit = (await session.scalars(select(AuditRecord).where(AuditRecord.target == ticket.ticket_no))).one()
    assert key is not None and key.ticket_id == ticket.id and key.created_at == ticket.created_at
    assert (audit.actor, audit.action, audit.detail, audit.at) == ("assistant", "ticket.create", None, ticket.created_at)
    assert ticket.history[0].at == ticket.created_at == ticket.updated_at
