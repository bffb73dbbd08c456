"""The agent console's API: login, the queue, claiming, chatting, closing, and tickets."""
from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from core import ids
from core.labels import console_labels
from core.masking import mask_text, mask_value
from gateway import events, handoffs, keys
from gateway.api.deps import AgentDep, AgentIdentity, RedisDep, SessionDep, SettingsDep
from gateway.clock import now
from gateway.conversations import message_dict, transcript
from gateway.models import Agent, AuditRecord, Handoff, Ticket
from gateway.security import credential_version, new_session_id, password_matches
from gateway.strict_json import StrictJSONRoute
from gateway.text import TICKET_PATTERN, UUID_PATTERN, CleanStr, clean
from gateway.tickets import TransitionError, as_dict, change_status, find, search
from knowledge.companies import companies

HandoffId = Annotated[str, Path(pattern=UUID_PATTERN)]
TicketNo = Annotated[str, Path(pattern=TICKET_PATTERN)]

router = APIRouter(prefix="/agent/api", tags=["agent"], route_class=StrictJSONRoute)


class Login(BaseModel):
    username: CleanStr = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class Reply(BaseModel):
    text: CleanStr = Field(min_length=1, max_length=2000)


class StatusChange(BaseModel):
    status: CleanStr = Field(max_length=10)
    note: CleanStr | None = Field(default=None, max_length=1000)
    # 具备施工条件: the day documents, payment and materials were complete (default today)
    conditions_met_on: date | None = None


LOGIN_WINDOW_SECONDS = 15 * 60


async def _login_blocked(redis, settings, username: str, address: str) -> bool:
    """Too many failures in the window for this account name (known or not) or from this client address."""
    by_name = int(await redis.get(keys.login_failures("name", username)) or 0)
    by_address = int(await redis.get(keys.login_failures("ip", address)) or 0)
    return by_name >= settings.login_failures_per_name or by_address >= settings.login_failures_per_address


async def _count_failure(redis, username: str, address: str) -> None:
    for key in (keys.login_failures("name", username), keys.login_failures("ip", address)):
        if await redis.incr(key) == 1:
            await redis.expire(key, LOGIN_WINDOW_SECONDS)


@router.post("/login")
async def login(body: Login, request: Request, response: Response, session: SessionDep, redis: RedisDep,
                settings: SettingsDep) -> dict:
    address = request.client.host if request.client else "unknown"
    if await _login_blocked(redis, settings, body.username, address):
        raise HTTPException(429, "登录失败次数过多，请15分钟后再试", headers={"Retry-After": str(LOGIN_WINDOW_SECONDS)})
    agent = await session.get(Agent, body.username)
    # The hash is checked off the event loop, and for an unknown name too (the same answer time).
    matches = await asyncio.to_thread(password_matches, agent.password_hash if agent else None, body.password)
    if agent is None or not agent.active or not matches:
        await _count_failure(redis, body.username, address)
        session.add(AuditRecord(actor=body.username, action="agent.login_failed", target=body.username))
        await session.commit()
        raise HTTPException(401, "用户名或密码错误")
    session_id = new_session_id()
    ttl = settings.agent_session_hours * 3600
    await redis.hset(keys.agent_session(session_id), mapping={"username": agent.username, "role": agent.role,
                                                              "credential": credential_version(agent.password_hash)})
    await redis.expire(keys.agent_session(session_id), ttl)
    response.set_cookie("agent_session", session_id, max_age=ttl, httponly=True, samesite="strict",
                        secure=settings.environment == "production", path="/agent")
    session.add(AuditRecord(actor=agent.username, action="agent.login", target=agent.username))
    await session.commit()
    return {"username": agent.username, "role": agent.role, "company": agent.company}


@router.get("/labels")
async def labels(agent: AgentDep) -> dict:
    """What the console shows for each code (channels, reasons, ticket kinds and statuses, companies)."""
    return console_labels({c.id: c.name for c in companies().values()})


@router.post("/logout", status_code=204)
async def logout(request: Request, redis: RedisDep, agent: AgentDep) -> Response:
    await redis.delete(keys.agent_session(request.cookies.get("agent_session", "")))
    response = Response(status_code=204)
    response.delete_cookie("agent_session", path="/agent")
    return response


def _visible(handoff: Handoff, company: str | None, agent: AgentIdentity) -> bool:
    if not agent.serves(company):
        return False
    return agent.supervisor or handoff.status == "waiting" or handoff.agent == agent.username


def _summary(handoff: Handoff, company: str | None) -> dict[str, Any]:
    return {"id": handoff.id, "conversation_id": handoff.conversation_id, "channel": handoff.channel,
            "company": company, "company_name": company_name(company),
            "reason": handoff.reason, "priority": handoff.priority, "status": handoff.status, "agent": handoff.agent,
            "waiting_seconds": int((now() - handoff.created_at).total_seconds()),
            "summary": mask_text(handoff.packet.get("summary", ""))}


def company_name(company: str | None) -> str:
    profile = companies().get(company or "")
    return profile.name if profile else "未绑定"


@router.get("/queue")
async def queue(session: SessionDep, agent: AgentDep) -> dict:
    rows = await handoffs.open_queue(session, agent.company)
    return {"handoffs": [_summary(h, company) for h, company in rows if _visible(h, company, agent)]}


async def _handoff(session: SessionDep, handoff_id: str, agent: AgentIdentity) -> tuple[Handoff, str | None]:
    """The handoff and its conversation's company; 404 for one the agent may not see (another company's
    included: its existence is not disclosed)."""
    handoff, company = await handoffs.with_company(session, handoff_id)
    if handoff is None or not _visible(handoff, company, agent):
        raise HTTPException(404, "会话不存在")
    return handoff, company


@router.post("/handoffs/{handoff_id}/claim")
async def claim(handoff_id: HandoffId, session: SessionDep, redis: RedisDep, agent: AgentDep) -> dict:
    _, company = await _handoff(session, handoff_id, agent)
    try:
        handoff = await handoffs.claim(session, redis, handoff_id, agent.username)
    except handoffs.HandoffError as error:
        raise HTTPException(error.status, error.detail) from None
    return _summary(handoff, company)


@router.get("/handoffs/{handoff_id}")
async def details(handoff_id: HandoffId, session: SessionDep, agent: AgentDep) -> dict:
    handoff, company = await _handoff(session, handoff_id, agent)
    messages = await transcript(session, handoff.conversation_id)
    return {**_summary(handoff, company), "packet": mask_value(handoff.packet),
            "transcript": [{**message_dict(m), "text": mask_text(m.text)} for m in messages]}


@router.post("/handoffs/{handoff_id}/messages")
async def reply(handoff_id: HandoffId, body: Reply, session: SessionDep, redis: RedisDep, agent: AgentDep) -> dict:
    handoff, _ = await _handoff(session, handoff_id, agent)
    try:
        return await handoffs.agent_says(session, redis, handoff, agent.username, body.text.strip())
    except handoffs.HandoffError as error:
        raise HTTPException(error.status, error.detail) from None


@router.post("/handoffs/{handoff_id}/close", status_code=204)
async def close(handoff_id: HandoffId, session: SessionDep, redis: RedisDep, agent: AgentDep) -> Response:
    handoff, _ = await _handoff(session, handoff_id, agent)
    if handoff.status == "closed":
        raise HTTPException(409, "会话已结束")
    if handoff.agent != agent.username and not agent.supervisor:
        raise HTTPException(403, "只能结束自己接入的会话")
    await handoffs.close(session, redis, handoff, agent.username)
    return Response(status_code=204)


@router.get("/tickets")
async def search_tickets(session: SessionDep, agent: AgentDep, q: str = "") -> dict:
    found = await search(session, clean(q).strip()[:40], agent.company)
    return {"tickets": [_ticket_view(t) for t in found]}


def _ticket_view(ticket: Ticket, history: bool = False) -> dict[str, Any]:
    return {**as_dict(ticket, history=history, mask=True), "company_name": company_name(ticket.company)}


async def _ticket(session: SessionDep, ticket_no: str, agent: AgentIdentity) -> Ticket:
    found = await find(session, ticket_no)
    if found is None or not agent.serves(found.company):
        raise HTTPException(404, "工单不存在")
    return found


@router.get("/tickets/{ticket_no}")
async def ticket(ticket_no: TicketNo, session: SessionDep, agent: AgentDep) -> dict:
    return _ticket_view(await _ticket(session, ticket_no, agent), history=True)


@router.post("/tickets/{ticket_no}/status")
async def set_status(ticket_no: TicketNo, body: StatusChange, request: Request, session: SessionDep,
                     agent: AgentDep) -> dict:
    found = await _ticket(session, ticket_no, agent)
    try:
        updated = await change_status(session, found, body.status, agent.username, body.note,
                                      body.conditions_met_on)
    except TransitionError as error:
        raise HTTPException(422, str(error)) from None
    wechat_api, openid = request.app.state.wechat_apis.for_conversation(updated.conversation_id)
    if wechat_api is not None and ids.channel_of(updated.conversation_id) == ids.Channel.WECHAT.value:
        delivery = await wechat_api.send_ticket_status(openid, updated.ticket_no, updated.status, body.note)
        session.add(AuditRecord(actor="gateway", action="wechat.template", target=updated.ticket_no,
                                detail={"delivered": delivery.delivered, "errcode": delivery.errcode}))
        await session.commit()
    return _ticket_view(updated, history=True)


@router.get("/events")
async def live(redis: RedisDep, agent: AgentDep) -> StreamingResponse:
    def accept(event: dict) -> bool:
        # Customer messages only reach the agent who owns the conversation (or a supervisor); the queue
        # signal carries no content and goes to everyone.
        if event["event"] == "queue":
            return True
        if not agent.serves(event["data"].get("company")):
            return False
        return agent.supervisor or event["data"].get("owner") == agent.username

    return StreamingResponse(events.stream(redis, keys.AGENTS_CHANNEL, accept), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
