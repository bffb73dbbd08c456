"""The gateway's background loops (callback offers, the retention purge, notice pushes, WeChat delivery) end when
their task is cancelled, even when a round swallowed the cancellation.

A round catches its storage's errors so that an outage costs one log line, not the loop. A cancellation that
arrives inside a database driver or Redis client can come out of it as such an error (or be absorbed while the
client cleans up), and the loop would go on: the application's shutdown, which cancels and awaits each loop,
then waited for ever (seen in the tests, under load). The task still knows it was asked to stop
(`Task.cancelling()`), so each loop asks it after every round.
"""
from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raises CancelledError when the running task has a cancellation pending."""
    task = asyncio.current_task()
    # Task.cancelling is Python 3.11's (the gateway's); the type check runs with the bot's 3.10
    if task is not None and getattr(task, "cancelling", lambda: 0)():
        raise asyncio.CancelledError
