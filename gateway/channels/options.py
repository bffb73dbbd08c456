"""Buttons for channels without buttons: numbered options, remembered so a reply of "1" means the first.

WeChat text and the telephone have no quick replies; the assistant's buttons become "回复 1 …" lines (or
"请说…或按1"), and the payload behind each number is kept in Redis for ten minutes.
"""
from __future__ import annotations

import json
import re

from redis.asyncio import Redis

from gateway import keys

OPTIONS_TTL = 600
_DIGIT = re.compile(r"^\s*([1-9])\s*$")


def options_key(conversation_id: str) -> str:
    return keys.options(conversation_id)


async def remember(redis: Redis, conversation_id: str, buttons: list[dict[str, str]]) -> None:
    if buttons:
        await redis.set(options_key(conversation_id), json.dumps([b["payload"] for b in buttons]), ex=OPTIONS_TTL)


async def resolve(redis: Redis, conversation_id: str, text: str) -> str:
    """The payload of the numbered option the customer chose, or their text unchanged."""
    match = _DIGIT.match(text)
    if not match:
        return text
    stored = await redis.get(options_key(conversation_id))
    payloads = json.loads(stored) if stored else []
    index = int(match.group(1)) - 1
    return payloads[index] if index < len(payloads) else text
