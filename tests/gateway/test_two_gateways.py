"""Several gateway processes on one database and Redis (the drill of the deployment issue): every background job's
work is done once. Each agent reply reaches WeChat once, in order, also with one process killed midway; each
customer waiting too long is offered a callback once."""
from __future__ import annotations

import os
import subprocess
import time

from scripts.stack import free_port, wait_until_up
from tests.gateway.conftest import ROOT, SERVICE_TOKEN, WECHAT_APP_ID, WECHAT_TOKEN, agent_client, widget_session
from tests.gateway.test_wechat import openid, post, text_xml


def second_gateway(services) -> subprocess.Popen:
    """Another gateway process like the one the tests start (same database, Redis, Rasa and WeChat settings)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": services.database_url, "REDIS_URL": services.redis_url,
           "RASA_URL": services.rasa, "GATEWAY_SERVICE_TOKEN": SERVICE_TOKEN,
           "SESSION_SECRET": "test-session-secret-0123456789abcdef", "WECHAT_TOKEN": WECHAT_TOKEN,
           "WECHAT_APP_ID": WECHAT_APP_ID, "WECHAT_APP_SECRET": "wechat-test-secret",
           "WECHAT_API_BASE_URL": services.wechat.base_url, "HANDOFF_WAIT_SECONDS": "6",
           "WORKING_HOURS_START": "00:00", "WORKING_HOURS_END": "23:59:59"}
    process = subprocess.Popen([str(ROOT / ".venv/gateway/bin/python"), "-m", "uvicorn", "gateway.app:app", "--host",
                                "127.0.0.1", "--port", str(port), "--no-access-log"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_up(f"http://127.0.0.1:{port}/health", 60, process)
    return process


def test_with_two_gateway_processes_each_agent_reply_reaches_wechat_once(client, services) -> None:
    """A second gateway on the same database and Redis: both run the WeChat delivery worker, each agent reply is
    sent once; with the second one killed midway nothing is lost either (one it had taken is sent by the other
    after 20 s, possibly after later ones)."""
    second = second_gateway(services)
    try:
        user = openid()
        post(client, text_xml(user, "转人工"))
        boss = agent_client(services, "boss")
        handoff = next(h for h in boss.get("/agent/api/queue").json()["handoffs"]
                       if h["conversation_id"] == f"wechat:{user}")
        boss.post(f"/agent/api/handoffs/{handoff['id']}/claim")
        replies = [f"第{n}条回复，请稍等。" for n in range(1, 7)]
        for n, text in enumerate(replies):
            if n == 3:
                second.kill()            # one process gone midway: the other sends the rest
            boss.post(f"/agent/api/handoffs/{handoff['id']}/messages", json={"text": text})
        deadline = time.monotonic() + 60      # one the killed process had taken is reclaimed after 20 s
        while not all(t in services.wechat.texts_to(user) for t in replies) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)                    # a duplicate would arrive within this
        received = [t for t in services.wechat.texts_to(user) if t in replies]
        assert sorted(received) == sorted(replies), received       # each exactly once, none lost
    finally:
        second.kill()
        second.wait(10)


def test_with_two_gateway_processes_a_waiting_customer_is_offered_a_callback_once(client, services) -> None:
    second = second_gateway(services)
    try:
        headers, _ = widget_session(client)
        client.post("/api/widget/messages", json={"text": "转人工"}, headers=headers)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            messages = client.get("/api/widget/messages", headers=headers).json()["messages"]
            if any("客服都在忙" in m["text"] for m in messages):
                break
            time.sleep(0.5)
        time.sleep(12)                   # both processes' offer rounds (every 5 s) have run again since
        messages = client.get("/api/widget/messages", headers=headers).json()["messages"]
        offers = [m for m in messages if "客服都在忙" in m["text"]]
        assert len(offers) == 1, [m["text"] for m in messages]
    finally:
        second.kill()
        second.wait(10)
