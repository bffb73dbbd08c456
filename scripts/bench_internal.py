"""The gateway's CPU per request of the action server's calls to its internal API (issue 17): POST /internal/tickets,
GET /internal/conversations/{id}/tickets and GET /internal/notices (a place said, and the customer's known
addresses), in this process, against a fresh SQLite file and a fresh PostgreSQL database.

Requests go straight into the ASGI application (its middleware included, no HTTP client or server around it), so
the CPU time measured (time.process_time: every thread of this process, the database drivers and SQLite's engine
included; PostgreSQL's server not) is the gateway's own work per request.

    PYTHONPATH=. .venv/gateway/bin/python -m scripts.bench_internal [--requests 300] [--rounds 3]

BENCH_CONFIGS=sqlite|postgres (default both); BENCH_POSTGRES_URL (else TEST_POSTGRES_URL, else
postgresql://postgres@127.0.0.1:5432/test: a database created beside it, dropped afterwards); BENCH_REDIS_URL
(default redis://127.0.0.1:6379/6: the app's background jobs take their leases there).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import orjson
import psycopg
from fastapi import FastAPI

from gateway.clock import now
from gateway.config import Settings
from gateway.main import create_app
from gateway.migrate import upgrade

TOKEN = "bench-service-token-0123456789abcdef"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
ESTATE = "幸福小区"


async def call(app: FastAPI, method: str, path: str, query: dict[str, Any] | None = None,
               body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request of the action server's through the ASGI application, with the service token: (status, body)."""
    return await asgi_request(app, method, path, query, body, {"Authorization": f"Bearer {TOKEN}", **(headers or {})})


async def asgi_request(app: FastAPI, method: str, path: str, query: dict[str, Any] | None = None,
                       body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request straight into the ASGI application (its middleware included, no HTTP around it):
    (status, body)."""
    raw = orjson.dumps(body) if body is not None else b""
    header_list = [(b"host", b"gateway"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]
    if body is not None:
        header_list += [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": unquote(path), "raw_path": path.encode(), "root_path": "", "headers": header_list,
             "query_string": urlencode(query or {}).encode(), "client": ("127.0.0.1", 50000),
             "server": ("gateway", 80)}
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def repair(conversation_id: str) -> dict[str, Any]:
    return {"type": "repair", "utility": "gas", "conversation_id": conversation_id, "channel": "web",
            "contact_phone": "13812345678", "address": f"{ESTATE}8栋1单元1201", "description": "燃气表不走字了",
            "priority": "normal", "company": "kunlun"}


async def expect(app: FastAPI, status: int, *args: Any, **kwargs: Any) -> bytes:
    got, body = await call(app, *args, **kwargs)
    if got != status:
        raise RuntimeError(f"{args[:2]} answered {got}: {body[:300]!r}")
    return body


async def arrange(app: FastAPI) -> str:
    """Published notices (one for the bench's 小区, others elsewhere) and a conversation with two tickets."""
    for index, area in enumerate([ESTATE, "花家地小区", "望京街道", "王各庄村", "锦绣花园1-5号楼"]):
        starts = (now() + timedelta(hours=index * 5 - 2)).replace(second=0, microsecond=0)
        await expect(app, 201, "POST", "/agent/api/notices", body={
            "utility": "gas", "company": "kunlun", "kind": "planned", "areas": [area],
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=10)).isoformat(),
            "reason": "燃气管道改造"})
    conversation = f"web:{uuid.uuid4().hex}"
    for _ in range(2):
        await expect(app, 201, "POST", "/internal/tickets", body=repair(conversation),
                     headers={"Idempotency-Key": uuid.uuid4().hex})
    return conversation


Call = tuple[int, tuple[str, str], dict[str, Any]]     # expected status, (method, path), call()'s keywords


async def new_conversations(app: FastAPI, count: int) -> list[str]:
    """Widget sessions (unbound conversations, as a customer's visit starts), made before the timing starts."""
    return [orjson.loads(await expect(app, 200, "POST", "/api/widget/session"))["conversation_id"]
            for _ in range(count)]


def routes(app: FastAPI, conversation: str) -> dict[str, Callable[[int], Awaitable[list[Call]]]]:
    """Each measured call: count -> that many requests (made ready before the timing starts)."""
    notices = {"utility": "gas", "conversation_id": conversation, "company": "kunlun", "within_hours": 168,
               "known": "true"}

    async def tickets(count: int) -> list[Call]:
        return [(201, ("POST", "/internal/tickets"), {"body": repair(c), "headers": {"Idempotency-Key": uuid.uuid4().hex}})
                for c in await new_conversations(app, count)]

    def repeated(call: Call) -> Callable[[int], Awaitable[list[Call]]]:
        async def calls(count: int) -> list[Call]:
            return [call] * count
        return calls

    path = f"/internal/conversations/{quote(conversation, safe='')}/tickets"
    return {
        "POST /internal/tickets": tickets,
        "GET /internal/conversations/{id}/tickets": repeated((200, ("GET", path), {})),
        "GET /internal/notices (a place said)": repeated((200, ("GET", "/internal/notices"), {
            "query": {**notices, "place": f"我们{ESTATE}8栋怎么停气了"}})),
        "GET /internal/notices (known addresses)": repeated((200, ("GET", "/internal/notices"), {
            "query": {**notices, "place": "我家燃气表不走字了"}})),
    }


async def measure(app: FastAPI, prepare: Callable[[int], Awaitable[list[Call]]], requests: int) -> float:
    """CPU milliseconds per request, over `requests` requests one after another."""
    prepared = await prepare(requests)
    started = time.process_time()
    for status, args, kwargs in prepared:
        await expect(app, status, *args, **kwargs)
    return (time.process_time() - started) * 1000 / requests


async def run(database_url: str, requests: int, rounds: int) -> dict[str, list[float]]:
    settings = Settings(database_url=database_url, redis_url=REDIS, gateway_service_token=TOKEN,
                        session_secret="bench-session-secret-0123456789abcdef", rasa_url="http://127.0.0.1:9",
                        widget_sessions_per_minute=1_000_000)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        conversation = await arrange(app)
        measured = routes(app, conversation)
        for make in measured.values():                      # warm-up: caches, pools, compiled statements
            await measure(app, make, 50)
        figures: dict[str, list[float]] = {name: [] for name in measured}
        for _ in range(rounds):
            for name, make in measured.items():
                figures[name].append(await measure(app, make, requests))
    return figures


@contextmanager
def database(config: str) -> Iterator[str]:
    if config == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            yield url
        return
    name = f"bench_internal_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per route and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median round is printed")
    options = parser.parse_args()
    configs = [c.strip() for c in os.environ.get("BENCH_CONFIGS", "sqlite,postgres").split(",") if c.strip()]
    for config in configs:
        with database(config) as url:
            figures = asyncio.run(run(url, options.requests, options.rounds))
        print(f"{config}: CPU ms per request (median of {options.rounds} rounds of {options.requests}; all rounds)")
        for name, values in figures.items():
            print(f"  {name:42s} {statistics.median(values):6.2f}   ({' '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
