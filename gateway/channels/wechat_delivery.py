"""Delivers what agents (and the handoff system) say to WeChat users, through the customer-service API.

Each such message is written to a Redis stream (events.to_customer, keys.WECHAT_OUTBOX) and read by a consumer
group: with several gateway processes every message is sent by exactly one of them, and a message a process took
but never acknowledged (it died mid-send) is claimed by another after 20 seconds, so nothing is lost across a
restart either. The widget reads the same messages over SSE.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from gateway import keys
from gateway.background import stop_if_cancelled
from gateway.channels.wechat_accounts import WeChatApis
from gateway.channels.wechat_render import as_text, chunks

logger = logging.getLogger("gateway.wechat")
GROUP = "delivery"
BLOCK_MS = 3000               # below the Redis client's command timeout: an idle wait is not an error
# A message taken by a process that then died is sent by another after this: longer than any send takes (5 s per
# WeChat call), so a slow send is never doubled; after a crash that one message may arrive after later ones.
RECLAIM_IDLE_MS = 20_000


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def _ensure_group(redis: Redis) -> None:
    try:
        await redis.xgroup_create(keys.WECHAT_OUTBOX, GROUP, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


async def _send(apis: WeChatApis, fields: dict) -> None:
    conversation_id = fields[b"conversation_id"].decode()
    api, openid = apis.for_conversation(conversation_id)
    if api is None:
        logger.warning("no WeChat API for %s: agent message not sent", conversation_id)
        return
    for piece in chunks(as_text([json.loads(fields[b"data"])])):
        result = await api.send_text(openid, piece)
        if not result.delivered:   # 45015: the customer's 48-hour window is closed; recorded, never retried
            logger.warning("message to %s not delivered: %s", openid, result.errcode)


async def deliver_once(redis: Redis, apis: WeChatApis, consumer: str) -> int:
    """One round: messages abandoned by a dead process first, then new ones; each acknowledged once sent."""
    claimed = await redis.xautoclaim(keys.WECHAT_OUTBOX, GROUP, consumer, RECLAIM_IDLE_MS, "0-0", count=20)
    entries = list(claimed[1]) if claimed else []
    if not entries:
        read = await redis.xreadgroup(GROUP, consumer, {keys.WECHAT_OUTBOX: ">"}, count=20, block=BLOCK_MS)
        entries = [entry for _, stream_entries in read for entry in stream_entries]
    for entry_id, fields in entries:
        try:
            await _send(apis, fields)
        finally:
            await redis.xack(keys.WECHAT_OUTBOX, GROUP, entry_id)
    return len(entries)


async def deliver_forever(redis: Redis, apis: WeChatApis) -> None:
    consumer = consumer_name()
    await _ensure_group(redis)
    while True:
        try:
            await deliver_once(redis, apis, consumer)
        except asyncio.CancelledError:
            raise
        except Exception:   # Redis away for a moment: try again, nothing acknowledged is lost
            logger.exception("WeChat delivery round failed")
            stop_if_cancelled()
            await asyncio.sleep(1)
