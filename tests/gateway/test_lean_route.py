"""The widget's message route reads its body by hand (gateway/lean_route.py): every malformed body gets exactly
the 422 FastAPI itself gives the same model as a body parameter, so the shortcut is invisible to clients."""
from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from gateway.api.widget import MessageIn
from gateway.lean_route import validated_body
from gateway.strict_json import StrictJSONRoute

BODIES = [
    (b"", "application/json"),
    (b"{not json", "application/json"),
    (b'{"text": NaN}', "application/json"),
    (b'{"text": Infinity}', "application/json"),
    (b'{"text": "\\ud800"}', "application/json"),
    (b'{"text": "\xff"}', "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"just a string"', "application/json"),
    (b"{}", "application/json"),
    (b'{"text": ""}', "application/json"),
    (b'{"text": 5}', "application/json"),
    (b'{"text": "hi", "client_id": "' + b"x" * 65 + b'"}', "application/json"),
    (b'{"text": "hi"}', "text/plain"),
    (b'{"text": "hi"}', "application/problem+json; charset=utf-8"),
    (b'{"text": "hi"}', None),
    (b"null", "application/json"),                       # FastAPI: the body is missing
    (b'{"text": "hi"}', ""),                             # an empty content type: JSON, as none at all
    (b'{"text": "hi"}', "application/vnd/x+json"),      # two slashes: not JSON (email.message reads text/plain)
    (b'{"text": "hi"}', "APPLICATION/JSON ; charset=utf-8"),
]


@pytest.fixture(scope="module")
def client() -> TestClient:
    router = APIRouter(route_class=StrictJSONRoute)

    @router.post("/fastapi")
    async def by_fastapi(body: MessageIn) -> dict:
        return body.model_dump()

    @router.post("/lean")
    async def by_hand(request: Request) -> dict:
        return (await validated_body(request, MessageIn)).model_dump()

    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


@pytest.mark.parametrize(("body", "content_type"), BODIES)
def test_the_same_answer_as_fastapi(client: TestClient, body: bytes, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    expected = client.post("/fastapi", content=body, headers=headers)
    got = client.post("/lean", content=body, headers=headers)
    assert (got.status_code, got.json()) == (expected.status_code, expected.json())


def test_a_good_body_is_read(client: TestClient) -> None:
    reply = client.post("/lean", json={"text": " 燃气费在哪交 ", "client_id": "a1"})
    assert reply.status_code == 200 and reply.json()["client_id"] == "a1" and "燃气费" in reply.json()["text"]
