"""Tickets in the database: creation that a retry can never duplicate, and a customer's tickets with their history,
as SQLAlchemy Core statements built once (so their SQL is compiled once per dialect and reused).

The assistant's ticket (POST /internal/tickets) reads its conversation and idempotency key in one statement; on
PostgreSQL the ticket is then created in one more, a data-modifying WITH statement (number, ticket, first event,
idempotency key, audit record and the conversation's company), in autocommit: two round trips instead of ten.
Elsewhere (an SQLite file) the same rows are written by one statement each, in one transaction."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Select,
    String,
    Text,
    bindparam,
    column,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from core import ids
from core.ids import TicketStatus
from gateway.clock import CHINA, now
from gateway.models import AuditRecord, Conversation, IdempotencyRecord, Ticket, TicketEvent, TZDateTime
from gateway.ticket_sla import sla_for
from gateway.turn_store import new_conversation_insert


class IdempotencyConflict(Exception):
    """The key was used before with a different request."""


def fingerprint(fields: Mapping[str, Any]) -> str:
    """The request a key was first used with: the ticket's fields, not whose it is (customer_key, company)."""
    body = {k: v for k, v in fields.items() if k not in ("customer_key", "company")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


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
        return fingerprint(self.__dict__)


class HistoryEntry(NamedTuple):
    status: str
    at: datetime
    by: str
    note: str | None


_TICKETS = Ticket.__table__
_EVENTS = TicketEvent.__table__
_CONVERSATIONS = Conversation.__table__
_KEYS = IdempotencyRecord.__table__
_HISTORY = (_EVENTS.c.status, _EVENTS.c.at, _EVENTS.c.by, _EVENTS.c.note)
_COLUMNS = tuple(c.name for c in _TICKETS.c)
_ID = _COLUMNS.index("id")


def tickets_of(rows: Iterable[Any]) -> list[SimpleNamespace]:
    """Tickets as `as_dict` reads them (the columns and `history`) from rows of a ticket's columns followed by one
    of its events (None when it has none), a ticket's rows together."""
    tickets: dict[int, SimpleNamespace] = {}
    width = len(_COLUMNS)
    for row in rows:
        values = tuple(row)
        ticket = tickets.get(values[_ID])
        if ticket is None:
            ticket = tickets[values[_ID]] = SimpleNamespace(**dict(zip(_COLUMNS, values[:width])), history=[])
        if values[width] is not None:
            ticket.history.append(HistoryEntry(*values[width:]))
    return list(tickets.values())


def _with_history(tickets: Select) -> Select:
    """The tickets selected, newest first, each once per event (oldest first), in one statement."""
    chosen = tickets.subquery("chosen")
    return (select(chosen, *(c.label(f"event_{c.name}") for c in _HISTORY))
            .outerjoin(_EVENTS, _EVENTS.c.ticket_id == chosen.c.id).order_by(chosen.c.id.desc(), _EVENTS.c.id))


def _of_conversation(value: Any) -> Any:
    return select(value).where(_CONVERSATIONS.c.id == bindparam("conversation_id")).scalar_subquery()


# A customer's tickets: opened by this channel identity, or with a contact phone proved on this conversation.
_MINE = or_(_TICKETS.c.customer_key == _of_conversation(_CONVERSATIONS.c.customer_key),
            _TICKETS.c.contact_phone == _of_conversation(func.nullif(_CONVERSATIONS.c.verified_phone, "")))
_NEWEST_FIVE = _with_history(select(_TICKETS).where(_MINE).order_by(_TICKETS.c.id.desc()).limit(5))
_NUMBERED = _with_history(select(_TICKETS).where(_MINE, _TICKETS.c.ticket_no == bindparam("ticket_no")))
_BY_ID = _with_history(select(_TICKETS).where(_TICKETS.c.id == bindparam("ticket_id")))


def customer_tickets(connection: Connection, conversation_id: str, ticket_no: str | None) -> list[SimpleNamespace]:
    """The customer's tickets, newest five (or the one numbered, only if theirs); none for an unknown
    conversation."""
    if ticket_no:
        rows = connection.execute(_NUMBERED, {"conversation_id": conversation_id, "ticket_no": ticket_no.upper()})
    else:
        rows = connection.execute(_NEWEST_FIVE, {"conversation_id": conversation_id})
    return tickets_of(rows)


# -- creation ---------------------------------------------------------------------------------------------------

_KEY_RECORD = select(_KEYS.c.request_hash, _KEYS.c.ticket_id).where(_KEYS.c.key == bindparam("key"))
_SITUATION = select(   # the conversation (customer_key is None: there is none) and the key's record, if any
    _of_conversation(_CONVERSATIONS.c.customer_key).label("customer_key"),
    _of_conversation(_CONVERSATIONS.c.company).label("company"),
    select(_KEYS.c.request_hash).where(_KEYS.c.key == bindparam("key")).scalar_subquery().label("request_hash"),
    select(_KEYS.c.ticket_id).where(_KEYS.c.key == bindparam("key")).scalar_subquery().label("ticket_id"))
_CONVERSATION = select(_CONVERSATIONS.c.customer_key, _CONVERSATIONS.c.company).where(
    _CONVERSATIONS.c.id == bindparam("conversation_id"))
_BIND = update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("conversation_id")).values(
    company=bindparam("company"))
# The day's counter, an atomic upsert safe under concurrent creation (the same SQL on PostgreSQL and SQLite).
_NEXT_NUMBER = text("INSERT INTO ticket_counters (prefix, last) VALUES (:prefix, 1) "
                    "ON CONFLICT (prefix) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last")
_INSERT_TICKET = insert(_TICKETS).returning(*_TICKETS.c)
_INSERT_EVENT = insert(_EVENTS).returning(*_HISTORY)
_INSERT_KEY = insert(_KEYS)
_INSERT_AUDIT = insert(AuditRecord.__table__)
CREATED_NOTE = "创建工单"


def _replay(connection: Connection, ticket_id: int) -> SimpleNamespace:
    return tickets_of(connection.execute(_BY_ID, {"ticket_id": ticket_id}))[0]


def _ticket_row(new: NewTicket, created_at: datetime) -> dict[str, Any]:
    """The new ticket's columns, all but its number."""
    sla = sla_for(new.type, new.utility, created_at, priority=new.priority, customer_type=new.customer_type,
                  external_pipeline=new.external_pipeline, company=new.company, address=new.address,
                  description=new.description, area=new.area)
    return {**new.__dict__, "status": TicketStatus.ACCEPTED.value, "created_at": created_at,
            "updated_at": created_at, "due_at": sla.due_at if sla else None,
            "sla": {**sla.as_dict(), "text": sla.text} if sla else None, "conditions_met_on": None}


def _prefix(new: NewTicket, created_at: datetime) -> str:
    return ids.ticket_prefix(new.type, created_at.astimezone(CHINA).date())


def _insert(connection: Connection, new: NewTicket, key: str, request_hash: str, actor: str) -> SimpleNamespace:
    """The ticket, its first event, the idempotency key and the audit record: a statement each."""
    created_at = now()
    prefix = _prefix(new, created_at)
    number = connection.execute(_NEXT_NUMBER, {"prefix": prefix}).scalar_one()
    row = connection.execute(_INSERT_TICKET, {**_ticket_row(new, created_at),
                                              "ticket_no": ids.ticket_no(prefix, number)}).one()
    event = connection.execute(_INSERT_EVENT, {"ticket_id": row.id, "status": row.status, "by": actor,
                                               "note": CREATED_NOTE, "at": created_at}).one()
    connection.execute(_INSERT_KEY, {"key": key, "request_hash": request_hash, "ticket_id": row.id,
                                     "created_at": created_at})
    connection.execute(_INSERT_AUDIT, {"actor": actor, "action": "ticket.create", "target": row.ticket_no,
                                       "detail": None, "at": created_at})
    return SimpleNamespace(**row._mapping, history=[HistoryEntry(*event)])


def create(connection: Connection, new: NewTicket, key: str, actor: str) -> tuple[SimpleNamespace, bool]:
    """(ticket, created): the key's ticket when the key was used with the same request (IdempotencyConflict for
    another), else a new one. One transaction of the caller's."""
    request_hash = new.fingerprint()
    record = connection.execute(_KEY_RECORD, {"key": key}).first()
    if record is not None:
        if record.request_hash != request_hash:
            raise IdempotencyConflict(key)
        return _replay(connection, record.ticket_id), False
    return _insert(connection, new, key, request_hash, actor), True


def _settled(connection: Connection, situation: Any, conversation_id: str, channel: str) -> Any:
    """The conversation (customer_key, company), created as the chat path creates it when the gateway has not seen
    it (rare: the customer's messages created it)."""
    if situation.customer_key is not None:
        return situation
    connection.execute(*new_conversation_insert(connection.dialect.name, conversation_id, channel, None, None))
    return connection.execute(_CONVERSATION, {"conversation_id": conversation_id}).one()


def create_for_conversation(connection: Connection, conversation_id: str, channel: str, company: str | None,
                            fields: dict[str, Any], key: str, actor: str) -> tuple[SimpleNamespace, bool]:
    """The assistant's ticket: the conversation (created if new) bound to the company the customer chose when it
    had none (a bound conversation's own company always wins), then the ticket. Elsewhere one transaction of the
    caller's; on PostgreSQL the caller's connection is in autocommit and the ticket with the binding is one
    statement (a conversation new to the gateway is created, and committed, before it)."""
    request_hash = fingerprint(fields)
    situation = connection.execute(_SITUATION, {"conversation_id": conversation_id, "key": key}).one()
    if situation.request_hash is not None and situation.request_hash != request_hash:
        raise IdempotencyConflict(key)
    conversation = _settled(connection, situation, conversation_id, channel)
    bind = conversation.company is None and company is not None
    new = NewTicket(customer_key=conversation.customer_key, company=conversation.company or company, **fields)
    if connection.dialect.name == "postgresql" and situation.ticket_id is None:
        return _insert_at_once(connection, new, key, request_hash, actor, bind), True
    if bind:
        connection.execute(_BIND, {"conversation_id": conversation_id, "company": company})
    if situation.ticket_id is not None:
        return _replay(connection, situation.ticket_id), False
    return _insert(connection, new, key, request_hash, actor), True


# PostgreSQL: _insert's statements and the conversation's binding as one (every part runs once, atomically).
_RETURNED = ", ".join(f"ticket.{name}" for name in _COLUMNS)
_CREATE_AT_ONCE = text(f"""
WITH counter AS (
    INSERT INTO ticket_counters (prefix, last) VALUES (CAST(:prefix AS TEXT), 1)
    ON CONFLICT (prefix) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last
), ticket AS (
    INSERT INTO tickets (ticket_no, type, company, utility, contact_phone, account_no, address, description,
                         customer_type, external_pipeline, area, conditions_met_on, channel, conversation_id,
                         customer_key, priority, status, due_at, sla, created_at, updated_at)
    VALUES (CAST(:prefix AS TEXT) || '-' || (SELECT CASE WHEN last < 10000 THEN lpad(CAST(last AS TEXT), 4, '0')
                                                    ELSE CAST(last AS TEXT) END FROM counter),
            :type, :company, :utility, :contact_phone, :account_no, :address, :description, :customer_type,
            :external_pipeline, :area, NULL, :channel, :conversation_id, :customer_key, :priority, :status,
            :due_at, :sla, :created_at, :created_at)
    RETURNING {", ".join(_COLUMNS)}
), event AS (
    INSERT INTO ticket_events (ticket_id, status, "by", note, at)
    SELECT id, status, :actor, :note, created_at FROM ticket RETURNING status, at, "by", note
), kept AS (
    INSERT INTO idempotency_records (key, request_hash, ticket_id, created_at)
    SELECT :key, :request_hash, id, created_at FROM ticket
), audited AS (
    INSERT INTO audit_log (at, actor, action, target, detail)
    SELECT created_at, :actor, 'ticket.create', ticket_no, CAST(:detail AS JSON) FROM ticket
), bound AS (
    UPDATE conversations SET company = :company WHERE id = :conversation_id AND :bind
)
SELECT {_RETURNED}, event.status, event.at, event."by", event.note FROM ticket, event
""").bindparams(bindparam("created_at", type_=TZDateTime()), bindparam("due_at", type_=TZDateTime()),
                bindparam("sla", type_=JSON()), bindparam("detail", type_=JSON()),
                bindparam("external_pipeline", type_=Boolean())).columns(
    *_TICKETS.c, column("event_status", String()), column("event_at", TZDateTime()), column("event_by", String()),
    column("event_note", Text()))


def _insert_at_once(connection: Connection, new: NewTicket, key: str, request_hash: str, actor: str,
                    bind: bool) -> SimpleNamespace:
    created_at = now()
    row = connection.execute(_CREATE_AT_ONCE, {
        **_ticket_row(new, created_at), "prefix": _prefix(new, created_at), "actor": actor, "note": CREATED_NOTE,
        "key": key, "request_hash": request_hash, "detail": None, "bind": bind}).one()
    return tickets_of([row])[0]
