"""A background loop whose round swallows the cancellation meant for its task still ends when the task is
cancelled (gateway/background.py): the application's shutdown cancels and awaits every loop."""
from __future__ import annotations

import asyncio

import pytest

from gateway.background import stop_if_cancelled


class StorageDown(Exception):
    pass


async def swallowing_loop(rounds: list[int]) -> None:
    while True:
        try:
            rounds.append(1)
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                raise StorageDown from None     # what a client may do with a cancellation mid-command
        except StorageDown:
            pass                                 # an outage: logged, the loop goes on
        stop_if_cancelled()
        await asyncio.sleep(0)


async def test_a_loop_that_swallowed_its_cancellation_still_stops() -> None:
    rounds: list[int] = []
    task = asyncio.create_task(swallowing_loop(rounds))
    await asyncio.sleep(0.12)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1)
    if not done:                 # the loop went on: stop the test's own task before failing
        task.uncancel()
        pytest.fail("the loop kept running after its task was cancelled")
    assert task.cancelled() and len(rounds) >= 2


async def test_outside_a_cancelled_task_nothing_happens() -> None:
    stop_if_cancelled()
