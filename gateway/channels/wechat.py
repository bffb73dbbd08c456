"""The WeChat official account endpoints (/wechat for the default account, /wechat/{account} for the others,
gateway/channels/wechat_accounts.py): verification, 明文 and 安全模式 messages.

Every POST is checked before anything reaches the assistant: body size, no DOCTYPE, timestamp within five
minutes, a nonce never seen before, the signature (and in 安全模式 the message signature). WeChat retries a
message when it has no answer within 5 s, so each message is processed once: a Redis SET NX on its MsgId (an
event: sender, time, event and key) claims it atomically, and copies get "success". The answer goes back as
the passive reply when the assistant is fast enough; otherwise "success" at once and the customer-service
message API delivers it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from gateway import feedback, keys
from gateway.channels.step import ChannelContext, channel_context, converse
from gateway.channels.wechat_accounts import WeChatAccount, WeChatApis
from gateway.channels.wechat_render import as_text, chunks
from gateway.chat import BotUnavailable, Inbound

router = APIRouter(tags=["wechat"])
logger = logging.getLogger("gateway.wechat")

MENU = {"PAY": "/ask_payment", "REPAIR": "/report_fault", "TICKET": "/check_ticket", "HUMAN": "/request_human",
        "OUTAGE_ALERT": "停电停气提醒"}   # the reminder subscription (gateway/notices/subscriptions.py)
WELCOME = ("感谢关注！我是燃气、电力和供热的智能客服，可以帮您查缴费方式和收费标准、办理业务、报修报装、"
           "投诉和查询工单进度。闻到燃气味等紧急情况，请先到室外再拨打抢险电话。请问有什么可以帮您？")
UNSUPPORTED = "目前我能看懂文字和语音消息。请用文字或语音告诉我您的问题。"
LATE_FAILURE = "抱歉，系统刚才繁忙，您的上一条消息没能处理，请再发一次。"
DEDUPE_TTL = 24 * 3600
NONCE_TTL = 600


async def _apis(request: Request) -> WeChatApis:
    return request.app.state.wechat_apis


Context = Annotated[ChannelContext, Depends(channel_context)]
Apis = Annotated[WeChatApis, Depends(_apis)]


def _account(request: Request, name: str | None) -> WeChatAccount:
    account = request.app.state.wechat_accounts.get(name)
    if account is None:
        raise HTTPException(404, "WeChat is not configured")
    return account


def _check_freshness(settings, timestamp: str) -> None:
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        raise HTTPException(400, "bad timestamp") from None
    if skew > settings.wechat_timestamp_tolerance_seconds:
        raise HTTPException(403, "stale timestamp")


@router.get("/wechat", include_in_schema=False)
async def verify(request: Request, signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
    return _verify(_account(request, None), signature, timestamp, nonce, echostr)


@router.get("/wechat/{name}", include_in_schema=False)
async def verify_account(name: str, request: Request, signature: str, timestamp: str, nonce: str,
                         echostr: str) -> Response:
    return _verify(_account(request, name), signature, timestamp, nonce, echostr)


def _verify(account: WeChatAccount, signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
    try:
        check_signature(account.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise HTTPException(403, "invalid signature") from None
    return Response(echostr, media_type="text/plain")


async def _read_body(request: Request, limit: int) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, "body too large")
    return body


def _dedupe_key(account: WeChatAccount, message: Any) -> str:
    if getattr(message, "type", "") == "event":
        return keys.wechat_message(account.name, f"event:{message.source}:{message.time}:{message.event}:"
                                                 f"{getattr(message, 'key', '')}")
    return keys.wechat_message(account.name, str(message.id))


def _text_of(message: Any) -> str | None:
    """What the customer said, as text for the assistant; None when there is nothing to answer."""
    if message.type == "text":
        return message.content
    if message.type == "voice":
        return (message.recognition or "").strip() or "[听不清的语音]"
    if message.type == "event" and message.event == "click":
        return MENU.get(message.key)
    return None


@router.post("/wechat", include_in_schema=False)
async def receive(request: Request, ctx: Context, apis: Apis, signature: str, timestamp: str, nonce: str,
                  encrypt_type: str | None = None, msg_signature: str | None = None) -> Response:
    return await _receive(request, ctx, apis, _account(request, None), signature, timestamp, nonce, encrypt_type,
                          msg_signature)


@router.post("/wechat/{name}", include_in_schema=False)
async def receive_account(name: str, request: Request, ctx: Context, apis: Apis, signature: str, timestamp: str,
                          nonce: str, encrypt_type: str | None = None, msg_signature: str | None = None) -> Response:
    return await _receive(request, ctx, apis, _account(request, name), signature, timestamp, nonce, encrypt_type,
                          msg_signature)


async def _receive(request: Request, ctx: ChannelContext, apis: WeChatApis, account: WeChatAccount, signature: str,
                   timestamp: str, nonce: str, encrypt_type: str | None, msg_signature: str | None) -> Response:
    settings, redis = ctx.settings, ctx.redis
    body = await _read_body(request, settings.max_body_bytes)
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise HTTPException(400, "DOCTYPE is not allowed")
    _check_freshness(settings, timestamp)
    try:
        check_signature(account.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise HTTPException(403, "invalid signature") from None
    if not await redis.set(keys.wechat_nonce(account.name, timestamp, nonce), 1, nx=True, ex=NONCE_TTL):
        raise HTTPException(403, "replayed request")
    crypto = None
    if encrypt_type == "aes":
        if not account.aes_key or not msg_signature:
            raise HTTPException(400, "encrypted message without key or msg_signature")
        crypto = WeChatCrypto(account.token, account.aes_key, account.app_id)
        try:
            body = crypto.decrypt_message(body, msg_signature, timestamp, nonce).encode()
        except Exception:
            raise HTTPException(403, "invalid message signature") from None
    if not body.strip():
        raise HTTPException(400, "empty body")
    try:
        message = parse_message(body)
    except Exception:
        raise HTTPException(400, "malformed XML") from None

    dedupe_key = _dedupe_key(account, message)
    if not await redis.set(dedupe_key, "1", nx=True, ex=DEDUPE_TTL):
        return Response("success", media_type="text/plain")   # a retry: the first copy answers
    if message.type == "event" and message.event == "unsubscribe":
        return Response("success", media_type="text/plain")
    if message.type == "event" and message.event == "subscribe":
        return _reply(WELCOME, message, crypto, nonce, timestamp)
    text = _text_of(message)
    if text is None:
        return _reply(UNSUPPORTED, message, crypto, nonce, timestamp)
    if len(text) > settings.max_message_chars:  # capped like the widget and the phone
        return _reply(f"消息太长了，请控制在{settings.max_message_chars}字以内，分几次发给我也可以。", message, crypto,
                      nonce, timestamp)

    conversation_id = account.conversation_id(message.source)
    task = asyncio.create_task(_answer(ctx, account, conversation_id, text, dedupe_key))
    try:
        answer = await asyncio.wait_for(asyncio.shield(task), settings.wechat_reply_budget_seconds)
    except asyncio.TimeoutError:
        task.add_done_callback(lambda done: asyncio.ensure_future(_deliver_late(apis, conversation_id, done)))
        return Response("success", media_type="text/plain")
    except (DBAPIError, RedisError):
        # Storage failed before anything was answered (main.py turns this into a 503). WeChat sends
        # the same message again: let that copy through instead of dropping it as a duplicate. The turn's own
        # key (client_id) keeps the retry from asking the bot twice if the bot had already answered.
        with contextlib.suppress(RedisError):
            await redis.delete(dedupe_key)
        raise
    if not answer:
        return Response("success", media_type="text/plain")
    first, *rest = chunks(answer)
    if rest:
        asyncio.ensure_future(_send_all(apis, conversation_id, rest))
    return _reply(first, message, crypto, nonce, timestamp)


async def _answer(ctx: ChannelContext, account: WeChatAccount, conversation_id: str, text: str, client_id: str) -> str:
    """The reply as WeChat text: buttons become numbered lines, and "1" next time picks the first. "有用" / "没用"
    right after a knowledge answer is the customer's rating of it: stored and thanked, never sent to the assistant."""
    async with ctx.sessionmaker() as session:
        thanks = await feedback.from_words(session, conversation_id, text)
    if thanks is not None:
        return thanks
    try:
        turn = await converse(ctx, Inbound(conversation_id, "wechat", text, client_id, company=account.company),
                              numbered_options=True)
    except BotUnavailable:
        return "抱歉，智能助手暂时无法回复，您的消息已保存，请稍后再试。"
    return as_text(turn.messages)


async def _send_all(apis: WeChatApis, conversation_id: str, pieces: list[str]) -> None:
    api, openid = apis.for_conversation(conversation_id)
    if api is None:
        logger.warning("no WeChat API configured for %s: %d messages not sent", conversation_id, len(pieces))
        return
    for piece in pieces:
        await api.send_text(openid, piece)


async def _deliver_late(apis: WeChatApis, conversation_id: str, task: asyncio.Task) -> None:
    if task.cancelled() or task.exception() is not None:
        # WeChat already had its "success" and will not send the message again: ask the customer to.
        logger.error("late WeChat answer failed: %s", "cancelled" if task.cancelled() else
                     type(task.exception()).__name__)
        with contextlib.suppress(Exception):
            await _send_all(apis, conversation_id, [LATE_FAILURE])
        return
    if task.result():
        await _send_all(apis, conversation_id, chunks(task.result()))


def _reply(text: str, message: Any, crypto: WeChatCrypto | None, nonce: str, timestamp: str) -> Response:
    xml = create_reply(text, message, render=True)
    if crypto is not None:
        xml = crypto.encrypt_message(xml, nonce, timestamp)
    return Response(xml, media_type="application/xml")
