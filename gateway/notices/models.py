"""Tables of the outage notices: the notices, every change made to them (who, when, what), customers' subscriptions
by address, and one delivery row per subscription and change (its unique key is what makes a push happen once)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.clock import now
from gateway.db import Base
from gateway.models import TZDateTime


class Notice(Base):
    __tablename__ = "outage_notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    utility: Mapped[str] = mapped_column(String(20))                  # gas | electricity | heat
    company: Mapped[str] = mapped_column(String(20))                  # knowledge/companies.yml id
    kind: Mapped[str] = mapped_column(String(10))                     # planned | fault | restored
    areas: Mapped[list[str]] = mapped_column(JSON)                    # as the company wrote them
    starts_at: Mapped[datetime] = mapped_column(TZDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)   # a fault's end may be unknown
    restored_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)     # the company's own short text for customers
    status: Mapped[str] = mapped_column(String(10), default="published")   # published | withdrawn
    # a planned interruption published later than the handbook's notice period before it starts (48 h for gas)
    short_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    __table_args__ = (Index("ix_outage_notices_status_utility", "status", "utility", "company"),)


class NoticeChange(Base):
    """One change of a notice (published, updated, restored, withdrawn), with who, when, what changed and the notice
    as it stood after it; the push job tells subscribers about each change once (pushed_at: all of them done)."""
    __tablename__ = "outage_notice_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("outage_notices.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))                  # published | updated | restored | withdrawn
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)             # field -> [before, after]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    pushed_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True, index=True)
    __table_args__ = (UniqueConstraint("notice_id", "version", name="uq_outage_change_version"),)


class NoticeSubscription(Base):
    """A customer's "停电停气提醒" for one address, on the channel they asked from (WeChat or the widget)."""
    __tablename__ = "outage_subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(120), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    company: Mapped[str | None] = mapped_column(String(20), nullable=True)   # None: notices of every company
    address: Mapped[str] = mapped_column(String(200))                 # as the customer wrote it
    place: Mapped[dict[str, Any]] = mapped_column(JSON)               # areas.Place.as_dict()
    place_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    cancelled_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)


class NoticeDelivery(Base):
    """A subscription told about one change. Inserted (claimed) before anything is sent: a second insert for the same
    pair fails, so no process, retry or restart sends it twice. A claim whose process died mid-send is marked
    "uncertain" and never sent again (WeChat may have delivered it; its API has no idempotency key)."""
    __tablename__ = "outage_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("outage_subscriptions.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("outage_notice_changes.id"), index=True)
    # claimed | sent (WeChat accepted it) | stored (widget: in the transcript) | retry | failed | uncertain
    status: Mapped[str] = mapped_column(String(10), index=True)
    method: Mapped[str | None] = mapped_column(String(10), nullable=True)     # custom | template | widget
    worker: Mapped[str] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(TZDateTime(), default=now)
    done_at: Mapped[datetime | None] = mapped_column(TZDateTime(), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
    __table_args__ = (UniqueConstraint("subscription_id", "change_id", name="uq_outage_delivery"),)
