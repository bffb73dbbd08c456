"""Routers of the outage notices:
- /agent/api/notices: supervisors (their company's notices; a platform supervisor every company's) or a script or
  dispatch system with the service token publish, change and withdraw; every agent reads them;
- /agent/api/handoffs/{id}/notices: notices concerning the customer of a handoff (the agent's company only);
- /api/notices: public, current and coming notices, no personal data;
- /internal/notices: the action server's lookup for an address or a conversation (service token).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import ORJSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import events, handoffs
from gateway.api.deps import RedisDep, ServiceDep, SessionDep, SettingsDep, current_agent, require_service_token
from gateway.bindings import current_bindings
from gateway.clock import now
from gateway.lean_route import RouteInputs, lean
from gateway.notices import lookup as notice_lookup
from gateway.notices import render, service
from gateway.notices.areas import parse_place
from gateway.notices.models import Notice
from gateway.security import service_token_valid
from gateway.strict_json import StrictJSONRoute
from gateway.text import CONVERSATION_PATTERN, UUID_PATTERN, CleanStr, CompanyId
from knowledge.companies import companies

agent_router = APIRouter(prefix="/agent/api", tags=["notices"], route_class=StrictJSONRoute)
public_router = APIRouter(prefix="/api/notices", tags=["notices"], route_class=StrictJSONRoute)
internal_router = APIRouter(prefix="/internal/notices", tags=["internal"], route_class=StrictJSONRoute)

Utility = Literal["gas", "electricity", "heat"]
Area = Annotated[CleanStr, Field(min_length=2, max_length=60)]
NoticeId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PUBLIC_COMING_DAYS = 30


@dataclass(frozen=True)
class Caller:
    name: str
    company: str | None        # None: every company
    may_publish: bool

    def serves(self, company: str | None) -> bool:
        return self.company is None or company == self.company


async def caller(request: Request, redis: RedisDep, settings: SettingsDep,
                 authorization: Annotated[str | None, Header()] = None) -> Caller:
    """The service token (a script, a dispatch system: every company), or an agent's console session."""
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    if token and service_token_valid(token, settings.gateway_service_token):
        return Caller("service", None, True)
    agent = await current_agent(request, redis)
    return Caller(agent.username, agent.company, agent.supervisor)


CallerDep = Annotated[Caller, Depends(caller)]


def _publisher(who: Caller) -> Caller:
    if not who.may_publish:
        raise HTTPException(403, "需要班长权限")
    return who


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    utility: Utility
    company: CompanyId | None = None
    kind: Literal["planned", "fault", "restored"]
    areas: list[Area] = Field(min_length=1, max_length=50)
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    restored_at: AwareDatetime | None = None
    reason: CleanStr = Field(min_length=1, max_length=200)
    text: CleanStr | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def times(self) -> NoticeIn:
        if self.kind == "planned" and self.ends_at is None:
            raise ValueError("a planned notice needs ends_at")
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class NoticeChangeIn(BaseModel):
    """PATCH: any of these; utility and company cannot change (withdraw and publish anew)."""
    model_config = ConfigDict(extra="forbid")
    kind: Literal["planned", "fault", "restored"] | None = None
    areas: list[Area] | None = Field(default=None, min_length=1, max_length=50)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    restored_at: AwareDatetime | None = None
    reason: CleanStr | None = Field(default=None, min_length=1, max_length=200)
    text: CleanStr | None = Field(default=None, max_length=500)


def company_name(company: str | None) -> str:
    profile = companies().get(company or "")
    return profile.name if profile else "未绑定"


def console_view(notice: Notice, at: datetime) -> dict[str, Any]:
    return {**service.snapshot(notice), "company_name": company_name(notice.company),
            "short_notice": notice.short_notice, "short_notice_detail": service.short_notice_detail(notice),
            "created_by": notice.created_by, "created_at": notice.created_at.isoformat(),
            "active": service.is_active(notice, at) and notice.status == "published",
            "summary": render.customer_text(service.snapshot(notice))}


async def _notice(session: AsyncSession, notice_id: int, who: Caller) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None or not who.serves(notice.company):
        raise HTTPException(404, "通知不存在")   # another company's: its existence is not disclosed
    return notice


def _failed(error: service.NoticeError) -> HTTPException:
    return HTTPException(error.status, error.detail)


@agent_router.post("/notices", status_code=201)
async def publish(body: NoticeIn, session: SessionDep, redis: RedisDep, who: CallerDep) -> dict:
    _publisher(who)
    company = body.company or who.company or current_bindings().default_company
    if company is not None and not who.serves(company):
        raise HTTPException(403, "只能发布本公司的通知")
    new = service.NewNotice(utility=body.utility, company=company or "", kind=body.kind, areas=list(body.areas),
                            starts_at=body.starts_at, ends_at=body.ends_at, reason=body.reason.strip(),
                            text=(body.text or "").strip() or None, restored_at=body.restored_at)
    try:
        notice = await service.publish(session, new, who.name)
    except service.NoticeError as error:
        raise _failed(error) from None
    await events.to_agents(redis, "notice", {"id": notice.id, "company": notice.company,
                                             "short_notice": notice.short_notice})
    return console_view(notice, now())


@agent_router.get("/notices")
async def list_notices(session: SessionDep, who: CallerDep, utility: Utility | None = None,
                       show: Literal["current", "all"] = "current") -> dict:
    at = now()
    if show == "current":
        found = await service.published(session, utility, who.company, at)
    else:
        query = select(Notice).order_by(Notice.id.desc()).limit(200)
        if who.company:
            query = query.where(Notice.company == who.company)
        if utility:
            query = query.where(Notice.utility == utility)
        found = list((await session.scalars(query)).all())
    views = [console_view(n, at) for n in found]
    return {"notices": views, "short_notice": sum(1 for v in views if v["short_notice"] and v["status"] == "published"),
            "may_publish": who.may_publish, "company": who.company}


@agent_router.get("/notices/{notice_id}")
async def notice_details(notice_id: NoticeId, session: SessionDep, who: CallerDep) -> dict:
    notice = await _notice(session, notice_id, who)
    changes = await service.history(session, notice.id)
    return {**console_view(notice, now()), "deliveries": await service.delivery_counts(session, notice.id),
            "history": [{"version": c.version, "action": c.action, "by": c.by, "at": c.at.isoformat(),
                         "changes": c.changes, "pushed_at": c.pushed_at.isoformat() if c.pushed_at else None}
                        for c in changes]}


@agent_router.patch("/notices/{notice_id}")
async def change(notice_id: NoticeId, body: NoticeChangeIn, session: SessionDep, redis: RedisDep,
                 who: CallerDep) -> dict:
    _publisher(who)
    notice = await _notice(session, notice_id, who)
    fields = body.model_dump(exclude_unset=True)
    if any(value is None for name, value in fields.items() if name not in ("ends_at", "text", "restored_at")):
        raise HTTPException(422, "字段不能为空")
    if "text" in fields:
        fields["text"] = (fields["text"] or "").strip() or None
    try:
        notice = await service.update(session, notice, fields, who.name)
    except service.NoticeError as error:
        raise _failed(error) from None
    await events.to_agents(redis, "notice", {"id": notice.id, "company": notice.company,
                                             "short_notice": notice.short_notice})
    return console_view(notice, now())


@agent_router.delete("/notices/{notice_id}")
async def withdraw(notice_id: NoticeId, session: SessionDep, redis: RedisDep, who: CallerDep) -> dict:
    _publisher(who)
    notice = await _notice(session, notice_id, who)
    try:
        notice = await service.withdraw(session, notice, who.name)
    except service.NoticeError as error:
        raise _failed(error) from None
    await events.to_agents(redis, "notice", {"id": notice.id, "company": notice.company, "short_notice": False})
    return console_view(notice, now())


@agent_router.get("/handoffs/{handoff_id}/notices")
async def for_handoff(handoff_id: Annotated[str, Path(pattern=UUID_PATTERN)], session: SessionDep,
                      who: CallerDep) -> dict:
    """Notices active or starting within 24 hours at the addresses of the handoff's customer (the packet's address
    slot and tickets, the customer's tickets and subscriptions), of the agent's company."""
    handoff, company = await handoffs.with_company(session, handoff_id)
    # as the console's own handoff view: a supervisor, or an agent of its company while it waits or is theirs
    visible = who.may_publish or handoff is not None and (handoff.status == "waiting" or handoff.agent == who.name)
    if handoff is None or not who.serves(company) or not visible:
        raise HTTPException(404, "会话不存在")
    packet = handoff.packet or {}
    addresses = [(str(packet.get("slots", {}).get(name)), "slot") for name in ("address", "outage_place")
                 if (packet.get("slots") or {}).get(name)]
    addresses += [(str(t["address"]), "ticket") for t in packet.get("tickets") or [] if t.get("address")]
    places = [(a, s, p) for a, s in addresses if (p := parse_place(a)) is not None]
    places += [(k.address, k.source, k.place) for k in await service.known_places(session, handoff.conversation_id)]
    at, seen, found = now(), set(), []
    for address, source, place in places:
        for match in await service.for_place(session, place, company=company, within_hours=24, at=at):
            if match.notice.id not in seen:
                seen.add(match.notice.id)
                found.append({**console_view(match.notice, at), "area": match.area, "coverage": match.coverage.value,
                              "customer_address": address, "address_source": source,
                              "text": render.customer_text(service.snapshot(match.notice), match.area)})
    return {"notices": found}


def public_view(notice: Notice) -> dict[str, Any]:
    """What anyone may read: the notice, never who published it or who subscribed."""
    view = {key: value for key, value in service.snapshot(notice).items() if key not in ("status", "version")}
    return {**view, "company_name": company_name(notice.company), "summary": render.customer_text(view)}


@public_router.get("")
async def public_notices(session: SessionDep, utility: Utility | None = None,
                         area: Annotated[str | None, Query(max_length=60)] = None,
                         company: Annotated[str | None, Query(max_length=20)] = None) -> dict:
    """Current and coming notices (not ended, starting within 30 days); with area, those concerning it."""
    at = now()
    if company is not None and company not in companies():
        raise HTTPException(422, "unknown company: GET /api/widget/companies lists them")
    place = parse_place(area) if area else None
    if area and place is None:
        raise HTTPException(422, "无法识别的区域")
    found = [n for n in await service.published(session, utility, company, at)
             if service.is_current(n, at, PUBLIC_COMING_DAYS * 24)]
    if place is not None:
        found = [n for n in found if service.match_notice(n, place, at, PUBLIC_COMING_DAYS * 24) is not None]
    return {"notices": [public_view(n) for n in found]}


async def lookup(session: SessionDep, _: ServiceDep, utility: Utility | None = None,
                 place: Annotated[str | None, Query(max_length=300)] = None,
                 conversation_id: Annotated[str | None, Query(pattern=CONVERSATION_PATTERN)] = None,
                 company: Annotated[str | None, Query(max_length=20)] = None,
                 within_hours: Annotated[float, Query(ge=0, le=24 * 31)] = 24 * 7,
                 known: bool = True) -> dict:
    """The place the customer named (a sentence is searched for it), else with known=true the addresses on their
    tickets and subscriptions; the notices concerning it, each as text and as speech."""
    return await notice_lookup.lookup(session, utility=utility, place=place, conversation_id=conversation_id,
                                      company=company, within_hours=within_hours, known=known)


async def _lookup_lean(request: Request, inputs: RouteInputs) -> Response:
    """`lookup` without FastAPI's per-request dependency solving (gateway/lean_route.py)."""
    values = await inputs.read(request, require_service_token)
    async with request.app.state.sessionmaker() as session:
        return ORJSONResponse(await notice_lookup.lookup(
            session, utility=values["utility"], place=values["place"], conversation_id=values["conversation_id"],
            company=values["company"], within_hours=values["within_hours"], known=values["known"]))


internal_router.add_api_route("", lookup, methods=["GET"], route_class_override=lean(_lookup_lean))
