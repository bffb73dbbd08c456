"""An agent's session ends at the next request once the agent is demoted, deactivated or changes password."""
from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from tests.gateway.conftest import AGENT_PASSWORD, ROOT
from tests.gateway.test_security_login import new_agent


def manage(services, *args: str, password: str = AGENT_PASSWORD) -> None:
    env = {**os.environ, "DATABASE_URL": services.database_url, "AGENT_PASSWORD": password}
    subprocess.run([str(ROOT / ".venv/gateway/bin/python"), "-m", "gateway.manage", *args], cwd=ROOT, env=env,
                   check=True, capture_output=True)


def logged_in(services, name: str) -> httpx.Client:
    http = httpx.Client(base_url=services.gateway, timeout=30)
    assert http.post("/agent/api/login", json={"username": name, "password": AGENT_PASSWORD}).status_code == 200
    assert http.get("/agent/api/queue").status_code == 200
    return http


@pytest.mark.parametrize("change", ["demoted", "deactivated", "new password"])
def test_a_change_to_the_agent_ends_their_session(services, change: str) -> None:
    name = new_agent(services)
    manage(services, "set-role", name, "--role", "supervisor")
    http = logged_in(services, name)
    if change == "demoted":
        manage(services, "set-role", name, "--role", "agent")
    elif change == "deactivated":
        manage(services, "deactivate-agent", name)
    else:
        manage(services, "create-agent", name, "--role", "supervisor", password="another secret phrase")
    assert http.get("/agent/api/queue").status_code == 401
    assert http.get("/agent/api/queue").status_code == 401, "the session is gone, not just refused once"
