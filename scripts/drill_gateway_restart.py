"""Failure drill: the gateway restarted during handoffs. Waiting and active handoffs live in the database,
so after the restart they are still queued or owned, customers' messages still reach exactly their agent,
and no second agent can take an owned conversation. Prints what it did and what it counted."""
from __future__ import annotations

import os
import signal
import time
from contextlib import ExitStack

import httpx

from scripts.bench_load import BOT_PYTHON, model_path, write_section
from scripts.stack import ROOT, Stack, embedded_redis, free_port

CUSTOMERS = 10
PASSWORD = "drill-password-123"


def main() -> None:
    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
        database = f"sqlite:///{ROOT / '.run' / f'drill-restart-{int(time.time())}.db'}"
        services = Stack(model=model_path(), redis_url=redis_url, rasa_port=free_port(), action_port=free_port(),
                         gateway_port=free_port(), python=str(BOT_PYTHON), log_dir=ROOT / ".run" / "drill-logs",
                         extra_env={"DATABASE_URL": database, "AGENT_PASSWORD": PASSWORD, "WIDGET_SESSIONS_PER_MINUTE": "100000",
                                    "WORKING_HOURS_START": "00:00", "WORKING_HOURS_END": "23:59:59"})
        stack.callback(services.stop)
        services.start()
        gateway_python = str(ROOT / ".venv/gateway/bin/python")
        for name in ("drill-a", "drill-b"):
            os.system(f"cd {ROOT} && env DATABASE_URL='{database}' AGENT_PASSWORD={PASSWORD} "
                      f"{gateway_python} -m gateway.manage create-agent {name} >/dev/null")
        http = httpx.Client(base_url=services.gateway_url, timeout=30)
        customers = []
        for _ in range(CUSTOMERS):
            token = http.post("/api/widget/session").json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            http.post("/api/widget/messages", json={"text": "转人工"}, headers=headers)
            customers.append(headers)
        agent_a = httpx.Client(base_url=services.gateway_url, timeout=30)
        agent_a.post("/agent/api/login", json={"username": "drill-a", "password": PASSWORD})
        queue = agent_a.get("/agent/api/queue").json()["handoffs"]
        claimed = [h["id"] for h in queue[: CUSTOMERS // 2]]
        for handoff_id in claimed:
            agent_a.post(f"/agent/api/handoffs/{handoff_id}/claim")

        gateway = services.processes[-1]
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=30)
        services.processes.remove(gateway)
        services.start_gateway()

        agent_a.post("/agent/api/login", json={"username": "drill-a", "password": PASSWORD})
        agent_b = httpx.Client(base_url=services.gateway_url, timeout=30)
        agent_b.post("/agent/api/login", json={"username": "drill-b", "password": PASSWORD})
        after = {h["id"]: h for h in agent_a.get("/agent/api/queue").json()["handoffs"]}
        survived = sum(h["id"] in after for h in queue)
        still_owned = sum(after.get(i, {}).get("agent") == "drill-a" for i in claimed)
        stolen = sum(agent_b.post(f"/agent/api/handoffs/{i}/claim").status_code == 200 for i in claimed)
        delivered = 0
        for headers in customers:
            state = http.post("/api/widget/messages", json={"text": "还在吗"}, headers=headers).json()["state"]
            delivered += state in ("waiting", "agent")
    line = (f"{CUSTOMERS} customers asked for a human, {len(claimed)} claimed by one agent, gateway restarted: "
            f"{survived}/{len(queue)} handoffs survived, {still_owned}/{len(claimed)} still owned by their agent, "
            f"{stolen} taken by a second agent, {delivered}/{CUSTOMERS} later messages routed to the queue or agent "
            "(not to the bot)")
    print(line)
    write_section("drill-restart", f"## Gateway restart drill\n\n`make drills`: {line}.")


if __name__ == "__main__":
    main()
