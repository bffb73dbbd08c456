"""Live fan-out through Redis pub/sub: to a customer's browser, and to the agents' consoles."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from core import ids
from gateway import keys

HEARTBEAT_SECONDS = 15


async def publish(redis: Redis, channel: str, event: str, data: dict[str, Any]) -> None:
    await redis.publish(channel, json.dumps({"event": event, "data": data}, ensure_ascii=False))


async def to_customer(redis: Redis, conversation_id: str, event: str, data: dict[str, Any]) -> None:
    await publish(redis, keys.conversation_channel(conversation_id), event, data)
    if event == "message" and data.get("role") in ("agent", "system") and \
            ids.channel_of(conversation_id) == ids.Channel.WECHAT.value:
        # WeChat has no open connection to push to: the message waits in the outbox for one gateway to send it
        await redis.xadd(keys.WECHAT_OUTBOX, {"conversation_id": conversation_id,
                                              "data": json.dumps(data, ensure_ascii=False)},
                         maxlen=keys.WECHAT_OUTBOX_MAXLEN, approximate=True)


async def to_agents(redis: Redis, event: str, data: dict[str, Any]) -> None:
    await publish(redis, keys.AGENTS_CHANNEL, event, data)


async def stream(redis: Redis, channel: str, accept=lambda event: True) -> AsyncIterator[str]:
    """Server-Sent Events from a channel, with a heartbeat comment so proxies keep the connection open."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        yield ": connected\n\n"
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=HEARTBEAT_SECONDS)
            if message is None:
                yield ": heartbeat\n\n"
                continue
            event = json.loads(message["data"])
            if accept(event):
                yield f"event: {event['event']}\ndata: {json.dumps(event['data'], ensure_ascii=False)}\n\n"
    except asyncio.CancelledError:
        raise
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
