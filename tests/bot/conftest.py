"""Shared fixtures: a dispatcher and the domain for offline action tests, a contract gateway for the actions that
call it, the running assistant for end-to-end tests (Redis from REDIS_URL when set, as in CI, otherwise an
embedded redis-server; a contract gateway for its tickets and handoffs)."""
from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from core.turns import turn_of
from tests.bot.gateway_stub import ContractGateway

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot/domain")).as_dict()


@pytest.fixture(autouse=True)
def _no_real_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches a gateway someone runs on the default port: unless a test asks for the `gateway` fixture,
    GATEWAY_URL points at a loopback port nothing listens on."""
    from scripts.stack import free_port

    monkeypatch.setenv("GATEWAY_URL", f"http://127.0.0.1:{free_port()}")


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[ContractGateway]:
    """A real HTTP server speaking the gateway's internal API (docs/api_contract.md); the actions call it."""
    with ContractGateway() as stub:
        monkeypatch.setenv("GATEWAY_URL", stub.url)
        monkeypatch.setenv("GATEWAY_SERVICE_TOKEN", stub.token)
        yield stub


@dataclass
class Assistant:
    say: Callable[..., list[dict[str, Any]]]
    redis_url: str
    gateway: ContractGateway
    metrics_url: str = ""


@pytest.fixture(scope="session")
def assistant() -> Iterator[Assistant]:
    """Redis, the action server and Rasa with the trained model; say(conversation, text) returns the replies."""
    from scripts.model import train
    from scripts.stack import Stack, embedded_redis, free_port

    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
        gateway = stack.enter_context(ContractGateway())
        running = Stack(model=train(), redis_url=redis_url, rasa_port=free_port(), action_port=free_port(),
                        log_dir=ROOT / ".run" / "test-logs")
        stack.callback(running.stop)
        # The action server reads the gateway's address from its environment when it starts.
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GATEWAY_URL", gateway.url)
            env.setenv("GATEWAY_SERVICE_TOKEN", gateway.token)
            metrics_port = free_port()
            env.setenv("ACTION_METRICS_PORT", str(metrics_port))
            running.start()

        def say(conversation: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
            body = json.dumps({"sender": conversation, "message": text, "metadata": metadata or {}}).encode()
            request = urllib.request.Request(f"{running.rasa_url}/webhooks/rest/webhook", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return customer_view(json.loads(response.read()))

        yield Assistant(say=say, redis_url=redis_url, gateway=gateway,
                        metrics_url=f"http://127.0.0.1:{metrics_port}/metrics")


def customer_view(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replies as the gateway passes them on: the bot's turn notes (core/turns.py) ride on the reply before
    them as "meta" and are never a message of their own."""
    shown: list[dict[str, Any]] = []
    for reply in replies:
        note = turn_of(reply)
        if note is None:
            shown.append(reply)
        elif shown:
            shown[-1]["meta"] = note
    return shown


@pytest.fixture
def conversation() -> str:
    """A fresh conversation id, so tests never share a tracker."""
    return f"test-{uuid.uuid4().hex[:12]}"
