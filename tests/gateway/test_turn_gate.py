"""The one Redis call before a turn (gateway/turn_gate.py), on a real Redis: a second message of the same
conversation waits for the first, the limit counts every message, the pending-address flag is read, and only
the holder's token releases the lock (a lock that expired and was taken by another message stays theirs)."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis
from redis.exceptions import LockError

from gateway import keys, turn_gate


@pytest.fixture
async def redis(redis_url: str):
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def conversation() -> str:
    return f"web:gate-{uuid.uuid4().hex[:10]}"


async def test_messages_of_one_conversation_take_turns(redis) -> None:
    cid, order = conversation(), []

    async def message(name: str, hold: float) -> None:
        async with turn_gate.entered(redis, cid):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    first = asyncio.create_task(message("first", 0.4))
    await asyncio.sleep(0.05)
    await message("second", 0)
    await first
    assert order == ["first in", "first out", "second in", "second out"]
    assert await redis.exists(keys.conversation_lock(cid)) == 0


async def test_other_conversations_do_not_wait(redis) -> None:
    cid = conversation()
    async with turn_gate.entered(redis, cid):
        async with asyncio.timeout(0.5):
            async with turn_gate.entered(redis, conversation()):
                pass


async def test_the_limit_counts_messages_and_refuses_beyond_it(redis) -> None:
    cid = conversation()
    for _ in range(3):
        async with turn_gate.entered(redis, cid, per_minute=3):
            pass
    with pytest.raises(turn_gate.RateLimited):
        async with turn_gate.entered(redis, cid, per_minute=3):
            pytest.fail("a message over the limit must not get a turn")
    assert await redis.exists(keys.conversation_lock(cid)) == 0     # refused before the lock was taken
    async with turn_gate.entered(redis, conversation(), per_minute=3):   # another conversation has its own count
        pass


async def test_the_pending_address_flag_is_read(redis) -> None:
    cid = conversation()
    async with turn_gate.entered(redis, cid) as gate:
        assert gate.pending_address is False
    await redis.set(keys.notice_subscribe_pending(cid), "1", ex=60)
    async with turn_gate.entered(redis, cid) as gate:
        assert gate.pending_address is True


async def test_only_the_holder_releases_the_lock(redis) -> None:
    cid = conversation()
    lock_key = keys.conversation_lock(cid)
    async with turn_gate.entered(redis, cid):
        # the lock expired and another message took it: leaving must not free theirs
        await redis.set(lock_key, "someone-else", px=30_000)
    assert await redis.get(lock_key) == b"someone-else"
    await redis.delete(lock_key)


async def test_a_lock_held_with_redis_py_is_respected(redis) -> None:
    cid = conversation()
    held = redis.lock(keys.conversation_lock(cid), timeout=30)
    assert await held.acquire(blocking=False)
    entered = asyncio.Event()

    async def message() -> None:
        async with turn_gate.entered(redis, cid):
            entered.set()

    task = asyncio.create_task(message())
    await asyncio.sleep(0.3)
    assert not entered.is_set()
    await held.release()
    await asyncio.wait_for(task, 2)
    assert entered.is_set()


async def test_what_a_turn_keeps_under_its_client_id_is_written_as_the_lock_is_released(redis) -> None:
    cid, client_id = conversation(), uuid.uuid4().hex
    dedupe_key = keys.dedupe(cid, client_id)
    async with turn_gate.entered(redis, cid, client_id=client_id) as gate:
        assert (gate.dedupe_key, gate.kept) == (dedupe_key, None)
        gate.keep = b'{"messages": [], "state": "bot"}'
        assert await redis.get(dedupe_key) is None, "kept with the release, in the same call"
    assert await redis.get(dedupe_key) == b'{"messages": [], "state": "bot"}'
    assert 0 < await redis.ttl(dedupe_key) <= keys.DEDUPE_TTL
    assert await redis.exists(keys.conversation_lock(cid)) == 0
    async with turn_gate.entered(redis, cid, client_id=client_id) as gate:     # the retry reads it
        assert gate.kept == b'{"messages": [], "state": "bot"}'
    async with turn_gate.entered(redis, cid) as gate:        # a message without a client id reads nothing
        assert (gate.dedupe_key, gate.kept) == (None, None)
        gate.keep = b"ignored"
    assert await redis.get(dedupe_key) == b'{"messages": [], "state": "bot"}'


async def test_a_retry_waiting_for_its_first_try_reads_what_that_kept(redis) -> None:
    """The retry arrives while the first try is still being answered: it waits for the lock, then reads the
    answer the first try kept, not what was there when it arrived (nothing)."""
    cid, client_id = conversation(), uuid.uuid4().hex
    first_in = asyncio.Event()

    async def first_try() -> None:
        async with turn_gate.entered(redis, cid, client_id=client_id) as gate:
            first_in.set()
            await asyncio.sleep(0.3)
            gate.keep = b"the first try's answer"

    task = asyncio.create_task(first_try())
    await first_in.wait()
    async with turn_gate.entered(redis, cid, client_id=client_id) as retry:
        assert retry.kept == b"the first try's answer"
    await task


async def test_a_script_redis_forgot_is_loaded_again(redis) -> None:
    await redis.script_flush()
    cid = conversation()
    async with turn_gate.entered(redis, cid, per_minute=3) as gate:
        assert gate.pending_address is False
    assert await redis.exists(keys.conversation_lock(cid)) == 0


async def test_a_message_waits_as_long_as_configured_then_is_refused_and_the_lock_outlives_a_slow_turn(
        redis, monkeypatch) -> None:
    """The wait and the lock's lifetime come from the settings (turn_gate.configure at start-up): a message behind a
    turn that runs longer than the wait is refused (503 upstream), and the lock lasts at least the Rasa timeout and
    5 s, so it never expires while a slow turn is still being answered."""
    monkeypatch.setattr(turn_gate, "LOCK_SECONDS", turn_gate.LOCK_SECONDS)
    monkeypatch.setattr(turn_gate, "WAIT_SECONDS", turn_gate.WAIT_SECONDS)
    turn_gate.configure(rasa_timeout_seconds=60, wait_seconds=0.3)
    assert turn_gate.LOCK_SECONDS == 65 and turn_gate.WAIT_SECONDS == 0.3
    cid = conversation()
    async with turn_gate.entered(redis, cid):
        assert 60_000 < await redis.pttl(keys.conversation_lock(cid)) <= 65_000
        with pytest.raises(LockError):
            async with turn_gate.entered(redis, cid):
                pass
    turn_gate.configure(rasa_timeout_seconds=10, wait_seconds=2)
    assert turn_gate.LOCK_SECONDS == 30
