"""Voice IVR front end, after AudioCodes VoiceAI Connect's bot API: the telephony platform (with its own
speech recognition and synthesis) calls the gateway once per call and once per turn.

Each turn carries an id and is processed once (a repeated id gets the same reply). The reply says what to
speak (text and SSML), whether the caller may barge in, what input comes next (speech, DTMF), and an action:
continue, transfer (queue, priority and the handoff packet's id, so the agent's screen shows the context) or
hang up. Low-confidence recognition is read back for confirmation; two failed attempts in a row lead to a
human; an emergency is answered with safety instructions and an immediate transfer to the emergency queue.
"""
from __future__ import annotations

import contextlib
import json
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from core import ids
from core.hazards import detect_hazard
from core.masking import mask_text
from gateway import chat, keys
from gateway.bindings import current_bindings
from gateway.channels.step import ChannelContext, buttons_of, channel_context, converse
from gateway.channels.voice_render import REPEAT_KEY, render
from gateway.chat import BotUnavailable, Inbound
from gateway.conversations import get_or_create
from gateway.models import Conversation
from gateway.notices.service import spoken_for_caller
from gateway.security import service_token_valid
from gateway.strict_json import StrictJSONRoute

Context = Annotated[ChannelContext, Depends(channel_context)]
router = APIRouter(prefix="/voice/v1", tags=["voice"], route_class=StrictJSONRoute)
TURN_TTL = 3600
GREETING = ("您好，这里是燃气、电力、供热智能客服。请直接说出您的问题，比如怎么缴费、报修，或者查询工单。"
            "转人工请按0。如果闻到燃气味，请先到室外再打电话。")
REPROMPT = "抱歉，我没有听清。请再说一遍，或者按0转人工。"
NOT_UNDERSTOOD = "还是没能听清，我为您转接人工客服，请稍候。"
YES = {"是", "是的", "对", "对的", "没错", "嗯", "确认", "好的", "1"}
NO = {"不是", "不对", "错了", "不", "2"}
REPEAT_WORDS = {"再听一遍", "再说一遍", "重复一遍", "重复", "没听完"}


class NBest(BaseModel):
    text: str
    confidence: float = Field(ge=0, le=1)


class CallStart(BaseModel):
    call_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    caller: str = Field(max_length=32)
    called: str = Field(max_length=32)


class Turn(BaseModel):
    turn_id: str = Field(min_length=1, max_length=64)
    type: Literal["speech", "dtmf", "no_input", "no_match", "barge_in", "transfer_status", "hangup"]
    text: str | None = Field(default=None, max_length=500)
    confidence: float | None = Field(default=None, ge=0, le=1)
    nbest: list[NBest] = Field(default_factory=list, max_length=10)
    digits: str | None = Field(default=None, pattern=r"^[0-9*#]{1,32}$")
    transfer_status: Literal["completed", "failed"] | None = None


class Say(BaseModel):
    text: str
    ssml: str


class Expect(BaseModel):
    speech: bool = True
    dtmf_max_digits: int = 1
    dtmf_terminator: str = "#"


class Action(BaseModel):
    type: Literal["continue", "transfer", "hangup"] = "continue"
    queue: str | None = None
    priority: str | None = None
    handoff_id: str | None = None


class Reply(BaseModel):
    turn_id: str | None = None
    say: Say
    barge_in: bool = True
    expect: Expect = Field(default_factory=Expect)
    action: Action = Field(default_factory=Action)


async def require_platform(ctx: Annotated[ChannelContext, Depends(channel_context)],
                     authorization: Annotated[str | None, Header()] = None) -> None:
    settings = ctx.settings
    if not settings.voice_token:
        raise HTTPException(404, "voice is not configured")
    if not service_token_valid(authorization.removeprefix("Bearer ").strip() if authorization else None,
                               settings.voice_token):
        raise HTTPException(401, "invalid platform token")


Platform = Annotated[None, Depends(require_platform)]


def _said(text: str, ssml: str | None = None, **fields) -> Reply:
    """A reply; without SSML of its own the text is escaped into it (a caller's words read back may hold <, &)."""
    return Reply(say=Say(text=text, ssml=ssml or f"<speak>{escape(text)}</speak>"), **fields)


def _state_key(call_id: str) -> str:
    return keys.voice_call(call_id)


async def _state(redis: Redis, call_id: str) -> dict:
    raw = await redis.get(_state_key(call_id))
    return json.loads(raw) if raw else {"failures": 0, "pending": None, "digits_for": None}


async def _save(redis: Redis, call_id: str, state: dict) -> None:
    await redis.set(_state_key(call_id), json.dumps(state, ensure_ascii=False), ex=TURN_TTL)


@router.post("/calls", status_code=201)
async def start(body: CallStart, ctx: Context, _: Platform) -> Reply:
    """A new call: the caller's number identifies the customer (their tickets with that contact phone)."""
    async with ctx.sessionmaker() as session:
        conversation = await get_or_create(session, ids.conversation_id(ids.Channel.VOICE, body.call_id), "voice", f"phone:{body.caller}",
                                           company=current_bindings().for_called_number(body.called))
        if body.caller.isdigit():
            conversation.verified_phone = body.caller
        await session.commit()
        # an address on the caller's tickets under an active outage notice: said right after the greeting
        notice = await spoken_for_caller(session, body.caller, conversation.company)
    hello, rest = GREETING.split("。", 1)
    return _said(f"{hello}。{notice}{rest}" if notice else GREETING, expect=Expect(dtmf_max_digits=1))


async def _transfer(ctx: ChannelContext, conversation: Conversation, reason: str, say: str) -> Reply:
    async with ctx.sessionmaker() as session:
        handoff = await chat.request_human(session, ctx.redis, ctx.settings, conversation, reason, f"电话客户，{say}")
    queue = "emergency" if handoff.priority == "emergency" else "general"
    return _said(say, action=Action(type="transfer", queue=queue, priority=handoff.priority, handoff_id=handoff.id),
                 barge_in=False, expect=Expect(speech=False, dtmf_max_digits=0))


async def _to_assistant(ctx: ChannelContext, conversation: Conversation, text: str) -> Reply:
    try:
        turn = await converse(ctx, Inbound(conversation.id, "voice", text), numbered_options=True)
    except BotUnavailable:
        return await _transfer(ctx, conversation, "bot_unavailable", "系统繁忙，我为您转接人工客服。")
    buttons = buttons_of(turn)
    rendered = render(turn.messages)
    spoken, ssml = rendered.text, rendered.ssml
    await _remember_full_answer(ctx.redis, ids.native_id(conversation.id), rendered)
    if turn.state in ("waiting", "agent"):
        async with ctx.sessionmaker() as session:
            handoff = await chat.open_handoff(session, conversation.id)
        if handoff is not None:
            queue = "emergency" if handoff.priority == "emergency" else "general"
            return _said(spoken or "正在为您转接人工客服。", ssml, barge_in=handoff.priority != "emergency",
                         action=Action(type="transfer", queue=queue, priority=handoff.priority, handoff_id=handoff.id),
                         expect=Expect(speech=False, dtmf_max_digits=0))
    digits = 12 if any(w in spoken for w in ("户号", "电话", "手机号")) else max(1, len(buttons))
    return _said(spoken or REPROMPT, ssml, expect=Expect(dtmf_max_digits=digits))


async def _remember_full_answer(redis: Redis, call_id: str, rendered) -> None:
    """A shortened answer is kept for the caller who presses REPEAT_KEY to hear all of it."""
    state = await _state(redis, call_id)
    state["full"] = {"text": rendered.full_text, "ssml": rendered.full_ssml} if rendered.full_text else None
    await _save(redis, call_id, state)


async def _callback_instead(ctx: ChannelContext, conversation: Conversation) -> Reply:
    """The transfer failed: the queue place becomes a callback ticket (HD…), and the caller hears its number."""
    async with ctx.sessionmaker() as session:
        ticket_no = await chat.callback_instead(session, ctx.redis, ctx.settings, conversation,
                                                "电话客户转人工未接通，需要回电")
    spoken = render([{"text": f"抱歉，人工客服暂时无法接通。已为您预约回电，登记号是{ticket_no}。"
                              "客服会尽快给您回电，请保持电话畅通。再见。"}])
    text, ssml = spoken.text, spoken.ssml
    return _said(text, ssml, action=Action(type="hangup"), expect=Expect(speech=False, dtmf_max_digits=0))


@router.post("/calls/{call_id}/turns")
async def turn(call_id: str, body: Turn, ctx: Context, _: Platform) -> Reply:
    redis: Redis = ctx.redis
    cache_key = keys.voice_turn(call_id, body.turn_id)
    if not await redis.set(cache_key, "", nx=True, ex=TURN_TTL):
        cached = await redis.get(cache_key)
        if cached:
            return Reply.model_validate_json(cached)
        raise HTTPException(409, "this turn is still being processed")
    try:
        async with ctx.sessionmaker() as session:
            conversation = await session.get(Conversation, ids.conversation_id(ids.Channel.VOICE, call_id))
        if conversation is None:
            await redis.delete(cache_key)
            raise HTTPException(404, "unknown call")
        reply = await _respond(ctx, conversation, body)
    except (DBAPIError, RedisError):
        # Storage failed and the turn got no answer (503): the platform's retry of this turn id must be
        # processed, not refused as "still being processed".
        with contextlib.suppress(RedisError):
            await redis.delete(cache_key)
        raise
    reply.turn_id = body.turn_id
    await redis.set(cache_key, reply.model_dump_json(), ex=TURN_TTL)
    return reply


async def _respond(ctx: ChannelContext, conversation: Conversation, body: Turn) -> Reply:
    redis = ctx.redis
    call_id = ids.native_id(conversation.id)
    state = await _state(redis, call_id)

    if body.type == "hangup":
        async with ctx.sessionmaker() as session:
            await chat.customer_left(session, redis, conversation.id, "来电已挂断。")
        return _said("", action=Action(type="hangup"), expect=Expect(speech=False, dtmf_max_digits=0))
    if body.type == "transfer_status":
        if body.transfer_status == "failed":
            return await _callback_instead(ctx, conversation)
        return _said("", action=Action(type="hangup"), expect=Expect(speech=False, dtmf_max_digits=0))
    if body.type == "barge_in":
        return _said("请讲。")
    if body.type in ("no_input", "no_match"):
        state["failures"] += 1
        await _save(redis, call_id, state)
        if state["failures"] >= 2:
            return await _transfer(ctx, conversation, f"voice_{body.type}", NOT_UNDERSTOOD)
        return _said(REPROMPT)

    if body.type == "dtmf":
        if not body.digits:
            return await _respond(ctx, conversation, body.model_copy(update={"type": "no_match"}))
        if body.digits == "0":
            return await _to_assistant(ctx, conversation, "/request_human")
        if body.digits.rstrip("#") == REPEAT_KEY and state.get("full"):
            return _said(state["full"]["text"], state["full"]["ssml"], expect=Expect(dtmf_max_digits=1))
        text = body.digits.rstrip("#")
    else:
        text = (body.text or "").strip()
        if not text:
            return await _respond(ctx, conversation, body.model_copy(update={"type": "no_match"}))
    state["failures"] = 0
    if text in REPEAT_WORDS and state.get("full"):
        return _said(state["full"]["text"], state["full"]["ssml"], expect=Expect(dtmf_max_digits=1))

    if state.get("pending"):
        pending, state["pending"] = state["pending"], None
        await _save(redis, call_id, state)
        if text in YES:
            return await _to_assistant(ctx, conversation, pending)
        if text in NO:
            return _said("好的，请再说一遍您的问题。")
    confidence = body.confidence if body.confidence is not None else 1.0
    if body.type == "speech" and confidence < ctx.settings.voice_low_confidence \
            and detect_hazard(text) is None and text not in YES | NO:
        state["pending"] = text
        await _save(redis, call_id, state)
        return _said(f"您是说：“{mask_text(text)}”吗？是请按1，不是请按2。")
    await _save(redis, call_id, state)
    return await _to_assistant(ctx, conversation, text)
