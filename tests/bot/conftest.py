"""Shared fixtures: a dispatcher and the domain for offline action tests, the running assistant for
end-to-end tests (Redis from REDIS_URL when set, as in CI, otherwise an embedded redis-server)."""
from __future__ import annotations

import json
import os
import urllib.request
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot/domain")).as_dict()


@dataclass
class Assistant:
    say: Callable[[str, str], list[dict[str, Any]]]
    redis_url: str


@pytest.fixture(scope="session")
def assistant() -> Iterator[Assistant]:
    """Redis, the action server and Rasa with the trained model; say(conversation, text) returns the replies."""
    from scripts.model import train
    from scripts.stack import Stack, embedded_redis, free_port

    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
        running = Stack(model=train(), redis_url=redis_url, rasa_port=free_port(), action_port=free_port(),
                        log_dir=ROOT / ".run" / "test-logs")
        stack.callback(running.stop)
        running.start()

        def say(conversation: str, text: str) -> list[dict[str, Any]]:
            body = json.dumps({"sender": conversation, "message": text}).encode()
            request = urllib.request.Request(f"{running.rasa_url}/webhooks/rest/webhook", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())

        yield Assistant(say=say, redis_url=redis_url)


@pytest.fixture
def conversation() -> str:
    """A fresh conversation id, so tests never share a tracker."""
    return f"test-{uuid.uuid4().hex[:12]}"
