"""The action server's ticket and notice calls are served lean (gateway/lean_route.py): each answer, error or not,
is byte for byte what FastAPI gives when it runs the route's documented endpoint, mounted here under /reference on
the same app and database (time stopped, so deadlines and start times read alike). PostgreSQL and an SQLite file."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from starlette.testclient import TestClient

from gateway.api import internal
from gateway.clock import now
from gateway.migrate import upgrade
from gateway.notices import api as notices_api
from gateway.strict_json import StrictJSONRoute
from tests.gateway.fast_app import SERVICE_TOKEN, open_client

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
ESTATE = "澄湖湾小区"


def repair(conversation_id: str, **changes: Any) -> dict[str, Any]:
    return {"type": "repair", "utility": "gas", "conversation_id": conversation_id, "channel": "web",
            "contact_phone": "13812345678", "address": f"{ESTATE}8栋1单元1201", "description": "燃气表不走字了",
            "company": "kunlun", **changes}


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('lean') / 'lean.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["postgresql", "sqlite"])
def client(request, migrated_database: str, redis_url: str, monkeypatch) -> Iterator[TestClient]:
    """The gateway, with FastAPI's own routes for the three endpoints under /reference; `now` stopped."""
    url = migrated_database
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_database")
    elif not url.startswith("postgresql"):
        pytest.skip("no PostgreSQL here")
    stopped = now().replace(microsecond=0)
    for module in ("gateway.tickets", "gateway.ticket_store", "gateway.notices.lookup", "gateway.notices.service"):
        monkeypatch.setattr(f"{module}.now", lambda: stopped)
    client = open_client(url, redis_url)
    reference = APIRouter(prefix="/reference", tags=["internal"], route_class=StrictJSONRoute)
    reference.add_api_route("/internal/tickets", internal.create, methods=["POST"], status_code=201)
    reference.add_api_route("/internal/conversations/{conversation_id}/tickets", internal.tickets_of, methods=["GET"])
    reference.add_api_route("/internal/notices", notices_api.lookup, methods=["GET"])
    client.app.include_router(reference)
    yield client
    client.__exit__(None, None, None)


def both(client: TestClient, method: str, path: str, **request: Any) -> tuple[httpx.Response, httpx.Response]:
    return client.request(method, path, **request), client.request(method, "/reference" + path, **request)


def same(client: TestClient, method: str, path: str, **request: Any) -> httpx.Response:
    lean, reference = both(client, method, path, **request)
    assert (lean.status_code, lean.headers["content-type"], lean.content) == \
        (reference.status_code, reference.headers["content-type"], reference.content)
    return lean


def key(**headers: str) -> dict[str, str]:
    return {**SERVICE, "Idempotency-Key": uuid.uuid4().hex, **headers}


def conversation() -> str:
    return f"web:{uuid.uuid4().hex}"


BAD_TICKETS: list[tuple[str, dict[str, str], bytes | None, int]] = [
    ("no token", {"Idempotency-Key": "k"}, json.dumps(repair("web:x")).encode(), 401),
    ("wrong token", {"Authorization": "Bearer wrong", "Idempotency-Key": "k"}, json.dumps(repair("web:x")).encode(), 401),
    ("lower-case bearer", {"Authorization": f"bearer {SERVICE_TOKEN}", "Idempotency-Key": "k"},
     json.dumps(repair("web:x")).encode(), 401),
    ("malformed JSON is refused before the token", {"Idempotency-Key": "k"}, b"{not json", 422),
    ("an invalid body without the token", {"Idempotency-Key": "k"}, b'{"type": "party"}', 401),
    ("no Idempotency-Key", SERVICE, json.dumps(repair("web:x")).encode(), 400),
    ("an empty Idempotency-Key", {**SERVICE, "Idempotency-Key": ""}, json.dumps(repair("web:x")).encode(), 400),
    ("a long key and a bad body: both reported", {**SERVICE, "Idempotency-Key": "k" * 201},
     json.dumps(repair("web:x", contact_phone="12345", description="  ")).encode(), 422),
    ("no body", {**SERVICE, "Idempotency-Key": "k"}, None, 422),
    ("a null body", {**SERVICE, "Idempotency-Key": "k"}, b"null", 422),
    ("a list", {**SERVICE, "Idempotency-Key": "k"}, b"[1, 2]", 422),
    ("NaN", {**SERVICE, "Idempotency-Key": "k"}, b'{"type": NaN}', 422),
    ("a lone surrogate", {**SERVICE, "Idempotency-Key": "k"}, b'{"description": "\\ud800"}', 422),
    ("text/plain", {**SERVICE, "Idempotency-Key": "k", "Content-Type": "text/plain"},
     json.dumps(repair("web:x")).encode(), 422),
    ("an empty content type reads as JSON", {**SERVICE, "Idempotency-Key": "k", "Content-Type": ""}, b"{}", 422),
    ("problem+json", {**SERVICE, "Idempotency-Key": "k", "Content-Type": "application/problem+json"}, b"{}", 422),
    ("wrong fields", {**SERVICE, "Idempotency-Key": "k"},
     json.dumps(repair("bad id!", type="party", company="acme", priority="now", account_no="1")).encode(), 422),
]


@pytest.mark.parametrize(("case", "headers", "body", "status"), BAD_TICKETS, ids=[c[0] for c in BAD_TICKETS])
def test_a_refused_ticket_request_gets_fastapis_answer(client, case: str, headers: dict[str, str],
                                                        body: bytes | None, status: int) -> None:
    headers = {"Content-Type": "application/json", **headers}
    assert same(client, "POST", "/internal/tickets", content=body, headers=headers).status_code == status


def test_created_201_replayed_200_and_a_changed_request_409_as_before(client) -> None:
    first, second = conversation(), conversation()
    lean_headers, reference_headers = key(), key()
    lean = client.post("/internal/tickets", json=repair(first), headers=lean_headers)
    reference = client.post("/reference/internal/tickets", json=repair(first), headers=reference_headers)
    assert (lean.status_code, reference.status_code) == (201, 201)
    numbered = {**reference.json(), "ticket_no": lean.json()["ticket_no"]}
    assert lean.json() == numbered and lean.json()["history"][0]["note"] == "创建工单"
    for headers in (lean_headers, reference_headers):     # each one's key, replayed by both
        assert same(client, "POST", "/internal/tickets", json=repair(first), headers=headers).status_code == 200
        conflict = same(client, "POST", "/internal/tickets", json=repair(first, description="另一件事"), headers=headers)
        assert conflict.status_code == 409
    bound = client.post("/internal/tickets", json=repair(second, company="tianfu", utility="heat"), headers=key())
    assert bound.status_code == 201 and bound.json()["company"] == "tianfu"
    again = client.post("/internal/tickets", json=repair(second, company="kunlun"), headers=key())
    assert again.json()["company"] == "tianfu", "a bound conversation's own company wins"


def test_a_customers_tickets_read_alike(client) -> None:
    mine, theirs = conversation(), conversation()
    numbers = [client.post("/internal/tickets", json=repair(mine, description=f"第{i}次"), headers=key()).json()["ticket_no"]
               for i in range(6)]
    other = client.post("/internal/tickets", json=repair(theirs), headers=key()).json()["ticket_no"]
    listed = same(client, "GET", f"/internal/conversations/{mine}/tickets", headers=SERVICE).json()["tickets"]
    assert [t["ticket_no"] for t in listed] == numbers[::-1][:5]
    named = same(client, "GET", f"/internal/conversations/{mine}/tickets", params={"ticket_no": numbers[0].lower()},
                 headers=SERVICE).json()["tickets"]
    assert [t["ticket_no"] for t in named] == [numbers[0]]
    assert same(client, "GET", f"/internal/conversations/{mine}/tickets", params={"ticket_no": other},
                headers=SERVICE).json() == {"tickets": []}
    assert same(client, "GET", "/internal/conversations/web:nobody/tickets", headers=SERVICE).json() == {"tickets": []}


@pytest.mark.parametrize(("path", "params", "headers", "status"), [
    ("/internal/conversations/web:x/tickets", {}, {}, 401),
    ("/internal/conversations/web:x/tickets", {}, {"Authorization": "Bearer wrong"}, 401),
    ("/internal/conversations/web:x!/tickets", {"ticket_no": "nope"}, {}, 401),
    ("/internal/conversations/web:x!/tickets", {"ticket_no": "nope"}, SERVICE, 422),
    ("/internal/conversations/web:x/tickets", {"ticket_no": "BX2026"}, SERVICE, 422),
    ("/internal/conversations/web:x/tickets", {"ticket_no": ""}, SERVICE, 422),
    ("/internal/notices", {"place": "幸福小区"}, {}, 401),
    ("/internal/notices", {"place": "x" * 301}, SERVICE, 422),
    ("/internal/notices", {"utility": "water", "within_hours": "soon", "known": "maybe", "company": "c" * 21,
                           "conversation_id": "bad id!"}, SERVICE, 422),
    ("/internal/notices", {"within_hours": "-1"}, SERVICE, 422),
    ("/internal/notices", {"within_hours": "1e9"}, SERVICE, 422),
    ("/internal/notices", {"within_hours": "nan"}, SERVICE, 422),
    ("/internal/notices", {}, SERVICE, 200),
    ("/internal/notices", {"place": "", "known": "yes", "within_hours": "24"}, SERVICE, 200),
], ids=lambda value: str(value)[:40])
def test_a_refused_lookup_gets_fastapis_answer(client, path: str, params: dict, headers: dict, status: int) -> None:
    assert same(client, "GET", path, params=params, headers=headers).status_code == status


def test_notices_for_a_place_said_or_known_read_alike(client) -> None:
    stopped = now()
    for hours_ahead, area in ((-2, ESTATE), (30, f"{ESTATE}1-5号楼"), (3, "别的小区")):
        starts = (stopped + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
        created = client.post("/agent/api/notices", headers=SERVICE, json={
            "utility": "gas", "company": "kunlun", "kind": "planned", "areas": [area], "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=8)).isoformat(), "reason": "燃气管道改造"})
        assert created.status_code == 201, created.text
    customer = conversation()
    assert client.post("/internal/tickets", json=repair(customer), headers=key()).status_code == 201
    asked = {"utility": "gas", "conversation_id": customer, "company": "kunlun", "within_hours": 168}
    said = same(client, "GET", "/internal/notices", params={**asked, "place": f"我们{ESTATE}3号楼怎么停气了"}, headers=SERVICE)
    assert said.json()["place"]["source"] == "said" and len(said.json()["notices"]) == 2
    known = same(client, "GET", "/internal/notices", params={**asked, "place": "我家燃气表不走字了"}, headers=SERVICE)
    assert known.json()["place"]["source"] == "ticket" and known.json()["notices"]
    unknown = same(client, "GET", "/internal/notices", params={**asked, "place": "我家燃气表不走字了", "known": "false"},
                   headers=SERVICE)
    assert unknown.json() == {"place": None, "notices": []}
    nowhere = same(client, "GET", "/internal/notices", params={**asked, "place": "望京街道", "company": "acme"},
                   headers=SERVICE)
    assert nowhere.json()["place"]["text"] == "望京街道" and nowhere.json()["notices"] == []


def test_the_routes_are_documented_as_before(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/internal/tickets", "post"), ("/internal/conversations/{conversation_id}/tickets", "get"),
                         ("/internal/notices", "get")):
        lean, reference = dict(paths[path][method]), dict(paths["/reference" + path][method])
        assert lean.pop("operationId") == reference.pop("operationId").replace("_reference", "")
        assert json.dumps(lean) == json.dumps(reference).replace(" Reference", "")
