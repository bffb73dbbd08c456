"""Failure drill: two Rasa processes behind one gateway, 200 conversations each sending 5 messages in a
burst. Every conversation must get every reply, and its transcript must alternate message, reply, message...
(no turn overtaking another, no reply lost), which holds only if each conversation is pinned to one Rasa
process and processed one message at a time. Prints the figures; `make drills` runs it."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from contextlib import ExitStack

import httpx

from scripts.bench_load import BOT_PYTHON, model_path, write_section
from scripts.stack import ROOT, Stack, embedded_redis, free_port

CONVERSATIONS, BURST = 200, 5
MESSAGES = ["你好", "燃气费在哪交", "谢谢", "停气会提前通知吗", "再见"]


async def conversation(http: httpx.AsyncClient) -> tuple[bool, int]:
    session = (await http.post("/api/widget/session")).json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    responses = await asyncio.gather(*(http.post("/api/widget/messages", json={"text": m}, headers=headers)
                                       for m in MESSAGES[:BURST]), return_exceptions=True)
    errors = sum(not isinstance(r, httpx.Response) or r.status_code != 200 for r in responses)
    for r in responses:
        if not isinstance(r, httpx.Response) or r.status_code != 200:
            print("FAILED:", repr(r) if not isinstance(r, httpx.Response) else (r.status_code, r.text[:300]), flush=True)
    history = (await http.get("/api/widget/messages", headers=headers)).json()["messages"]
    roles = [m["role"] for m in history]
    # Each customer message is followed by its own replies before the next customer message.
    turns = [i for i, role in enumerate(roles) if role == "customer"]
    ordered = len(turns) == BURST and all(roles[i + 1] == "bot" for i in turns)
    return ordered and errors == 0, errors


async def drill(base_url: str) -> tuple[int, int, float]:
    # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive closes them from its side: with both at
    # 5 s, a request could go out on a connection the server was closing at that moment and fail with an empty
    # error (as browsers do, a client must give up an idle connection before the server does).
    limits = httpx.Limits(max_connections=400, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        started = time.perf_counter()
        results = await asyncio.gather(*(conversation(http) for _ in range(CONVERSATIONS)))
        return sum(ok for ok, _ in results), sum(e for _, e in results), time.perf_counter() - started


def main() -> None:
    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
        services = Stack(model=model_path(), redis_url=redis_url, rasa_port=free_port(), action_port=free_port(),
                         extra_rasa_ports=(free_port(),), gateway_port=free_port(), python=str(BOT_PYTHON),
                         log_dir=ROOT / ".run" / "drill-logs",
                         extra_env={"DATABASE_URL": f"sqlite:///{ROOT / '.run' / 'drill.db'}", "WIDGET_SESSIONS_PER_MINUTE": "100000",
                                    "MESSAGES_PER_MINUTE": "1000", "RASA_TIMEOUT_SECONDS": "60",
                                    # 1,000 messages at once on two cores: a conversation's fifth message waits
                                    # behind its first four for about the length of the run (25-35 s), beyond
                                    # the default 30 s wait, after which the gateway refuses it with a 503
                                    "TURN_WAIT_SECONDS": "120"})
        stack.callback(services.stop)
        services.start()
        ordered, errors, seconds = asyncio.run(drill(services.gateway_url))
    line = (f"Two Rasa processes, {CONVERSATIONS} conversations x {BURST} messages in a burst: "
            f"{ordered}/{CONVERSATIONS} conversations complete and in order, {errors} failed requests, {seconds:.1f} s")
    print(line)
    write_section("drill", f"## Pinning drill\n\nLatest run: {dt.date.today().isoformat()}, `make drills`. {line}.")


if __name__ == "__main__":
    main()
