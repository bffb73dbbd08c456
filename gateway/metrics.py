"""/metrics in the Prometheus text format (scraped with the service token): customer messages by channel, request
latency and errors, the handoff queue and its longest wait, tickets by kind and status, and the background jobs'
lag (WeChat outbox not yet sent, the last retention purge). Counters are per process; the queue, tickets and
outbox are read from the shared database and Redis at each scrape."""
from __future__ import annotations

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.ids import HandoffStatus
from gateway import keys
from gateway.clock import now
from gateway.models import Handoff, Ticket

REGISTRY = CollectorRegistry()
MESSAGES = Counter("gateway_customer_messages_total", "Customer messages handled", ["channel"], registry=REGISTRY)
REQUESTS = Histogram("gateway_request_seconds", "HTTP request duration", ["route", "status_class"], registry=REGISTRY,
                     buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("gateway_errors_total", "Responses with a 5xx status", ["route"], registry=REGISTRY)
QUEUE = Gauge("gateway_handoff_queue_length", "Handoffs waiting for an agent", registry=REGISTRY)
WAIT = Gauge("gateway_handoff_longest_wait_seconds", "How long the oldest waiting handoff has waited", registry=REGISTRY)
TICKETS = Gauge("gateway_tickets", "Tickets by kind and status", ["type", "status"], registry=REGISTRY)
OUTBOX = Gauge("gateway_wechat_outbox_pending", "WeChat messages taken by no process or not yet acknowledged",
               registry=REGISTRY)
RETENTION_AGE = Gauge("gateway_retention_last_run_age_seconds", "Seconds since a gateway last ran the retention purge",
                      registry=REGISTRY)


class RequestMetrics:
    """Duration and 5xx count per route template (not per raw path: ids would explode the label values). Each
    labelled series is looked up once (prometheus_client's labels() takes a lock and checks its values on every
    call)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._durations: dict[tuple[str, int], Any] = {}
        self._errors: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            status_class = status[0] // 100
            duration = self._durations.get((route, status_class))
            if duration is None:
                duration = self._durations[route, status_class] = REQUESTS.labels(route, f"{status_class}xx")
            duration.observe(time.perf_counter() - started)
            if status[0] >= 500:
                errors = self._errors.get(route)
                if errors is None:
                    errors = self._errors[route] = ERRORS.labels(route)
                errors.inc()


async def _refresh(session: AsyncSession, redis: Redis) -> None:
    waiting = (await session.execute(select(func.count(), func.min(Handoff.created_at))
                                     .where(Handoff.status == HandoffStatus.WAITING.value))).one()
    QUEUE.set(waiting[0])
    WAIT.set((now() - waiting[1]).total_seconds() if waiting[1] else 0)
    TICKETS.clear()
    for kind, status, count in (await session.execute(
            select(Ticket.type, Ticket.status, func.count()).group_by(Ticket.type, Ticket.status))).all():
        TICKETS.labels(kind, status).set(count)
    OUTBOX.set(await _outbox_pending(redis))
    last = await redis.get(keys.retention_last_run())
    RETENTION_AGE.set(time.time() - float(last) if last else -1)


async def _outbox_pending(redis: Redis) -> int:
    if not await redis.exists(keys.WECHAT_OUTBOX):
        return 0
    groups = await redis.xinfo_groups(keys.WECHAT_OUTBOX)
    return sum(int(g.get("pending", 0)) + int(g.get("lag") or 0) for g in groups) if groups else \
        int(await redis.xlen(keys.WECHAT_OUTBOX))


async def exposition(sessionmaker: async_sessionmaker[AsyncSession], redis: Redis) -> tuple[bytes, str]:
    async with sessionmaker() as session:
        await _refresh(session, redis)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
