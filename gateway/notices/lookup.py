"""The action server's notice lookup (GET /internal/notices, twice in a customer's visit): the place the customer
named (a sentence is searched for it), else the addresses on their tickets and subscriptions; the notices
concerning it, each as text and as speech. One connection for its reads: the customer's addresses, then the
published notices once, matched against every candidate place."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clock import now
from gateway.notices import render, service
from gateway.notices.areas import Place, place_in_answer
from gateway.turn_store import turns_for
from knowledge.companies import companies

Candidate = tuple[str, str, Place]      # (address as written, "said" | "ticket" | "subscription", place)


async def lookup(session: AsyncSession, *, utility: str | None, place: str | None, conversation_id: str | None,
                 company: str | None, within_hours: float, known: bool) -> dict[str, Any]:
    """{"place": {"text", "address", "source"} | None, "notices": [...]}: the place said, else with `known` the
    first of the customer's known places that a notice concerns (the newest known place when none does)."""
    at = now()
    said = place_in_answer(place) if place else None
    company = company if company in companies() else None
    candidates, notices = await turns_for(session).read(_read, said, conversation_id if known else None, utility,
                                                        company, at)
    if not candidates:
        return {"place": None, "notices": []}
    for address, source, where in candidates:
        matches = service.matching(notices, where, at, within_hours)
        if matches or source == "said":
            return {"place": {"text": where.text, "address": address, "source": source},
                    "notices": [_internal_view(m, at) for m in matches]}
    address, source, where = candidates[0]
    return {"place": {"text": where.text, "address": address, "source": source}, "notices": []}


def _read(connection: Connection, said: Place | None, conversation_id: str | None, utility: str | None,
          company: str | None, at: datetime) -> tuple[list[Candidate], list[Row]]:
    """The candidate places and, when there are any, the published notices."""
    if said is not None:
        candidates = [(said.text, "said", said)]
    elif conversation_id:
        candidates = [(k.address, k.source, k.place) for k in
                      service.places_of(service.known_addresses(connection, conversation_id, None))]
    else:
        candidates = []
    return candidates, service.published_rows(connection, utility, company, at) if candidates else []


def _internal_view(match: service.Match, at: datetime) -> dict[str, Any]:
    snap = service.snapshot(match.notice)
    starts_in = (match.notice.starts_at - at) / timedelta(hours=1)
    return {"id": match.notice.id, "utility": match.notice.utility, "company": match.notice.company,
            "kind": match.notice.kind, "area": match.area, "coverage": match.coverage.value, "active": match.active,
            "starts_in_hours": round(starts_in, 1), "starts_at": snap["starts_at"], "ends_at": snap["ends_at"],
            "restored_at": snap["restored_at"], "text": render.customer_text(snap, match.area),
            "speech": render.spoken_text(snap, at, match.area)}
