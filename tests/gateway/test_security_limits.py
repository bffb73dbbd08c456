"""Limits that cannot be walked around: body and header sizes, messages per conversation, new widget sessions
per client address, and the client address itself (X-Forwarded-For only from FORWARDED_ALLOW_IPS)."""
from __future__ import annotations

import os
import subprocess
import uuid

import httpx
import pytest
from redis import Redis

from scripts.stack import free_port, wait_until_up
from tests.gateway.conftest import ROOT, widget_session


def test_a_body_streamed_without_a_length_is_cut_off_at_the_limit(client) -> None:
    headers = {**widget_session(client)[0], "Content-Type": "application/json"}
    chunks = (b"x" * 16_384 for _ in range(1_000))   # 16 MB announced by no Content-Length header
    response = client.post("/api/widget/messages", content=chunks, headers=headers)
    assert response.status_code == 413 and response.json()["detail"] == "请求体过大"
    small = (part for part in ['{"text": ', '"燃气费在哪交"}'])
    assert client.post("/api/widget/messages", content=(p.encode() for p in small), headers=headers).status_code == 200


def test_messages_are_rate_limited_per_conversation(make_client) -> None:
    client = make_client(messages_per_minute=3)
    token = client.post("/api/widget/session").json()["token"]
    other = client.post("/api/widget/session").json()["token"]
    send = lambda t: client.post("/api/widget/messages", json={"text": "谢谢"},  # noqa: E731
                                 headers={"Authorization": f"Bearer {t}"}).status_code
    codes = [send(token) for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429] or 429 in codes[2:], codes
    assert send(other) == 200, "another conversation has its own limit"


def test_oversized_headers_are_refused_with_431(client) -> None:
    assert client.get("/health", headers={"X-Padding": "a" * 70_000}).status_code == 431
    assert client.get("/health", headers={"X-Padding": "a" * 1_000}).status_code == 200



def _session_codes(client, count: int, headers: dict[str, str] | None = None) -> list[int]:
    return [client.post("/api/widget/session", headers=headers or {}).status_code for _ in range(count)]


def test_new_widget_sessions_are_limited_per_client_address(make_client) -> None:
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    client = make_client(client_address=address, widget_sessions_per_minute=3)
    refused = client.post("/api/widget/session") if _session_codes(client, 3) == [200] * 3 else None
    assert refused is not None and refused.status_code == 429 and refused.headers["retry-after"] == "60"
    neighbour = make_client(client_address=address.replace(".7", ".8"), widget_sessions_per_minute=3)
    assert _session_codes(neighbour, 1) == [200]        # another address is not affected


def _gateway(migrated_database: str, redis_url: str, allow: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # Its own Redis database: the other gateway of the tests also counts sessions from 127.0.0.1.
    own_redis = redis_url.rsplit("/", 1)[0] + "/9"
    for key in Redis.from_url(own_redis).scan_iter("ua:widget-sessions:*"):
        Redis.from_url(own_redis).delete(key)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": migrated_database, "REDIS_URL": own_redis,
           "WIDGET_SESSIONS_PER_MINUTE": "2", "FORWARDED_ALLOW_IPS": allow}
    process = subprocess.Popen([str(ROOT / ".venv/gateway/bin/python"), "-m", "uvicorn", "gateway.app:app",
                                "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/health", 60, process)
    return process, url


@pytest.mark.parametrize("trusted", [True, False])
def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_listed_proxy(migrated_database, redis_url,
                                                                                 trusted: bool) -> None:
    process, url = _gateway(migrated_database, redis_url, "127.0.0.1" if trusted else "10.255.255.1")
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            first = f"172.16.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
            codes = _session_codes(client, 3, {"X-Forwarded-For": first})
            # a client cannot escape its limit by prepending an address: the proxy appends the one it saw
            spoofed = _session_codes(client, 1, {"X-Forwarded-For": f"203.0.113.5, {first}"})
            fresh = _session_codes(client, 1, {"X-Forwarded-For": f"198.51.{uuid.uuid4().int % 250}.9"})
    finally:
        process.terminate()
        process.wait(10)
    assert codes[:2] == [200, 200] and codes[2] == 429   # two a minute from one address
    if trusted:
        assert fresh == [200]        # the proxy's forwarded address counts: another customer is not blocked
    else:
        assert fresh == [429]        # an untrusted sender's header is ignored: all three came from 127.0.0.1
    assert spoofed == [429]
