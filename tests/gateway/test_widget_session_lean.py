"""POST /api/widget/session, where every customer's visit starts, is served lean (gateway/lean_route.py): each
answer is what FastAPI gives when it runs the documented endpoint, mounted here under /reference on the same app,
database and Redis: the same errors byte for byte, the same 429 with its Retry-After, and a new conversation bound
to the company the embed names."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from starlette.testclient import TestClient

from gateway.api import widget
from gateway.models import Conversation
from gateway.strict_json import StrictJSONRoute
from tests.gateway.fast_app import open_client, run

BODIES = [
    (b"", None),
    (b"", "application/json"),
    (b"null", "application/json"),
    (b"{}", "application/json"),
    (b'{"company": "kunlun"}', "application/json"),
    (b'{"company": "kunlun"}', None),
    (b'{"company": "no such company"}', "application/json"),
    (b'{"company": 5}', "application/json"),
    (b'{"company": "kunlun", "company": "tianfu"}', "application/json"),
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"company": "kunlun"}', "text/plain"),
]


@pytest.fixture
def client(migrated_database: str, redis_url: str) -> Iterator[TestClient]:
    client = open_client(migrated_database, redis_url, client_address=f"10.9.{uuid.uuid4().int % 250}.1",
                         widget_sessions_per_minute=1_000)
    reference = APIRouter(prefix="/reference/api/widget", route_class=StrictJSONRoute)
    reference.add_api_route("/session", widget.new_session, methods=["POST"])
    client.app.include_router(reference)
    yield client
    client.__exit__(None, None, None)


def _company(database_url: str, conversation_id: str) -> str | None:
    async def read(session):
        return (await session.get(Conversation, conversation_id)).company
    return run(database_url, read)


@pytest.mark.parametrize(("body", "content_type"), BODIES)
def test_the_same_answer_as_fastapi(client: TestClient, migrated_database: str, body: bytes,
                                    content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    expected = client.post("/reference/api/widget/session", content=body, headers=headers)
    got = client.post("/api/widget/session", content=body, headers=headers)
    assert (got.status_code, got.headers["content-type"]) == (expected.status_code, expected.headers["content-type"])
    if expected.status_code != 200:
        assert got.content == expected.content
        return
    assert sorted(got.json()) == sorted(expected.json()) == ["conversation_id", "token"]
    assert got.json()["conversation_id"].startswith("web:")
    assert _company(migrated_database, got.json()["conversation_id"]) == \
        _company(migrated_database, expected.json()["conversation_id"])
    headers = {"Authorization": f"Bearer {got.json()['token']}"}
    assert client.get("/api/widget/messages", headers=headers).json() == {"messages": [], "state": "bot"}


def test_too_many_sessions_from_one_address_is_the_same_429(migrated_database: str, redis_url: str) -> None:
    client = open_client(migrated_database, redis_url, client_address=f"10.8.{uuid.uuid4().int % 250}.1",
                         widget_sessions_per_minute=2)
    try:
        reference = APIRouter(prefix="/reference/api/widget", route_class=StrictJSONRoute)
        reference.add_api_route("/session", widget.new_session, methods=["POST"])
        client.app.include_router(reference)
        assert client.post("/api/widget/session").status_code == 200
        assert client.post("/reference/api/widget/session").status_code == 200
        refused = client.post("/api/widget/session")
        expected = client.post("/reference/api/widget/session")
    finally:
        client.__exit__(None, None, None)
    assert refused.status_code == expected.status_code == 429
    assert refused.content == expected.content and refused.headers["retry-after"] == expected.headers["retry-after"]
