"""Tickets: creation that a retry can never duplicate, readable numbers, and the status workflow."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import TicketStatus
from core.labels import FINAL_STATUSES
from core.masking import mask_text
from gateway import ticket_store
from gateway.clock import now
from gateway.models import AuditRecord, Ticket, TicketEvent
from gateway.ticket_sla import sla_for
from gateway.ticket_store import IdempotencyConflict, NewTicket
from gateway.turn_store import AsyncTurns, turns_for

__all__ = ["IdempotencyConflict", "NewTicket", "TransitionError", "as_dict", "change_status", "create_for_conversation",
           "create_ticket", "find", "of_conversation", "overdue", "search"]

S = TicketStatus
STATUSES = tuple(status.value for status in TicketStatus)
TRANSITIONS = {
    S.ACCEPTED: {S.READY, S.DISPATCHED, S.IN_PROGRESS, S.REFUSED, S.CLOSED},
    # 具备施工条件 (installations only): set again to correct the day, with a reason
    S.READY: {S.READY, S.DISPATCHED, S.IN_PROGRESS, S.CLOSED},
    S.DISPATCHED: {S.IN_PROGRESS, S.DONE, S.CLOSED},
    S.IN_PROGRESS: {S.DONE, S.CLOSED},
    S.DONE: {S.CLOSED, S.IN_PROGRESS},
    S.CLOSED: set(),
    S.REFUSED: set(),
}
FINAL = {status.value for status in FINAL_STATUSES}


class TransitionError(ValueError):
    pass


async def _written(session: AsyncSession, work: Callable[..., tuple[SimpleNamespace, bool]],
                   *args: Any) -> tuple[SimpleNamespace, bool]:
    """One transaction of Core statements where the chat path writes (gateway/turn_store.py). Concurrent retries
    race on the idempotency row's primary key: the loser's transaction is rolled back whole, and its second try
    finds the winner's ticket."""
    writer = turns_for(session)
    try:
        return await writer.run(work, *args)
    except IntegrityError:
        return await writer.run(work, *args)


async def create_ticket(session: AsyncSession, new: NewTicket, idempotency_key: str,
                        actor: str) -> tuple[SimpleNamespace, bool]:
    """(ticket, created). The same key and body returns the first ticket (IdempotencyConflict for another body)."""
    return await _written(session, ticket_store.create, new, idempotency_key, actor)


async def create_for_conversation(session: AsyncSession, conversation_id: str, channel: str, company: str | None,
                                  fields: dict[str, Any], idempotency_key: str,
                                  actor: str) -> tuple[SimpleNamespace, bool]:
    """POST /internal/tickets: `fields` are NewTicket's own (not customer_key or company). On PostgreSQL in
    autocommit (the ticket is one statement, gateway/ticket_store.py): a session with no transaction of its own."""
    writer = turns_for(session)
    if session.bind.dialect.name != "postgresql" or not isinstance(writer, AsyncTurns):
        return await _written(session, ticket_store.create_for_conversation, conversation_id, channel, company,
                              fields, idempotency_key, actor)
    args = (conversation_id, channel, company, fields, idempotency_key, actor)
    try:
        return await writer.autocommit(ticket_store.create_for_conversation, *args)
    except IntegrityError:    # a concurrent retry's ticket won the key: this try finds it
        return await writer.autocommit(ticket_store.create_for_conversation, *args)


async def of_conversation(session: AsyncSession, conversation_id: str,
                          ticket_no: str | None = None) -> list[SimpleNamespace]:
    """The customer's tickets, newest five (or the one numbered, only if theirs): opened by this channel identity,
    or with a contact phone the customer has proved on this conversation."""
    return await turns_for(session).read(ticket_store.customer_tickets, conversation_id, ticket_no)


def _start_clock(ticket: Ticket, conditions_met_on: date | None, note: str | None) -> None:
    """具备施工条件: the day conditions were met starts the installation's clock; setting it again corrects it."""
    if ticket.type != "installation":
        raise TransitionError("只有报装工单有“具备施工条件”状态")
    if ticket.status == S.READY and not (note and note.strip()):
        raise TransitionError("更正具备施工条件的日期必须写明理由")
    met_on = conditions_met_on or now().date()
    if met_on > now().date() or met_on < ticket.created_at.date():
        raise TransitionError("具备施工条件的日期应在受理之日和今天之间")
    ticket.conditions_met_on = met_on
    sla = sla_for(ticket.type, ticket.utility, ticket.created_at, customer_type=ticket.customer_type,
                  external_pipeline=ticket.external_pipeline, company=ticket.company, conditions_met_on=met_on)
    ticket.due_at = sla.due_at if sla else None
    ticket.sla = {**sla.as_dict(), "text": sla.text} if sla else ticket.sla


async def change_status(session: AsyncSession, ticket: Ticket, status: str, actor: str, note: str | None,
                        conditions_met_on: date | None = None) -> Ticket:
    if status not in STATUSES:
        raise TransitionError(f"未知状态：{status}")
    if status not in TRANSITIONS[TicketStatus(ticket.status)]:
        raise TransitionError(f"不能从“{ticket.status}”改为“{status}”")
    if status == S.REFUSED and not (note and note.strip()):
        raise TransitionError("不予受理必须写明理由")
    if status == S.READY:
        _start_clock(ticket, conditions_met_on, note)
        note = f"具备施工条件之日：{ticket.conditions_met_on:%Y-%m-%d}" + (f"；{note}" if note else "")
    ticket.status = status
    ticket.updated_at = now()
    session.add(TicketEvent(ticket_id=ticket.id, status=status, by=actor, note=note, at=ticket.updated_at))
    session.add(AuditRecord(actor=actor, action="ticket.status", target=ticket.ticket_no,
                            detail={"status": status, "note": note}))
    await session.commit()
    await session.refresh(ticket, ["history"])
    return ticket


async def search(session: AsyncSession, query: str, company: str | None, limit: int = 20) -> list[Ticket]:
    """Newest first: by ticket number, contact phone or 户号 (all recent ones for an empty query); one company's
    only when given."""
    statement = select(Ticket).order_by(Ticket.id.desc()).limit(limit)
    if query:
        statement = statement.where(or_(Ticket.ticket_no == query.upper(), Ticket.contact_phone == query,
                                        Ticket.account_no == query))
    if company is not None:
        statement = statement.where(Ticket.company == company)
    return list((await session.execute(statement)).scalars().all())


async def find(session: AsyncSession, ticket_no: str) -> Ticket | None:
    return (await session.execute(select(Ticket).where(Ticket.ticket_no == ticket_no.upper()))).scalar_one_or_none()


def overdue(ticket: Ticket | SimpleNamespace, at: datetime | None = None) -> bool:
    return ticket.due_at is not None and ticket.status not in FINAL and (at or now()) > ticket.due_at


def as_dict(ticket: Ticket | SimpleNamespace, *, history: bool = False, mask: bool = False) -> dict[str, Any]:
    moment = now()
    data = {
        "ticket_no": ticket.ticket_no, "type": ticket.type, "utility": ticket.utility, "status": ticket.status,
        "priority": ticket.priority, "created_at": ticket.created_at.isoformat(),
        "due_at": ticket.due_at.isoformat() if ticket.due_at else None,
        "due_text": (ticket.sla or {}).get("text"), "sla": ticket.sla,
        "overdue": overdue(ticket, moment),
        "time_left_seconds": int((ticket.due_at - moment).total_seconds()) if ticket.due_at else None,
        "contact_phone": mask_text(ticket.contact_phone) if mask else ticket.contact_phone,
        "account_no": ticket.account_no, "address": mask_text(ticket.address) if mask else ticket.address,
        "description": mask_text(ticket.description) if mask else ticket.description,
        "channel": ticket.channel, "company": ticket.company, "area": ticket.area,
        "conditions_met_on": ticket.conditions_met_on.isoformat() if ticket.conditions_met_on else None,
    }
    if history:
        data["history"] = [{"status": e.status, "at": e.at.isoformat(), "by": e.by,
                            "note": mask_text(e.note) if mask and e.note else e.note} for e in ticket.history]
    return data
