"""What a customer message asks of Redis before its turn, in one round trip: the per-minute count of the
conversation's messages (the widget's limit), whether the customer is giving the address for 停电停气提醒, the
conversation's lock (replies in order, across gateway processes) and, for a message with a client message id, the
answer a turn kept under that id (a retry is answered with it, chat.py). The lock is released by one more call
after the turn, which also keeps the turn's answer under the id: two round trips per message instead of four, three
with a client message id instead of five (the bot's replies are still kept on their own before they are stored,
chat.py). The scripts run by their SHA1 (EVALSHA), loaded again by EVAL when Redis has forgotten them.

The lock is the same key and the same token protocol as redis-py's `Lock`, so a message that finds it taken waits
for it there (polling, up to WAIT_SECONDS), and anything else holding it with redis-py (tests, other tools) is
respected. The token is random bytes: redis-py's own default (uuid1) asks the uuidd daemon through a socket on
every message.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError, NoScriptError

from gateway import keys

LOCK_SECONDS = 30.0   # the longest a turn holds the lock (a crashed holder's lock expires); above the Rasa timeout
WAIT_SECONDS = 30.0   # the longest a message waits for its conversation's previous one, then 503 with Retry-After


def configure(rasa_timeout_seconds: float, wait_seconds: float) -> None:
    """At start-up, from the settings: the lock outlives the slowest turn (the Rasa timeout and 5 s), so a message
    waiting behind a slow turn never enters while it is still being answered; the wait is the operator's."""
    global LOCK_SECONDS, WAIT_SECONDS
    LOCK_SECONDS = max(30.0, rasa_timeout_seconds + 5.0)
    WAIT_SECONDS = wait_seconds


class _Script:
    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    async def __call__(self, redis: Redis, keys_: list[str], *args: Any) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys_), *keys_, *args)
        except NoScriptError:       # Redis restarted or flushed its scripts: EVAL loads it again
            return await redis.eval(self.text, len(keys_), *keys_, *args)


# KEYS: rate counter, pending-address flag, lock, the kept answer (only for a message with a client message id).
# ARGV: limit (0: none), counter lifetime, token, lock ms. The kept answer is read only when the lock was taken.
_ENTER = _Script("""
local count = 0
if ARGV[1] ~= '0' then
  count = redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  if count > tonumber(ARGV[1]) then return {count, 0, 0, false} end
end
local pending = redis.call('EXISTS', KEYS[2])
local locked = 0
local kept = false
if redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', ARGV[4]) then
  locked = 1
  if KEYS[4] then kept = redis.call('GET', KEYS[4]) end
end
return {count, pending, locked, kept}
""")
# KEYS: lock, the kept answer's key (optional). ARGV: token, the answer, its lifetime. The answer is kept, then the
# lock released as redis-py's Lock.release does: only the holder's token deletes the key.
_RELEASE = _Script("""
if KEYS[2] then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
""")


class RateLimited(Exception):
    """The conversation sent more messages this minute than the channel allows."""


@dataclass
class Gate:
    pending_address: bool         # the previous message asked for 停电停气提醒: this one is the address
    dedupe_key: str | None = None   # the message's client message id's key (keys.dedupe), when it has one
    kept: bytes | None = None     # what a turn kept under that key, read under the lock: this message is a retry
    keep: bytes | None = None     # set by the turn: kept under that key (keys.DEDUPE_TTL) as the lock is released


@asynccontextmanager
async def entered(redis: Redis, conversation_id: str, per_minute: int | None = None,
                  client_id: str | None = None) -> AsyncIterator[Gate]:
    """Counts the message (RateLimited beyond per_minute), reads the pending flag and what was kept under the
    client message id, and holds the conversation's lock until the block ends."""
    lock_key = keys.conversation_lock(conversation_id)
    rate_key = keys.rate(conversation_id, int(time.time() // keys.RATE_WINDOW_SECONDS))
    dedupe_key = keys.dedupe(conversation_id, client_id) if client_id else None
    token = secrets.token_hex(16)
    count, pending, locked, kept = await _ENTER(
        redis, [rate_key, keys.notice_subscribe_pending(conversation_id), lock_key, *([dedupe_key] if dedupe_key else [])],
        per_minute or 0, keys.RATE_WINDOW_SECONDS * 2, token, int(LOCK_SECONDS * 1000))
    if per_minute and count > per_minute:
        raise RateLimited(conversation_id)
    if not locked:     # another message of this conversation is being answered: wait for it
        waiting = redis.lock(lock_key, timeout=LOCK_SECONDS, blocking_timeout=WAIT_SECONDS)
        if not await waiting.acquire(token=token):
            raise LockError(f"conversation {conversation_id} stayed locked for {WAIT_SECONDS} s")
        if dedupe_key:     # the message waited for may have been this one's first try
            kept = await redis.get(dedupe_key)
    gate = Gate(bool(pending), dedupe_key, kept)
    try:
        yield gate
    finally:
        if dedupe_key and gate.keep is not None:
            await _RELEASE(redis, [lock_key, dedupe_key], token, gate.keep, keys.DEDUPE_TTL)
        else:
            await _RELEASE(redis, [lock_key], token)
