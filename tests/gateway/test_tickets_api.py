"""The internal ticket API: authenticated, idempotent, and never two tickets for one request."""
from __future__ import annotations

import asyncio
import re
import uuid

import httpx

from tests.gateway.conftest import SERVICE_TOKEN

REPAIR = {"type": "repair", "utility": "gas", "conversation_id": "rest:ticket-test", "channel": "rest",
          "contact_phone": "13812345678", "address": "幸福小区8栋1单元1201", "description": "燃气表不走字",
          "priority": "normal"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test:{uuid.uuid4()}"}


def test_tickets_need_the_service_token(client, internal) -> None:
    assert client.post("/internal/tickets", json=REPAIR, headers=key()).status_code == 401
    assert client.post("/internal/tickets", json=REPAIR,
                       headers={**key(), "Authorization": "Bearer wrong"}).status_code == 401


def test_a_ticket_needs_an_idempotency_key_and_valid_fields(internal) -> None:
    assert internal.post("/internal/tickets", json=REPAIR).status_code == 400
    assert internal.post("/internal/tickets", json={**REPAIR, "contact_phone": "12345"}, headers=key()).status_code == 422
    assert internal.post("/internal/tickets", json={**REPAIR, "description": "  "}, headers=key()).status_code == 422
    assert internal.post("/internal/tickets", json={**REPAIR, "type": "party"}, headers=key()).status_code == 422


def test_a_repair_ticket_gets_a_readable_number_and_the_handbook_deadline(internal) -> None:
    response = internal.post("/internal/tickets", json={**REPAIR, "company": "kunlun"}, headers=key())
    assert response.status_code == 201
    ticket = response.json()
    assert re.fullmatch(r"BX\d{8}-\d{4}", ticket["ticket_no"])
    assert ticket["status"] == "已受理"
    assert ticket["sla"]["value"] == 24 and ticket["sla"]["unit"] == "hours"
    assert ticket["sla"]["citation"] == "依据《天然气客户标准化服务指导手册》第12条"
    assert ticket["due_text"].endswith("前")
    assert ticket["history"][0]["status"] == "已受理" and ticket["history"][0]["by"] == "assistant"


def test_a_retry_returns_the_same_ticket_and_a_changed_body_is_refused(internal) -> None:
    headers = key()
    first = internal.post("/internal/tickets", json=REPAIR, headers=headers)
    again = internal.post("/internal/tickets", json=REPAIR, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["ticket_no"] == again.json()["ticket_no"]
    changed = internal.post("/internal/tickets", json={**REPAIR, "description": "别的问题"}, headers=headers)
    assert changed.status_code == 409


def test_concurrent_retries_of_one_request_create_one_ticket(services) -> None:
    headers = {**key(), "Authorization": f"Bearer {SERVICE_TOKEN}"}
    body = {**REPAIR, "conversation_id": f"rest:{uuid.uuid4().hex}"}

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=services.gateway, timeout=30) as http:
            return await asyncio.gather(*(http.post("/internal/tickets", json=body, headers=headers) for _ in range(12)))

    responses = asyncio.run(burst())
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert len({r.json()["ticket_no"] for r in responses}) == 1
    assert sum(r.status_code == 201 for r in responses) == 1


def test_ticket_numbers_are_unique_under_concurrent_creation(services) -> None:
    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=services.gateway, timeout=30,
                                     headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}) as http:
            return await asyncio.gather(*(http.post("/internal/tickets", json=REPAIR, headers=key()) for _ in range(10)))

    numbers = [r.json()["ticket_no"] for r in asyncio.run(burst())]
    assert len(set(numbers)) == 10


def test_an_installation_deadline_depends_on_the_customer_type(internal) -> None:
    base = {**REPAIR, "type": "installation", "description": "新房开通燃气", "company": "kunlun"}
    residential = internal.post("/internal/tickets", json={**base, "customer_type": "residential"}, headers=key()).json()
    shop = internal.post("/internal/tickets", json={**base, "customer_type": "non_residential",
                                                    "external_pipeline": True}, headers=key()).json()
    assert residential["ticket_no"].startswith("BZ")
    assert (residential["sla"]["value"], shop["sla"]["value"]) == (7, 35)
    assert residential["due_at"] is None, "the clock starts when the conditions are met (具备施工条件)"


def test_a_customer_sees_only_their_own_tickets(internal) -> None:
    mine = internal.post("/internal/tickets", json={**REPAIR, "conversation_id": "rest:owner-a"}, headers=key()).json()
    own = internal.get("/internal/conversations/rest:owner-a/tickets", params={"ticket_no": mine["ticket_no"]}).json()
    other = internal.get("/internal/conversations/rest:owner-b/tickets", params={"ticket_no": mine["ticket_no"]}).json()
    internal.post("/internal/tickets", json={**REPAIR, "conversation_id": "rest:owner-b"}, headers=key())
    listed = internal.get("/internal/conversations/rest:owner-b/tickets").json()
    assert [t["ticket_no"] for t in own["tickets"]] == [mine["ticket_no"]]
    assert other["tickets"] == []
    assert mine["ticket_no"] not in [t["ticket_no"] for t in listed["tickets"]]


def test_proving_identity_with_account_and_phone_digits_shows_tickets_from_other_channels(internal) -> None:
    account = str(uuid.uuid4().int)[:9]
    ticket = internal.post("/internal/tickets", headers=key(), json={
        **REPAIR, "conversation_id": f"wechat:o_{uuid.uuid4().hex[:10]}", "channel": "wechat",
        "contact_phone": "13812340000", "account_no": account}).json()
    web, stranger = f"web:{uuid.uuid4().hex}", f"web:{uuid.uuid4().hex}"
    wrong = internal.post(f"/internal/conversations/{stranger}/verify", json={"account_no": account, "phone_last4": "9999"})
    assert wrong.json() == {"verified": False, "attempts_left": 4}
    assert internal.get(f"/internal/conversations/{stranger}/tickets").json()["tickets"] == []
    right = internal.post(f"/internal/conversations/{web}/verify", json={"account_no": account, "phone_last4": "0000"})
    assert right.json() == {"verified": True, "attempts_left": 4}
    by_number = internal.post(f"/internal/conversations/{stranger}/verify",
                              json={"ticket_no": ticket["ticket_no"], "phone_last4": "0000"})
    assert by_number.json()["verified"] is True, "the ticket number proves it as well as the 户号"
    both = internal.post(f"/internal/conversations/{stranger}/verify",
                         json={"account_no": account, "ticket_no": ticket["ticket_no"], "phone_last4": "0000"})
    assert both.status_code == 422
    listed = internal.get(f"/internal/conversations/{web}/tickets").json()["tickets"]
    assert [t["ticket_no"] for t in listed] == [ticket["ticket_no"]]


def test_identity_guessing_is_rate_limited(internal) -> None:
    web = f"web:{uuid.uuid4().hex}"
    codes = [internal.post(f"/internal/conversations/{web}/verify",
                           json={"account_no": "12345678", "phone_last4": f"{i:04d}"}).status_code for i in range(7)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429


def test_a_ticket_gets_the_promise_of_its_conversations_company(client, internal) -> None:
    tianfu = client.post("/api/widget/session", json={"company": "tianfu"}).json()["conversation_id"]
    unbound = client.post("/api/widget/session").json()["conversation_id"]
    body = {**REPAIR, "utility": "electricity", "address": "红星村三组12号"}
    theirs = internal.post("/internal/tickets", headers=key(), json={**body, "conversation_id": tianfu}).json()
    assert theirs["company"] == "tianfu" and theirs["due_at"] is None and theirs["sla"] is None
    unknown = internal.post("/internal/tickets", headers=key(), json={**body, "conversation_id": unbound}).json()
    assert unknown["sla"] is None, "unbound and not told whose customer: no company's time is promised"
    grid = client.post("/api/widget/session", json={"company": "grid"}).json()["conversation_id"]
    village = internal.post("/internal/tickets", headers=key(), json={**body, "conversation_id": grid}).json()
    assert village["sla"]["value"] == 85, "a village gets the 95598 rural arrival time, not the town's 40 minutes"
    assert client.post("/api/widget/session", json={"company": "acme"}).status_code == 422
    assert {"id": "tianfu", "name": "天富热电", "utilities": ["electricity", "heat", "gas"]} in \
        client.get("/api/widget/companies").json()


def test_agents_see_numbers_typed_into_the_address_and_notes_masked(internal, services) -> None:
    from tests.gateway.conftest import agent_client

    ticket = internal.post("/internal/tickets", headers=key(), json={
        **REPAIR, "address": "幸福小区8栋 有事打13812345678", "conversation_id": f"web:{uuid.uuid4().hex}"}).json()
    boss = agent_client(services, "boss")
    boss.post(f"/agent/api/tickets/{ticket['ticket_no']}/status", json={"status": "已派单", "note": "客户身份证110101199003071234"})
    seen = boss.get(f"/agent/api/tickets/{ticket['ticket_no']}").json()
    assert "13812345678" not in seen["address"] and "138****5678" in seen["address"]
    assert all("110101199003071234" not in (h["note"] or "") for h in seen["history"])
