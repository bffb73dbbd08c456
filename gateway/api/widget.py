"""The web chat widget's API: a signed session, messages, history, live events, the rating of a human's service
and the 有用 / 没用 of a knowledge answer."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.responses import ORJSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, StrictBool
from sqlalchemy import select

from gateway import events, feedback, keys
from gateway.api.deps import ConversationDep, RedisDep, SessionDep, SettingsDep, conversation_of
from gateway.channels.step import ChannelContext, channel_context, converse
from gateway.chat import BotUnavailable, Inbound
from gateway.config import Settings
from gateway.conversations import message_dict, transcript
from gateway.db import light_session
from gateway.lean_route import RouteInputs, lean, validated_body
from gateway.models import Conversation, Handoff, Rating
from gateway.strict_json import StrictJSONRoute
from gateway.text import CleanStr, CompanyId
from gateway.turn_gate import RateLimited
from gateway.turn_store import turns_for
from knowledge.companies import companies as company_profiles

router = APIRouter(prefix="/api/widget", tags=["widget"], route_class=StrictJSONRoute)


class MessageIn(BaseModel):
    text: Annotated[CleanStr, Field(min_length=1)]
    client_id: str | None = Field(default=None, max_length=64)


class SessionIn(BaseModel):
    company: CompanyId | None = None


class RatingIn(BaseModel):
    score: int = Field(ge=1, le=5)


class FeedbackIn(BaseModel):
    helpful: StrictBool       # true: 有用, false: 没用


class FeedbackOut(BaseModel):
    message_id: int
    helpful: bool
    thanks: str


MessageId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/companies")
async def companies() -> list[dict]:
    """The companies a widget embed can name (data-company in embed.js)."""
    return [{"id": c.id, "name": c.name, "utilities": list(c.utilities)} for c in company_profiles().values()]


async def _session(request: Request, company: str | None) -> dict:
    """A new conversation; an embed that names its company binds it, so the customer gets that company's
    promises."""
    state = request.app.state
    address = request.client.host if request.client else "unknown"   # X-Forwarded-For only from FORWARDED_ALLOW_IPS
    key = keys.widget_sessions(address, int(time.time() // 60))
    created, _ = await state.redis.pipeline(transaction=False).incr(key).expire(key, 120).execute()
    if created > state.settings.widget_sessions_per_minute:
        raise HTTPException(429, "新建会话太频繁了，请稍后再试", headers={"Retry-After": "60"})
    token, conversation_id = state.widget_tokens.issue()
    async with light_session(state.sessionmaker) as session:
        await turns_for(session).new_conversation(conversation_id, "web", company)
    return {"token": token, "conversation_id": conversation_id}


async def new_session(request: Request, body: SessionIn | None = None) -> dict:
    """A new conversation; an embed that names its company binds it, so the customer gets that company's
    promises."""
    return await _session(request, body.company if body else None)


async def _new_session_lean(request: Request, inputs: RouteInputs) -> Response:
    """`new_session` without FastAPI's per-request dependency solving (gateway/lean_route.py): every customer's
    visit starts here."""
    body = (await inputs.read(request))["body"]
    return ORJSONResponse(await _session(request, body.company if body else None))


router.add_api_route("/session", new_session, methods=["POST"], route_class_override=lean(_new_session_lean))


async def _turn(conversation_id: str, body: MessageIn, settings: Settings, ctx: ChannelContext) -> ORJSONResponse:
    text = body.text.strip()
    if not text:
        raise HTTPException(422, "消息不能为空")
    if len(text) > settings.max_message_chars:
        raise HTTPException(413, f"消息太长了，请控制在{settings.max_message_chars}字以内")
    try:
        turn = await converse(ctx, Inbound(conversation_id, "web", text, body.client_id),
                              per_minute=settings.messages_per_minute)
    except RateLimited:
        raise HTTPException(429, "发送太频繁了，请稍后再试") from None
    except BotUnavailable as error:
        raise HTTPException(503, "抱歉，智能助手暂时无法回复，您的消息已保存，请稍后再试。") from error
    # Every customer message comes back this way: the reply is already plain JSON data, so it is encoded once,
    # by orjson, without FastAPI's walk through it (jsonable_encoder).
    return ORJSONResponse({"messages": turn.messages, "state": turn.state})


async def send(body: MessageIn, conversation_id: ConversationDep, settings: SettingsDep,
               ctx: Annotated[ChannelContext, Depends(channel_context)]) -> ORJSONResponse:
    """A customer message: the assistant's replies, or 401 / 413 / 422 / 429 / 503 with a detail the widget shows."""
    return await _turn(conversation_id, body, settings, ctx)


class _SendRoute(APIRoute):
    """POST /api/widget/messages, every customer message of the widget, served by a handler written out: the same
    token check, strict JSON, validation and errors as FastAPI's (gateway/lean_route.py), without FastAPI's
    per-request dependency solving (about a tenth of the gateway's CPU per message, py-spy). `send` documents
    the route in the OpenAPI schema; both run `_turn`."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            authorization = request.headers.get("authorization")
            conversation_id = await conversation_of(
                request, authorization, None if authorization else request.query_params.get("token"))
            body = await validated_body(request, MessageIn)
            state = request.app.state
            return await _turn(conversation_id, body, state.settings, state.channel)
        return handler


router.add_api_route("/messages", send, methods=["POST"], response_class=ORJSONResponse,
                     route_class_override=_SendRoute)


@router.get("/messages")
async def history(conversation_id: ConversationDep, session: SessionDep) -> dict:
    conversation = await session.get(Conversation, conversation_id)
    messages = await transcript(session, conversation_id) if conversation else []
    return {"messages": [message_dict(m) for m in messages], "state": conversation.state if conversation else "bot"}


@router.get("/events")
async def live(conversation_id: ConversationDep, redis: RedisDep) -> StreamingResponse:
    return StreamingResponse(events.stream(redis, keys.conversation_channel(conversation_id)),
                             media_type="text/event-stream", headers={"Cache-Control": "no-cache",
                                                                      "X-Accel-Buffering": "no"})


@router.post("/rating", status_code=204)
async def rate(body: RatingIn, conversation_id: ConversationDep, session: SessionDep) -> Response:
    row = await session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                      Handoff.status == "closed").order_by(Handoff.closed_at.desc()))
    handoff = row.scalars().first()
    if handoff is None:
        raise HTTPException(409, "没有可以评价的人工服务")
    existing = await session.execute(select(Rating).where(Rating.handoff_id == handoff.id))
    if existing.scalars().first() is None:
        session.add(Rating(conversation_id=conversation_id, handoff_id=handoff.id, score=body.score))
        await session.commit()
    return Response(status_code=204)


@router.post("/messages/{message_id}/feedback", response_model=FeedbackOut,
             responses={404: {"description": "no knowledge answer of this conversation has that id"}})
async def answer_feedback(message_id: MessageId, body: FeedbackIn, conversation_id: ConversationDep,
                          session: SessionDep) -> dict:
    """有用 / 没用 on one knowledge answer of the widget's own conversation (a message carrying `answer`); rating
    it again replaces the earlier rating."""
    try:
        stored = await feedback.rate(session, conversation_id, message_id, body.helpful)
    except feedback.FeedbackError as error:
        raise HTTPException(error.status, error.detail) from None
    return {"message_id": stored.message_id, "helpful": stored.helpful, "thanks": feedback.THANKS}
