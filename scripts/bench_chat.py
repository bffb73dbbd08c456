"""The gateway's CPU per request of the widget's chat path (issue 17): POST /api/widget/session, POST
/api/widget/messages (as the load test sends it, and as the widget sends it, with a client message id), GET
/api/widget/messages and opening GET /api/widget/events, in this process, against a fresh SQLite file and a fresh
PostgreSQL database.

Requests go straight into the ASGI application (its middleware included, no HTTP server around it; see
scripts/bench_internal.py), on uvloop's event loop as uvicorn runs the gateway. Rasa is a stand-in HTTP server in another process, answering as Rasa's REST channel
does (a text with buttons and a turn annotation), so its CPU is not counted; the gateway's client to it is.

    PYTHONPATH=. .venv/gateway/bin/python -m scripts.bench_chat [--requests 300] [--rounds 5]

BENCH_CONFIGS=sqlite|postgres (default both); BENCH_POSTGRES_URL and BENCH_REDIS_URL as in bench_internal.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import uvloop
from fastapi import FastAPI

from gateway.config import Settings
from gateway.main import create_app
from scripts.bench_internal import REDIS, TOKEN, asgi_request, database
from scripts.stack import ROOT, free_port

# What a customer of the load test says (scripts/bench_load.py): a fee question, a fault, the repair form.
TEXTS = ["燃气费在哪交", "我家燃气表不走字了", "燃气", "不清楚", "13812345678", "幸福小区8栋1单元1201", "跳过",
         "/affirm", "查一下我的工单"]
MESSAGES_PER_VISIT = 12
REPLY = ("您可以通过以下方式缴纳燃气费：1. 微信或支付宝搜索“昆仑燃气”生活缴费；2. 到营业厅柜台缴费；"
         "3. 银行代扣。如需开具发票，请在缴费后30天内到营业厅办理。")


def stub_rasa(port: int) -> None:
    """Rasa's REST channel, played (run in its own process): every message answered with one text carrying
    buttons, then the turn's annotation as a custom message."""
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        sent = orjson.loads(await request.read())
        sender = sent["sender"]
        body = orjson.dumps([
            {"recipient_id": sender, "text": REPLY,
             "buttons": [{"title": "有用", "payload": "/affirm"}, {"title": "转人工", "payload": "/human"}]},
            {"recipient_id": sender, "custom": {"turn": {"kind": "answer", "entries": ["gas-pay-channels"]}}}])
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextmanager
def rasa_stand_in() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "scripts.bench_chat", "--stub", str(port)], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        import socket
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the Rasa stand-in did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


async def call(app: FastAPI, method: str, path: str, body: Any = None,
               headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request through the ASGI application, as the widget sends it: (status, body)."""
    return await asgi_request(app, method, path, body=body, headers=headers)


async def expect(app: FastAPI, status: int, method: str, path: str, **kwargs: Any) -> bytes:
    got, body = await call(app, method, path, **kwargs)
    if got != status:
        raise RuntimeError(f"{method} {path} answered {got}: {body[:300]!r}")
    return body


async def session(app: FastAPI) -> dict[str, str]:
    token = orjson.loads(await expect(app, 200, "POST", "/api/widget/session"))["token"]
    return {"Authorization": f"Bearer {token}"}


async def events_opened(app: FastAPI, headers: dict[str, str]) -> None:
    """GET /api/widget/events until its first chunk (": connected"), then the client goes away."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/widget/events", "raw_path": b"/api/widget/events", "root_path": "",
             "headers": [(b"host", b"gateway")], "client": ("127.0.0.1", 50000), "server": ("gateway", 80),
             "query_string": b"token=" + headers["Authorization"].removeprefix("Bearer ").encode()}
    connected = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await connected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            connected.set()

    await asyncio.wait_for(app(scope, receive, send), 10)


Measured = Callable[[int], Awaitable[Callable[[], Awaitable[None]]]]   # count -> the timed work


def measured(app: FastAPI) -> dict[str, Measured]:
    async def messages(count: int, with_client_id: bool) -> Callable[[], Awaitable[None]]:
        visits = [await session(app) for _ in range(-(-count // MESSAGES_PER_VISIT))]
        texts = itertools.cycle(TEXTS)
        sends = [(visits[n // MESSAGES_PER_VISIT],
                  {"text": next(texts), **({"client_id": uuid.uuid4().hex} if with_client_id else {})})
                 for n in range(count)]

        async def work() -> None:
            for headers, body in sends:
                await expect(app, 200, "POST", "/api/widget/messages", body=body, headers=headers)
        return work

    async def sessions(count: int) -> Callable[[], Awaitable[None]]:
        async def work() -> None:
            for _ in range(count):
                await expect(app, 200, "POST", "/api/widget/session")
        return work

    async def history(count: int) -> Callable[[], Awaitable[None]]:
        headers = await session(app)
        for text in TEXTS[:3]:
            await expect(app, 200, "POST", "/api/widget/messages", body={"text": text}, headers=headers)

        async def work() -> None:
            for _ in range(count):
                await expect(app, 200, "GET", "/api/widget/messages", headers=headers)
        return work

    async def events(count: int) -> Callable[[], Awaitable[None]]:
        headers = await session(app)

        async def work() -> None:
            for _ in range(count):
                await events_opened(app, headers)
        return work

    return {"POST /api/widget/messages": lambda n: messages(n, False),
            "POST /api/widget/messages (client_id)": lambda n: messages(n, True),
            "POST /api/widget/session": sessions,
            "GET /api/widget/messages (6 messages)": history,
            "GET /api/widget/events (opened)": events}


async def measure(prepare: Measured, requests: int) -> float:
    """CPU milliseconds per request, over `requests` requests one after another."""
    work = await prepare(requests)
    started = time.process_time()
    await work()
    return (time.process_time() - started) * 1000 / requests


async def run(database_url: str, rasa_url: str, requests: int, rounds: int) -> dict[str, list[float]]:
    settings = Settings(database_url=database_url, redis_url=REDIS, gateway_service_token=TOKEN,
                        session_secret="bench-session-secret-0123456789abcdef", rasa_url=rasa_url,
                        widget_sessions_per_minute=1_000_000)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        routes = measured(app)
        for prepare in routes.values():                     # warm-up: caches, pools, compiled statements
            await measure(prepare, 50)
        figures: dict[str, list[float]] = {name: [] for name in routes}
        for _ in range(rounds):
            for name, prepare in routes.items():
                figures[name].append(await measure(prepare, requests))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per route and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the median round is printed")
    parser.add_argument("--stub", type=int, help=argparse.SUPPRESS)     # run as the Rasa stand-in on this port
    options = parser.parse_args()
    if options.stub:
        stub_rasa(options.stub)
        return
    configs = [c.strip() for c in os.environ.get("BENCH_CONFIGS", "sqlite,postgres").split(",") if c.strip()]
    with rasa_stand_in() as rasa_url:
        for config in configs:
            with database(config) as url:
                figures = uvloop.run(run(url, rasa_url, options.requests, options.rounds))
            print(f"{config}: CPU ms per request (median of {options.rounds} rounds of {options.requests}; "
                  "all rounds)", flush=True)
            for name, values in figures.items():
                print(f"  {name:42s} {statistics.median(values):6.2f}   ({' '.join(f'{v:.2f}' for v in values)})",
                      flush=True)


if __name__ == "__main__":
    main()
