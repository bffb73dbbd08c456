"""The gateway's own rules, fast: the app from `create_app` in this process (Starlette's TestClient runs its
lifespan), the real PostgreSQL and Redis of the tests, and a stand-in for Rasa that answers as Rasa's REST
channel does. The full-stack tests (conftest.services) stay for the flows through Rasa and the actions."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.config import Settings
from gateway.db import make_engine, make_sessionmaker
from gateway.main import create_app
from gateway.manage import create_agent
from gateway.migrate import upgrade

SERVICE_TOKEN = "fast-service-token-0123456789abcdef"
PASSWORD = "correct horse battery"


class FakeRasa:
    """Rasa's REST channel, played: echoes each message as one reply and remembers what it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict]:
        self.sent.append((conversation_id, text, metadata or {}))
        return [{"recipient_id": conversation_id, "text": f"收到：{text}"}]

    async def close(self) -> None:
        return None


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    upgrade(database_url)
    asyncio.run(_agents(database_url))
    return database_url


async def _agents(database_url: str) -> None:
    for username, role, company in (("fast-agent", "agent", None), ("fast-boss", "supervisor", None),
                                    ("fast-kunlun", "agent", "kunlun"), ("fast-tianfu", "agent", "tianfu"),
                                    ("fast-tianfu-boss", "supervisor", "tianfu")):
        await create_agent(username, PASSWORD, role, database_url, company=company)


def open_client(database_url: str, redis_url: str, client_address: str = "testclient",
                **overrides: Any) -> TestClient:
    """A started TestClient of the gateway on that database, whose app.state.rasa is a FakeRasa; the caller
    closes it (client.__exit__)."""
    settings = Settings(**{"database_url": database_url, "redis_url": redis_url,
                           "rasa_url": "http://127.0.0.1:9", "gateway_service_token": SERVICE_TOKEN,
                           "session_secret": "fast-session-secret-0123456789abcdef",
                           "login_failures_per_address": 1_000_000, "widget_sessions_per_minute": 1_000_000,
                           **overrides})
    client = TestClient(create_app(settings), client=(client_address, 50000))
    client.__enter__()
    client.app.state.rasa = FakeRasa()
    client.app.state.channel = replace(client.app.state.channel, rasa=client.app.state.rasa)
    return client


@pytest.fixture
def make_client(migrated_database: str, redis_url: str) -> Iterator[Callable[..., TestClient]]:
    """make_client(**settings, client_address=...) -> a TestClient whose app.state.rasa is a FakeRasa."""
    opened: list[TestClient] = []

    def build(client_address: str = "testclient", **overrides: Any) -> TestClient:
        opened.append(open_client(migrated_database, redis_url, client_address, **overrides))
        return opened[-1]

    yield build
    for client in opened:
        client.__exit__(None, None, None)


def logged_in(client: TestClient, username: str) -> TestClient:
    response = client.post("/agent/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def run(database_url: str, work: Callable[[Any], Any]) -> Any:
    """Runs `await work(session)` on a fresh engine: for arranging rows the API does not create."""
    async def go() -> Any:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()
    return asyncio.run(go())
