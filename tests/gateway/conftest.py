"""The gateway under test: uvicorn with the real Rasa, action server, Redis and PostgreSQL.

PostgreSQL: a fresh database per test session on TEST_POSTGRES_URL (default the machine's
postgresql://postgres@127.0.0.1:5432/test), dropped afterwards; SQLite only when no PostgreSQL answers.
Redis: REDIS_URL when set, otherwise an embedded redis-server.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from scripts.stack import Stack, embedded_redis, free_port
from tests.gateway.databases import fresh_database
from tests.gateway.wechat_server import FakeWeChat

ROOT = Path(__file__).resolve().parents[2]
BOT_PYTHON = ROOT / ".venv" / "bot" / "bin" / "python"
SERVICE_TOKEN = "test-service-token-0123456789abcdef"
AGENT_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with ExitStack() as stack:
        yield os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())


def trained_model() -> Path:
    path = subprocess.run([str(BOT_PYTHON), "-m", "scripts.model", "path"], cwd=ROOT, check=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.strip()
    model = Path(path.splitlines()[-1])
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` (make test does)")
    return model


VOICE_TOKEN = "voice-platform-test-token"
WECHAT_TOKEN = "wechat-test-token"
WECHAT_APP_ID = "wx0123456789abcdef"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"   # 43 characters, as WeChat issues them


@dataclass
class Services:
    gateway: str
    rasa: str
    database_url: str
    redis_url: str
    wechat: FakeWeChat


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat()
    yield fake
    fake.close()


SECOND_ACCOUNT = "tianfu"                     # a further official account, on /wechat/tianfu, bound to 天富热电
SECOND_TOKEN = "wechat-tianfu-test-token"
SECOND_APP_ID = "wx00000000tianfu01"


@pytest.fixture(scope="session")
def bindings_file(tmp_path_factory) -> Path:
    """No default company (conversations stay unbound unless a channel binds them) and a second WeChat account."""
    path = tmp_path_factory.mktemp("bindings") / "bindings.yml"
    path.write_text(f"wechat_accounts:\n  {SECOND_ACCOUNT}:\n    app_id: {SECOND_APP_ID}\n    company: tianfu\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def services(database_url: str, redis_url: str, fake_wechat: FakeWeChat, bindings_file: Path) -> Iterator[Services]:
    stack = Stack(model=trained_model(), redis_url=redis_url, rasa_port=free_port(), action_port=free_port(),
                  gateway_port=free_port(), python=str(BOT_PYTHON), log_dir=ROOT / ".run" / "gateway-test-logs",
                  extra_env={"DATABASE_URL": database_url, "GATEWAY_SERVICE_TOKEN": SERVICE_TOKEN,
                             "SESSION_SECRET": "test-session-secret-0123456789abcdef",
                             "HANDOFF_WAIT_SECONDS": "6", "WORKING_HOURS_START": "00:00",
                             "WORKING_HOURS_END": "23:59:59", "MESSAGES_PER_MINUTE": "30",
                             # every test logs in from 127.0.0.1, and the schema fuzzer fails logins by the hundred
                             "LOGIN_FAILURES_PER_ADDRESS": "1000000", "WIDGET_SESSIONS_PER_MINUTE": "1000000",
                             "WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APP_ID": WECHAT_APP_ID,
                             "WECHAT_APP_SECRET": "wechat-test-secret", "WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
                             "WECHAT_API_BASE_URL": fake_wechat.base_url,
                             "WECHAT_TEMPLATE_TICKET_STATUS": "TEMPLATE_TICKET_STATUS", "VOICE_TOKEN": VOICE_TOKEN,
                             "BINDINGS_FILE": str(bindings_file), "WECHAT_TIANFU_TOKEN": SECOND_TOKEN,
                             "WECHAT_TIANFU_APP_SECRET": "wechat-tianfu-test-secret"})
    try:
        stack.start()
        env = {**stack.env(), "AGENT_PASSWORD": AGENT_PASSWORD}
        for username, role in (("zhang", "agent"), ("li", "agent"), ("boss", "supervisor")):
            subprocess.run([str(ROOT / ".venv/gateway/bin/python"), "-m", "gateway.manage", "create-agent", username,
                            "--role", role], cwd=ROOT, env=env, check=True)
        yield Services(stack.gateway_url, stack.rasa_url, database_url, redis_url, fake_wechat)
    finally:
        stack.stop()


@pytest.fixture
def client(services: Services) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=services.gateway, timeout=30) as http:
        yield http


@pytest.fixture
def internal(services: Services) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=services.gateway, timeout=30,
                      headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}) as http:
        yield http


def widget_session(client: httpx.Client) -> tuple[dict[str, str], str]:
    body = client.post("/api/widget/session").json()
    return {"Authorization": f"Bearer {body['token']}"}, body["conversation_id"]


def agent_client(services: Services, username: str) -> httpx.Client:
    http = httpx.Client(base_url=services.gateway, timeout=30)
    response = http.post("/agent/api/login", json={"username": username, "password": AGENT_PASSWORD})
    assert response.status_code == 200, response.text
    return http


from tests.gateway.fast_app import make_client, migrated_database  # noqa: E402,F401  (fixtures for the fast tests)

FULL_STACK_FIXTURES = {"services", "client", "internal"}


def pytest_collection_modifyitems(items) -> None:
    """Tests that need no Rasa and no action server are `fast` (`pytest -m fast tests/gateway`): the gateway's
    own rules through create_app with a stand-in for Rasa, its renderers, masking, the SLA clock."""
    for item in items:
        if not FULL_STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.fast)
