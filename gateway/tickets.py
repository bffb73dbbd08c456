"""Tickets: creation that a retry can never duplicate, readable numbers, and the status workflow."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import ids
from core.ids import TicketStatus
from core.labels import FINAL_STATUSES
from core.masking import mask_text
from gateway.clock import CHINA, now
from gateway.models import AuditRecord, Conversation, IdempotencyRecord, Ticket, TicketCounter, TicketEvent
from gateway.ticket_sla import sla_for
from gateway.turn_store import new_conversation_statement, turns_for

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


class IdempotencyConflict(Exception):
    """The key was used before with a different request."""


class TransitionError(ValueError):
    pass


@dataclass(frozen=True)
class NewTicket:
    type: str
    utility: str
    conversation_id: str
    channel: str
    customer_key: str
    contact_phone: str
    description: str
    account_no: str | None = None
    address: str | None = None
    priority: str = "normal"
    customer_type: str | None = None
    external_pipeline: bool | None = None
    area: str | None = None      # electricity repairs: urban | rural | remote, as the customer said
    company: str | None = None   # the conversation's company (its promises set the due time); None: unbound

    def fingerprint(self) -> str:
        body = {k: v for k, v in self.__dict__.items() if k not in ("customer_key", "company")}
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _next_number(connection: Connection, ticket_type: str, at: datetime) -> str:
    """BX20261123-0007: an atomic per-day counter (upsert), safe under concurrent creation."""
    prefix = ids.ticket_prefix(ticket_type, at.astimezone(CHINA).date())
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(TicketCounter).values(prefix=prefix, last=1).on_conflict_do_update(
        index_elements=[TicketCounter.prefix], set_={"last": TicketCounter.last + 1}).returning(TicketCounter.last)
    return ids.ticket_no(prefix, connection.execute(statement).scalar_one())


_TICKETS = Ticket.__table__
_HISTORY = (TicketEvent.status, TicketEvent.at, TicketEvent.by, TicketEvent.note)


def _views(connection: Connection, rows: Sequence[Row]) -> list[SimpleNamespace]:
    """Tickets as `as_dict` reads them (the columns and `history`), their events in one query."""
    if not rows:
        return []
    events: dict[int, list[Row]] = {row.id: [] for row in rows}
    for event in connection.execute(select(TicketEvent.ticket_id, *_HISTORY).where(
            TicketEvent.ticket_id.in_(list(events))).order_by(TicketEvent.id)):
        events[event.ticket_id].append(event)
    return [SimpleNamespace(**row._mapping, history=events[row.id]) for row in rows]


def _existing(connection: Connection, key: str, fingerprint: str) -> SimpleNamespace | None:
    record = connection.execute(select(IdempotencyRecord.request_hash, IdempotencyRecord.ticket_id)
                                .where(IdempotencyRecord.key == key)).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyConflict(key)
    return _views(connection, connection.execute(select(_TICKETS).where(_TICKETS.c.id == record.ticket_id)).all())[0]


def _create(connection: Connection, new: NewTicket, key: str, actor: str) -> tuple[SimpleNamespace, bool]:
    fingerprint = new.fingerprint()
    existing = _existing(connection, key, fingerprint)
    if existing is not None:
        return existing, False
    created_at = now()
    sla = sla_for(new.type, new.utility, created_at, priority=new.priority, customer_type=new.customer_type,
                  external_pipeline=new.external_pipeline, company=new.company, address=new.address,
                  description=new.description, area=new.area)
    row = connection.execute(insert(_TICKETS).returning(_TICKETS), {
        **new.__dict__, "ticket_no": _next_number(connection, new.type, created_at), "status": S.ACCEPTED.value,
        "created_at": created_at, "updated_at": created_at, "due_at": sla.due_at if sla else None,
        "sla": {**sla.as_dict(), "text": sla.text} if sla else None, "conditions_met_on": None}).one()
    event = connection.execute(insert(TicketEvent).returning(*_HISTORY), {
        "ticket_id": row.id, "status": row.status, "by": actor, "note": "创建工单", "at": created_at}).one()
    connection.execute(insert(IdempotencyRecord), {"key": key, "request_hash": fingerprint, "ticket_id": row.id,
                                                   "created_at": created_at})
    connection.execute(insert(AuditRecord), {"actor": actor, "action": "ticket.create", "target": row.ticket_no,
                                             "detail": None, "at": created_at})
    return SimpleNamespace(**row._mapping, history=[event]), True


def _create_for_conversation(connection: Connection, conversation_id: str, channel: str, company: str | None,
                             fields: dict[str, Any], key: str, actor: str) -> tuple[SimpleNamespace, bool]:
    """The assistant's ticket: the conversation created if new and bound to the company the customer chose when it
    had none (a bound conversation's own company always wins), then the ticket, in one transaction."""
    read = select(Conversation.customer_key, Conversation.company).where(Conversation.id == conversation_id)
    conversation = connection.execute(read).first()
    if conversation is None:
        connection.execute(new_conversation_statement(connection.dialect.name, conversation_id, channel, None, None))
        conversation = connection.execute(read).one()
    if conversation.company is None and company is not None:
        connection.execute(update(Conversation).where(Conversation.id == conversation_id).values(company=company))
    new = NewTicket(customer_key=conversation.customer_key, company=conversation.company or company, **fields)
    return _create(connection, new, key, actor)


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
    return await _written(session, _create, new, idempotency_key, actor)


async def create_for_conversation(session: AsyncSession, conversation_id: str, channel: str, company: str | None,
                                  fields: dict[str, Any], idempotency_key: str,
                                  actor: str) -> tuple[SimpleNamespace, bool]:
    """POST /internal/tickets: `fields` are NewTicket's own (not customer_key or company)."""
    return await _written(session, _create_for_conversation, conversation_id, channel, company, fields,
                          idempotency_key, actor)


def _of_conversation(connection: Connection, conversation_id: str, ticket_no: str | None) -> list[SimpleNamespace]:
    """The customer's tickets, newest five (or the one numbered, only if theirs): opened by this channel identity,
    or with a contact phone the customer has proved on this conversation."""
    conversation = connection.execute(select(Conversation.customer_key, Conversation.verified_phone)
                                      .where(Conversation.id == conversation_id)).first()
    if conversation is None:
        return []
    mine = _TICKETS.c.customer_key == conversation.customer_key
    if conversation.verified_phone:
        mine = or_(mine, _TICKETS.c.contact_phone == conversation.verified_phone)
    query = select(_TICKETS).where(mine).order_by(_TICKETS.c.id.desc()).limit(5)
    if ticket_no:
        query = select(_TICKETS).where(mine, _TICKETS.c.ticket_no == ticket_no.upper())
    return _views(connection, connection.execute(query).all())


async def of_conversation(session: AsyncSession, conversation_id: str,
                          ticket_no: str | None = None) -> list[SimpleNamespace]:
    return await turns_for(session).read(_of_conversation, conversation_id, ticket_no)


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
