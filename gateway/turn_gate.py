"""What a customer message asks of Redis before its turn, in one round trip: the per-minute count of the
conversation's messages (the widget's limit), whether the customer is giving the address for 停电停气提醒, and the
conversation's lock (replies in order, across gateway processes). The lock is released by one more call after
the turn: two round trips per message instead of four.

The lock is the same key and the same token protocol as redis-py's `Lock`, so a message that finds it taken waits
for it there (polling, up to LOCK_SECONDS), and anything else holding it with redis-py (tests, other tools) is
respected. The token is random bytes: redis-py's own default (uuid1) asks the uuidd daemon through a socket on
every message.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import LockError

from gateway import keys

LOCK_SECONDS = 30

# KEYS: rate counter, pending-address flag, lock. ARGV: limit (0: none), counter lifetime, token, lock ms.
_ENTER = """
local count = 0
if ARGV[1] ~= '0' then
  count = redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  if count > tonumber(ARGV[1]) then return {count, 0, 0} end
end
local pending = redis.call('EXISTS', KEYS[2])
local locked = 0
if redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', ARGV[4]) then locked = 1 end
return {count, pending, locked}
"""
# The same as redis-py's Lock.release: only the holder's token deletes the key.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RateLimited(Exception):
    """The conversation sent more messages this minute than the channel allows."""


@dataclass(frozen=True)
class Gate:
    pending_address: bool     # the previous message asked for 停电停气提醒: this one is the address


@asynccontextmanager
async def entered(redis: Redis, conversation_id: str, per_minute: int | None = None) -> AsyncIterator[Gate]:
    """Counts the message (RateLimited beyond per_minute), reads the pending flag and holds the conversation's
    lock until the block ends."""
    lock_key = keys.conversation_lock(conversation_id)
    rate_key = keys.rate(conversation_id, int(time.time() // keys.RATE_WINDOW_SECONDS))
    token = secrets.token_hex(16)
    count, pending, locked = await redis.eval(
        _ENTER, 3, rate_key, keys.notice_subscribe_pending(conversation_id), lock_key,
        per_minute or 0, keys.RATE_WINDOW_SECONDS * 2, token, LOCK_SECONDS * 1000)
    if per_minute and count > per_minute:
        raise RateLimited(conversation_id)
    if not locked:     # another message of this conversation is being answered: wait for it
        waiting = redis.lock(lock_key, timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
        if not await waiting.acquire(token=token):
            raise LockError(f"conversation {conversation_id} stayed locked for {LOCK_SECONDS} s")
    try:
        yield Gate(pending_address=bool(pending))
    finally:
        await redis.eval(_RELEASE, 1, lock_key, token)
