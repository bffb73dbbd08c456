"""Tables: conversations and their messages, tickets with history and idempotency, handoffs, agents,
ratings and the audit log."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from core.ids import ConversationState, HandoffStatus, TicketStatus
from gateway.clock import CHINA, now
from gateway.db import Base


class TZDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite keeps no offsets), returned aware in China time."""
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc).astimezone(CHINA)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)        # "web:<uuid>", "wechat:<openid>"
    channel: Mapped[str] = mapped_column(String(20))
    customer_key: Mapped[str] = mapped_column(String(160), index=True)    # whose tickets this conversation sees
    state: Mapped[str] = mapped_column(String(10), default=ConversationState.BOT.value)   # core.ids.ConversationState
    # A phone number this customer has proved (caller number, or 户号 + the phone's last four digits):
    # tickets with that contact phone are theirs on every channel.
    verified_phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The company whose promises this customer gets (knowledge/companies.yml), bound by the channel; None: unbound.
    company: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))                         # customer | bot | agent | system
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    author: Mapped[str | None] = mapped_column(String(80), nullable=True)
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    # bot replies: what the bot said about the turn (core/turns.py): entries that answered, a menu, unanswered
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_no: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(20))                         # repair | installation | complaint | callback
    company: Mapped[str | None] = mapped_column(String(20), nullable=True)  # whose promises set its due time
    utility: Mapped[str] = mapped_column(String(20))
    contact_phone: Mapped[str] = mapped_column(String(30), index=True)
    account_no: Mapped[str | None] = mapped_column(String(30), nullable=True, index=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str] = mapped_column(Text)
    customer_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    external_pipeline: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # electricity repairs: urban | rural | remote (the 95598 standard's arrival time depends on it)
    area: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # installations: the day documents, payment and materials were complete (具备施工条件); the clock runs from it
    conditions_met_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    channel: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str] = mapped_column(String(120), index=True)
    customer_key: Mapped[str] = mapped_column(String(160), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")   # normal | urgent | emergency
    status: Mapped[str] = mapped_column(String(10), default=TicketStatus.ACCEPTED.value)  # core.ids.TicketStatus
    due_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)
    sla: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now, onupdate=now)
    history: Mapped[list[TicketEvent]] = relationship(order_by="TicketEvent.id", lazy="selectin")


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)


class TicketCounter(Base):
    """Daily sequence per prefix: BX20261123-0007."""
    __tablename__ = "ticket_counters"
    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)    # "BX20261123"
    last: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)


class Handoff(Base):
    __tablename__ = "handoffs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(10), default=HandoffStatus.WAITING.value)  # core.ids.HandoffStatus
    agent: Mapped[str | None] = mapped_column(String(80), nullable=True)
    packet: Mapped[dict[str, Any]] = mapped_column(JSON)
    callback_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    claimed_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)
    __table_args__ = (Index("ix_handoffs_status_priority", "status", "priority", "created_at"),)


class Agent(Base):
    __tablename__ = "agents"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")       # agent | supervisor
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The company whose conversations, tickets and handoffs the agent serves; None: every company (a platform's
    # own operators).
    company: Mapped[str | None] = mapped_column(String(20), nullable=True)


class Rating(Base):
    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(120), index=True)
    handoff_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    score: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    __table_args__ = (UniqueConstraint("handoff_id", name="uq_rating_handoff"),)


class AuditRecord(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class AnswerFeedback(Base):
    """A customer's 有用 / 没用 on one knowledge answer (a bot message whose meta is an answer). Rating the same
    answer again replaces the earlier rating."""
    __tablename__ = "answer_feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(120), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    company: Mapped[str | None] = mapped_column(String(20), nullable=True)
    entry_id: Mapped[str] = mapped_column(String(120), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=now, index=True)


class KnowledgeVersion(Base):
    """One published state of the knowledge base's entries (version 1: the repository's YAML). The action server
    serves the newest version it accepted; a version it refuses (the figure audit) keeps its reason here."""
    __tablename__ = "knowledge_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200))
    published_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    check_status: Mapped[str] = mapped_column(String(10), default="pending")   # pending | accepted | refused
    check_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)


class KnowledgeDraft(Base):
    """An operator's change not yet published: an example question added to an entry, a new entry, or an entry
    edited. Drafts never reach customers; publishing applies them to the live version as a new version."""
    __tablename__ = "knowledge_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(20))            # add_example | new_entry | edit_entry
    entry_id: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)  # draft | published | discarded
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inbox_key: Mapped[str | None] = mapped_column(String(64), nullable=True)   # the inbox item it came from


class InboxDismissal(Base):
    """An unanswered-question group a supervisor dismissed (or resolved by a draft): hidden from the inbox."""
    __tablename__ = "inbox_dismissals"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
