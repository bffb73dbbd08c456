"""Outage notices pushed to subscribers (gateway/notices/push.py) by real gateway processes, against the local WeChat
server: customers subscribe on WeChat and in the widget, a notice is published, changed, restored and withdrawn, and
each subscriber gets each change once, with the process that runs the job killed in the middle of a batch (twice:
once during a 客服消息, once during a 模板消息), another process running all along and a new one started; a
subscriber outside the building range and one who unsubscribed get nothing.

The gateways here have a database and a Redis database of their own, so no other test's gateway takes the job."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from urllib.parse import urlparse, urlunparse

import httpx
import pytest
import redis
from sqlalchemy import update

from gateway.clock import now
from gateway.db import make_engine, make_sessionmaker
from gateway.migrate import upgrade
from gateway.models import Message
from scripts.stack import free_port, wait_until_up
from tests.gateway.conftest import ROOT, WECHAT_APP_ID, WECHAT_TOKEN
from tests.gateway.databases import fresh_database
from tests.gateway.test_wechat import openid, reply_text, signed, text_xml
from tests.gateway.wechat_server import OUTSIDE_WINDOW_OPENID, FakeWeChat

TOKEN = "push-test-service-token-0123456789"
SERVICE = {"Authorization": f"Bearer {TOKEN}"}
TEMPLATE = "TEMPLATE_OUTAGE_NOTICE"
LEASE = "ua:lease:notice-push"


@pytest.fixture(scope="module")
def own_database(tmp_path_factory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("push"), "notices_push") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def own_redis(redis_url: str) -> Iterator[str]:
    """Database 11 of the tests' Redis, emptied before and after (the job's lease lives there)."""
    url = urlunparse(urlparse(redis_url)._replace(path="/11"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat()
    yield fake
    fake.release()
    fake.close()


@pytest.fixture(scope="module")
def gateways(own_database: str, own_redis: str, wechat: FakeWeChat) -> Iterator[Callable[[], tuple[subprocess.Popen, str]]]:
    """start() -> (process, url): another gateway process on the same database, Redis and WeChat."""
    started: list[subprocess.Popen] = []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": own_database, "REDIS_URL": own_redis,
           "RASA_URL": "http://127.0.0.1:9", "GATEWAY_SERVICE_TOKEN": TOKEN,
           "SESSION_SECRET": "push-test-session-secret-0123456789", "WECHAT_TOKEN": WECHAT_TOKEN,
           "WECHAT_APP_ID": WECHAT_APP_ID, "WECHAT_APP_SECRET": "wechat-test-secret",
           "WECHAT_API_BASE_URL": wechat.base_url, "WECHAT_TEMPLATE_OUTAGE_NOTICE": TEMPLATE,
           "NOTICE_PUSH_SECONDS": "0.5"}
    env.pop("BINDINGS_FILE", None)

    def start() -> tuple[subprocess.Popen, str]:
        port = free_port()
        process = subprocess.Popen([str(ROOT / ".venv/gateway/bin/python"), "-m", "uvicorn", "gateway.app:app",
                                    "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        wait_until_up(f"http://127.0.0.1:{port}/health", 60, process)
        return process, f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        process.kill()
        process.wait(10)


def estate() -> str:
    return "".join(random.choices("安宁和平幸福锦绣翠湖春晖阳光金桂银杏枫林雅苑清泉碧水东篱南山星河", k=4)) + "小区"


def wechat_says(http: httpx.Client, user: str, text: str) -> str:
    return reply_text(http.post("/wechat", params=signed(), content=text_xml(user, text).encode()))


def widget_says(http: httpx.Client, headers: dict, text: str) -> list[str]:
    response = http.post("/api/widget/messages", json={"text": text, "client_id": uuid.uuid4().hex}, headers=headers)
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


def widget_notices(http: httpx.Client, headers: dict) -> list[str]:
    messages = http.get("/api/widget/messages", headers=headers).json()["messages"]
    return [m["text"] for m in messages if m["role"] == "system"]


def backdate(database_url: str, conversation_id: str, days: int) -> None:
    """The customer last wrote `days` ago: outside WeChat's 48-hour window."""
    async def go() -> None:
        engine = make_engine(database_url)
        async with make_sessionmaker(engine)() as session:
            await session.execute(update(Message).where(Message.conversation_id == conversation_id)
                                  .values(at=now() - timedelta(days=days)))
            await session.commit()
        await engine.dispose()
    asyncio.run(go())


def received(fake: FakeWeChat, user: str) -> list[str]:
    """Everything WeChat delivered to a user: 客服消息 texts and 模板消息 (as their first keyword)."""
    return fake.texts_to(user) + [t["data"]["keyword1"]["value"] for t in fake.templates_to(user)]


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def kill_the_job_holder(own_redis: str, running: list[tuple[subprocess.Popen, str]]) -> None:
    """SIGKILL to the gateway process that holds the push job's lease; it leaves the list."""
    holder = redis.Redis.from_url(own_redis).get(LEASE)
    assert holder, "no process holds the push job"
    pid = int(holder.decode().rsplit("-", 2)[-2])
    [(process, url)] = [(p, u) for p, u in running if p.pid == pid]
    os.kill(pid, signal.SIGKILL)
    process.wait(10)
    running.remove((process, url))


def test_each_subscriber_gets_each_change_once_with_the_push_process_killed_mid_batch(
        gateways, wechat: FakeWeChat, own_database: str, own_redis: str) -> None:
    running = [gateways(), gateways()]
    http = httpx.Client(base_url=running[0][1], timeout=30)
    place = estate()
    recent = [openid() for _ in range(4)]          # wrote today: 客服消息
    silent = [openid() for _ in range(2)]          # wrote three days ago: 模板消息
    closed = OUTSIDE_WINDOW_OPENID                 # WeChat answers 45015: 模板消息 instead
    outside = openid()                             # 9号楼: not in 1-5号楼
    spellings = [f"{place}3号楼", place.replace("小区", "社区") + "2栋", f"{place}三号楼", f"{place}１号楼",
                 f"{place}5幢", f"我家住{place}4号楼", f"{place}1号楼"]
    for user, address in zip(recent + silent + [closed], spellings):
        assert "请发给我要接收提醒的地址" in wechat_says(http, user, "停电停气提醒")
        assert "已为您开通停电停气提醒" in wechat_says(http, user, address)
    wechat_says(http, outside, "停电停气提醒")
    wechat_says(http, outside, f"{place}9号楼")
    for user in silent:
        backdate(own_database, f"wechat:{user}", days=3)
    widgets = []
    for address in (f"{place}1号楼", place):
        session = http.post("/api/widget/session").json()
        headers = {"Authorization": f"Bearer {session['token']}"}
        widget_says(http, headers, "停电停气提醒")
        assert any("已为您开通" in t for t in widget_says(http, headers, address))
        widgets.append(headers)
    eligible = recent + silent + [closed]

    def everyone_has(count: int) -> bool:
        return all(len(received(wechat, u)) >= count for u in eligible) and \
            all(len(widget_notices(http, h)) >= count for h in widgets)

    def exactly(count: int) -> None:
        time.sleep(2)                               # a duplicate would arrive within this
        for user in eligible:
            assert len(received(wechat, user)) == count, (user, received(wechat, user))
        for headers in widgets:
            assert len(widget_notices(http, headers)) == count, widget_notices(http, headers)
        assert received(wechat, outside) == []

    # 1. published; the third message (a 客服消息 to recent[2]) is held and its sender killed
    wechat.hold(3)
    starts = (now() + timedelta(hours=72)).replace(second=0, microsecond=0)
    notice = http.post("/agent/api/notices", headers=SERVICE, json={
        "utility": "gas", "company": "kunlun", "kind": "planned", "areas": [f"{place}1-5号楼"],
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=8)).isoformat(),
        "reason": "燃气管道改造"}).json()
    assert wechat.holding.wait(30)
    kill_the_job_holder(own_redis, running)
    wechat.release()
    running.append(gateways())
    http = httpx.Client(base_url=running[-1][1], timeout=30)
    wait_for(lambda: everyone_has(1))
    exactly(1)
    assert all("停气提醒" in received(wechat, u)[0] for u in recent)
    assert all(received(wechat, u) == ["计划停气"] for u in silent + [closed]), "模板消息 outside the window"
    assert all(t["client_msg_id"] and t["template_id"] == TEMPLATE and "first" not in t["data"]
               for u in silent for t in wechat.templates_to(u))
    counts = http.get(f"/agent/api/notices/{notice['id']}", headers=SERVICE).json()["deliveries"]
    assert counts == {"sent": 6, "uncertain": 1, "stored": 2}, counts     # the held one: delivered, not sent again

    # 2. a new expected end, with the processes as they are
    http.patch(f"/agent/api/notices/{notice['id']}", headers=SERVICE,
               json={"ends_at": (starts + timedelta(hours=10)).isoformat()})
    wait_for(lambda: everyone_has(2))
    exactly(2)
    assert all("预计恢复时间已调整" in received(wechat, u)[1] for u in recent)

    # 3. restored; the fifth message (a 模板消息 to silent[0]) is held and its sender killed: the next process sends
    # it again with the same client_msg_id, and WeChat delivers it once
    wechat.hold(5)
    http.patch(f"/agent/api/notices/{notice['id']}", headers=SERVICE, json={"kind": "restored"})
    assert wechat.holding.wait(30)
    kill_the_job_holder(own_redis, running)
    wechat.release()
    running.append(gateways())
    http = httpx.Client(base_url=running[-1][1], timeout=30)
    wait_for(lambda: everyone_has(3))
    exactly(3)
    assert all(received(wechat, u)[2].startswith("已恢复供气") for u in recent)
    assert all(received(wechat, u)[2] == "已恢复供气" for u in silent)
    assert all("已恢复供气" in widget_notices(http, h)[2] for h in widgets)
    counts = http.get(f"/agent/api/notices/{notice['id']}", headers=SERVICE).json()["deliveries"]
    assert counts == {"sent": 20, "uncertain": 1, "stored": 6}, counts

    # 4. one customer unsubscribes; the notice is withdrawn: the others are told once, they are not
    assert "已退订停电停气提醒" in wechat_says(http, recent[0], "退订提醒")
    http.delete(f"/agent/api/notices/{notice['id']}", headers=SERVICE)
    eligible.remove(recent[0])
    wait_for(lambda: everyone_has(4))
    assert len(received(wechat, recent[0])) == 3
    exactly(4)
    assert all(received(wechat, u)[3].startswith("通知取消") for u in recent[1:])
