"""Prometheus metrics of the action server (ACTION_METRICS_PORT, default 5056; 0 turns them off): runs, duration
and failures per action, and the knowledge search's own time. Served by prometheus_client's small HTTP server in
this process (rasa-sdk's Sanic app has no route for it)."""
from __future__ import annotations

import functools
import logging
import os
import time

from prometheus_client import Counter, Histogram, start_http_server
from rasa_sdk.executor import ActionExecutor

logger = logging.getLogger(__name__)
RUNS = Counter("actions_runs_total", "Action runs", ["action"])
FAILURES = Counter("actions_failures_total", "Action runs that raised", ["action"])
DURATION = Histogram("actions_run_seconds", "Action run duration", ["action"],
                     buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def _timed(run):
    @functools.wraps(run)
    async def timed(self, action_call):
        name = str(action_call.get("next_action") or "unknown")
        started = time.perf_counter()
        RUNS.labels(name).inc()
        try:
            return await run(self, action_call)
        except Exception:
            FAILURES.labels(name).inc()
            raise
        finally:
            DURATION.labels(name).observe(time.perf_counter() - started)
    return timed


def install() -> int | None:
    """Times every action run and serves /metrics; returns the port, or None when turned off."""
    port = int(os.environ.get("ACTION_METRICS_PORT", "5056"))
    if not port or getattr(ActionExecutor.run, "__wrapped__", None):
        return None
    ActionExecutor.run = _timed(ActionExecutor.run)
    try:
        start_http_server(port, addr=os.environ.get("ACTION_METRICS_HOST", "127.0.0.1"))
    except OSError as error:   # a second action server on this machine: its metrics stay off, its actions run
        logger.warning("action metrics not served on port %s: %s", port, error)
        return None
    return port
