"""Agent login: throttled per account name (known or not), the password checked off the event loop, and an
unknown name answered like a known one."""
from __future__ import annotations

import os
import subprocess
import uuid

from tests.gateway.conftest import AGENT_PASSWORD, ROOT


def new_agent(services) -> str:
    name = f"guard{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": services.database_url, "AGENT_PASSWORD": AGENT_PASSWORD}
    subprocess.run([str(ROOT / ".venv/gateway/bin/python"), "-m", "gateway.manage", "create-agent", name,
                    "--role", "agent"], cwd=ROOT, env=env, check=True, capture_output=True)
    return name


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(client, services) -> None:
    name = new_agent(services)
    codes = [client.post("/agent/api/login", json={"username": name, "password": f"wrong{i}"}).status_code
             for i in range(10)]
    assert codes == [401] * 10
    locked = client.post("/agent/api/login", json={"username": name, "password": AGENT_PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "15分钟" in locked.json()["detail"]


def test_an_unknown_name_is_throttled_and_answered_like_a_known_one(client) -> None:
    name = f"nobody{uuid.uuid4().hex[:8]}"
    answers = [client.post("/agent/api/login", json={"username": name, "password": "x"}) for _ in range(11)]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    assert answers[0].json() == {"detail": "用户名或密码错误"}
