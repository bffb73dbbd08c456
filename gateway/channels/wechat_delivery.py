"""Delivers what agents (and the handoff system) say to WeChat users, through the customer-service API.

The widget reads the same events over SSE; this worker listens to the WeChat conversations' channels.
"""
from __future__ import annotations

import asyncio
import json
import logging

from redis.asyncio import Redis

from gateway import keys
from gateway.channels.wechat_accounts import WeChatApis
from gateway.channels.wechat_render import as_text, chunks

logger = logging.getLogger("gateway.wechat")
PATTERN = keys.conversation_channel("wechat:*")
IDLE_WAIT_SECONDS = 3.0   # below the Redis client's command timeout: an idle subscription is not an error


async def deliver_forever(redis: Redis, apis: WeChatApis) -> None:
    pubsub = redis.pubsub()
    await pubsub.psubscribe(PATTERN)
    try:
        while True:
            item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=IDLE_WAIT_SECONDS)
            if item is None or item["type"] != "pmessage":
                continue
            event = json.loads(item["data"])
            if event["event"] != "message" or event["data"].get("role") not in ("agent", "system"):
                continue
            conversation_id = item["channel"].decode().removeprefix(keys.conversation_channel(""))
            api, openid = apis.for_conversation(conversation_id)
            if api is None:
                logger.warning("no WeChat API for %s: agent message not sent", conversation_id)
                continue
            for piece in chunks(as_text([event["data"]])):
                result = await api.send_text(openid, piece)
                if not result.delivered:
                    logger.warning("message to %s not delivered: %s", openid, result.errcode)
    except asyncio.CancelledError:
        raise
    finally:
        await pubsub.punsubscribe(PATTERN)
        await pubsub.aclose()
