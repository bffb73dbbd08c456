"""Failure drills for what sits behind the gateway, on one stack:

1. Redis restarted in the middle of conversations: once with its data (append-only file, as docker-compose
   runs it), once coming back empty (a failover to a replica that had nothing).
2. The action server down at the moment customers confirm their tickets, back 20 s later.
3. PostgreSQL unreachable for a minute (connections cut and refused by a proxy in front of it).

Customers are simulated through the widget API and behave as the widget and a patient customer do: a 503 is
retried with the same client message id every few seconds; "没能登记" is answered with "确认" a little later;
a conversation the assistant says it lost is started again. Each drill prints what it did and what it counted
(messages, refusals, silent answers, replies that fit no step of the form, tickets expected, found, duplicated)
and writes its section of docs/benchmarks.md. `make drills` runs it."""
from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx
import psycopg

from scripts.bench_load import BOT_PYTHON, model_path, write_section
from scripts.stack import HOST, ROOT, RUN_DIR, Stack, free_port, redis_server_binary, wait_until_up
from scripts.tcp_proxy import TcpProxy

CUSTOMERS = int(os.environ.get("DRILL_CUSTOMERS", "20"))
DB_OUTAGE_SECONDS = float(os.environ.get("DRILL_DB_OUTAGE_SECONDS", "60"))
ONLY = os.environ.get("DRILL_ONLY", "")   # redis | actions | database: one drill (while working on it)
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SERVICE_TOKEN = "drill-service-token-0123456789abcdef"
THINK = (0.3, 1.0)
RETRY_SECONDS = 2.0
START = "我家暖气一点都不热"


REDIS_NOTE = (
    "While Redis is down the gateway answers 503 before anything reaches Rasa (its conversation lock lives in "
    "Redis). A \"conversation lost\" notice after a restart that kept the data comes from a turn in flight at the "
    "moment of the stop: Rasa had sent its replies but could not save the conversation (its REST channel answers "
    "anyway), so the customer's next message found none, and the customer was told so and started again. "
    "Coming back empty, every conversation in progress is told once, and every customer still ends with "
    "exactly one ticket carrying their own address and phone.")


@dataclass
class Tally:
    sent: int = 0             # requests carrying a customer message, retries included
    replies: int = 0          # bot messages received
    refused: int = 0          # 503 with a "please try again" message, retried with the same client id
    other_errors: int = 0     # anything else that was not a 200
    silent: int = 0           # 200 with no message at all: a customer left without an answer
    unexpected: int = 0       # a reply that fits no step of the form: the assistant silently started over
    lost_notices: int = 0     # "系统刚才中断了一下": the assistant said it lost the conversation
    retry_offers: int = 0     # "没能登记 ... 重新提交": the ticket could not be registered yet
    gave_up: int = 0          # customers still without a ticket at the deadline
    unexpected_texts: list[str] = field(default_factory=list)
    announced: dict[str, set[str]] = field(default_factory=dict)   # conversation -> ticket numbers told


def phone_of(index: int) -> str:
    return f"139{index:08d}"


def address_of(index: int) -> str:
    return f"幸福小区{index + 1}栋1单元1201"


class GaveUp(Exception):
    pass


class Customer:
    """One widget customer filling a repair form to the end, patiently."""

    def __init__(self, http: httpx.AsyncClient, tally: Tally, index: int, deadline: float) -> None:
        self.http, self.tally, self.index, self.deadline = http, tally, index, deadline
        self.headers: dict[str, str] = {}
        self.conversation = ""

    async def _post(self, path: str, **kwargs) -> httpx.Response:
        """The 200 answer, after as many retries as it takes (until the deadline)."""
        while True:
            if path == "/api/widget/messages":
                self.tally.sent += 1
            try:
                response = await self.http.post(path, headers=self.headers, **kwargs)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 200:
                return response
            if response is not None and response.status_code == 503 and response.json().get("detail"):
                self.tally.refused += 1
            else:
                self.tally.other_errors += 1
            if time.monotonic() > self.deadline:
                raise GaveUp
            await asyncio.sleep(RETRY_SECONDS)

    async def say(self, text: str) -> str:
        await asyncio.sleep(random.uniform(*THINK))
        response = await self._post("/api/widget/messages", json={"text": text, "client_id": uuid.uuid4().hex})
        messages = response.json()["messages"]
        self.tally.replies += len(messages)
        self.tally.silent += not messages
        return "\n".join(m["text"] for m in messages)

    async def visit(self, before_confirming: asyncio.Event | None = None,
                    at_readback: Callable[[], None] | None = None) -> None:
        session = (await self._post("/api/widget/session")).json()
        self.headers = {"Authorization": f"Bearer {session['token']}"}
        self.conversation = session["conversation_id"]
        text = START
        for _ in range(60):
            reply = await self.say(text)
            if "工单号是" in reply:
                number = reply.split("工单号是", 1)[1].split()[0].split("（")[0]
                self.tally.announced.setdefault(self.conversation, set()).add(number)
                return
            if "中断了一下" in reply:
                self.tally.lost_notices += 1
                text = START
            elif "没能登记" in reply:
                self.tally.retry_offers += 1
                await asyncio.sleep(RETRY_SECONDS)
                text = "确认"
            elif "信息对吗" in reply:
                if at_readback is not None:
                    at_readback()
                    at_readback = None
                if before_confirming is not None:
                    await before_confirming.wait()
                text = "对的"
            elif "户号" in reply:
                text = "没有"
            elif "电话" in reply:
                text = phone_of(self.index)
            elif "地址" in reply:
                text = address_of(self.index)
            elif "燃气、电力还是供热" in reply:
                text = "供热"
            else:
                self.tally.unexpected += 1
                self.tally.unexpected_texts.append(f"{text} -> {reply}"[:200])
                text = START
        raise GaveUp


async def run_customers(base_url: str, deadline_seconds: float, outage: Callable[..., None], outage_after: float,
                        hold_confirmations: bool = False) -> tuple[Tally, list[str]]:
    """CUSTOMERS customers at once; `outage` runs in a thread after `outage_after` seconds, or, with
    hold_confirmations, once every customer has reached the readback (they confirm when it has begun)."""
    tally = Tally()
    deadline = time.monotonic() + deadline_seconds
    confirm = asyncio.Event() if hold_confirmations else None
    at_readback = asyncio.Event()
    waiting = [CUSTOMERS]

    def reached_readback() -> None:
        waiting[0] -= 1
        if waiting[0] == 0:
            at_readback.set()

    async def inject() -> None:
        if hold_confirmations:
            await asyncio.wait_for(at_readback.wait(), deadline_seconds)
            outage_started = threading.Event()
            task = asyncio.create_task(asyncio.to_thread(outage, outage_started))
            await asyncio.to_thread(outage_started.wait, 30)
            assert confirm is not None
            confirm.set()
            await task
        else:
            await asyncio.sleep(outage_after)
            await asyncio.to_thread(outage)

    async with httpx.AsyncClient(base_url=base_url, timeout=60,
                                 limits=httpx.Limits(max_connections=CUSTOMERS + 10)) as http:
        customers = [Customer(http, tally, i, deadline) for i in range(CUSTOMERS)]
        visits = [c.visit(confirm, reached_readback if hold_confirmations else None) for c in customers]
        results = await asyncio.gather(inject(), *visits, return_exceptions=True)
    for result in results:
        if isinstance(result, GaveUp):
            tally.gave_up += 1
        elif isinstance(result, BaseException):
            raise result
    return tally, [c.conversation for c in customers]


def tickets_by_conversation(database_url: str, conversations: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    """conversation -> [(ticket number, address, contact phone)]"""
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT conversation_id, ticket_no, address, contact_phone FROM tickets "
                                  "WHERE conversation_id = ANY(%s)", (conversations,)).fetchall()
    found: dict[str, list[tuple[str, str, str]]] = {}
    for conversation, *ticket in rows:
        found.setdefault(conversation, []).append(tuple(ticket))
    return found


def report(what: str, tally: Tally, conversations: list[str], database_url: str) -> str:
    found = tickets_by_conversation(database_url, conversations)
    numbers = {t[0] for ts in found.values() for t in ts}
    duplicates = sum(len(ts) - 1 for ts in found.values())
    missing = sum(n not in numbers for ns in tally.announced.values() for n in ns)
    # What the customer said is what the ticket says: no answer landed in the wrong field after an outage.
    wrong = sum(t[1:] != (address_of(i), phone_of(i)) for i, c in enumerate(conversations) for t in found.get(c, []))
    return (f"{what}: {CUSTOMERS} customers filling repair forms sent {tally.sent} messages "
            f"({tally.refused} refused with a clear 503 and retried, {tally.other_errors} other errors), got "
            f"{tally.replies} replies, {tally.silent} silent answers, {tally.unexpected} replies that fit no step "
            f"of the form, {tally.lost_notices} \"conversation lost\" notices, {tally.retry_offers} \"not registered "
            f"yet, 重新提交\" offers; tickets: {CUSTOMERS} expected, {len(found)} found, {duplicates} duplicates, "
            f"{missing} announced but not in the database, {wrong} with an address or phone other than the "
            f"customer's, {tally.gave_up} customers gave up"
            + "".join(f"\n  unexpected: {t}" for t in tally.unexpected_texts[:5]))


class DrillRedis:
    """A redis-server of the drill's own, configured as docker-compose runs it (append-only file)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.data = RUN_DIR / f"drill-redis-{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", HOST, "--appendonly", "yes",
             "--appendfsync", "everysec", "--save", "", "--dir", str(self.data)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("drill redis-server did not start")
                time.sleep(0.05)

    def stop(self, graceful: bool = True) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
            self.process.wait(timeout=30)

    def restart(self, keep_data: bool, down_seconds: float = 5) -> None:
        self.stop(graceful=keep_data)
        if not keep_data:
            shutil.rmtree(self.data, ignore_errors=True)
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)


def redis_drill(services: Stack, redis: DrillRedis, database_url: str) -> list[str]:
    lines = []
    for what, keep in (("Redis restarted with its data (graceful stop, append-only file, 5 s down)", True),
                       ("Redis came back empty (killed, data gone, 5 s down)", False)):
        def outage(keep: bool = keep) -> None:
            redis.restart(keep)

        tally, conversations = asyncio.run(run_customers(services.gateway_url, 240, outage, 4))
        lines.append(report(what, tally, conversations, database_url))
        print(lines[-1], flush=True)
    return lines


def action_server_drill(services: Stack, database_url: str) -> list[str]:
    def outage(started: threading.Event) -> None:
        actions = services.processes[0]
        actions.kill()
        actions.wait(timeout=30)
        services.processes.remove(actions)
        started.set()
        time.sleep(20)
        restarted = services.start_actions()
        services.processes.remove(restarted)
        services.processes.insert(0, restarted)   # the drill finds the action server first, as start() puts it
        # the action server loads the knowledge base and its search indexes before it answers: about a minute on
        # this VM on 2026-12-01
        wait_until_up(f"http://{HOST}:{services.action_port}/health", 240, services.processes[0])

    tally, conversations = asyncio.run(run_customers(services.gateway_url, 240, outage, 0, hold_confirmations=True))
    line = report("Action server killed as every customer confirmed the readback, back after 20 s", tally,
                  conversations, database_url)
    print(line, flush=True)
    return [line]


def database_drill(services: Stack, proxy: TcpProxy, database_url: str) -> list[str]:
    def outage(started: threading.Event) -> None:
        # The customers confirm now; the database goes once a quarter of their tickets exist, so the other
        # confirmations are in flight: stored by the gateway, with Rasa, or in the middle of the ticket call.
        with psycopg.connect(database_url, autocommit=True) as watcher:
            before = watcher.execute("SELECT count(*) FROM tickets").fetchone()[0]
            started.set()
            deadline = time.monotonic() + 20
            while (watcher.execute("SELECT count(*) FROM tickets").fetchone()[0] - before < CUSTOMERS // 4
                   and time.monotonic() < deadline):
                time.sleep(0.01)
        proxy.cut()
        time.sleep(DB_OUTAGE_SECONDS)
        proxy.restore()

    tally, conversations = asyncio.run(run_customers(services.gateway_url, DB_OUTAGE_SECONDS + 240, outage, 0,
                                                     hold_confirmations=True))
    line = report(f"PostgreSQL unreachable for {DB_OUTAGE_SECONDS:.0f} s, cut while the customers' confirmations were "
                  f"being processed (after the first {CUSTOMERS // 4} tickets; every connection cut, new ones refused)",
                  tally, conversations, database_url)
    line += f"; {proxy.connections_cut} open database connections were cut"
    print(line, flush=True)
    return [line]


def main() -> None:
    name = f"drill_{int(time.time())}"
    with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database_url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    target = urlparse(database_url)
    with ExitStack() as stack:
        stack.callback(lambda: psycopg.connect(POSTGRES, autocommit=True).execute(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        redis = DrillRedis()
        redis.start()
        stack.callback(redis.close)
        proxy = stack.enter_context(TcpProxy(target.hostname or HOST, target.port or 5432))
        proxied = database_url.replace(target.netloc.split("@")[-1], f"{HOST}:{proxy.port}")
        services = Stack(model=model_path(), redis_url=redis.url, rasa_port=free_port(), action_port=free_port(),
                         gateway_port=free_port(), python=str(BOT_PYTHON), log_dir=ROOT / ".run" / "drill-logs",
                         extra_env={"DATABASE_URL": proxied, "GATEWAY_SERVICE_TOKEN": SERVICE_TOKEN, "WIDGET_SESSIONS_PER_MINUTE": "100000",
                                    "MESSAGES_PER_MINUTE": "600"})
        stack.callback(services.stop)
        services.start()
        print(f"Stack up: Redis :{redis.port} (AOF), PostgreSQL {name} through a proxy on :{proxy.port}, "
              f"{CUSTOMERS} customers per drill", flush=True)
        date = time.strftime("%Y-%m-%d")
        if ONLY in ("", "redis"):
            lines = redis_drill(services, redis, database_url)
            write_section("drill-redis", f"## Redis restart drill ({date})\n\n`make drills`:\n\n"
                          + "\n".join(f"- {line}." for line in lines) + "\n\n" + REDIS_NOTE)
        if ONLY in ("", "actions"):
            [line] = action_server_drill(services, database_url)
            write_section("drill-actions", f"## Action server drill ({date})\n\n`make drills`: {line}.")
        if ONLY in ("", "database"):
            [line] = database_drill(services, proxy, database_url)
            write_section("drill-database", f"## PostgreSQL outage drill ({date})\n\n`make drills`: {line}.")


if __name__ == "__main__":
    main()
