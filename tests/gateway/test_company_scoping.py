"""Each customer gets their own company's promises, and each company's agents see only their own customers:
tickets promise per company and area, an installation's clock starts at 具备施工条件, and an agent of one
company finds another company's handoffs and tickets absent (404), privacy requests included."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from gateway.clock import now
from tests.gateway.fast_app import SERVICE_TOKEN, logged_in

INTERNAL = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def _ticket(client, *, kind: str = "repair", utility: str = "gas", company: str | None = None,
            conversation: str | None = None, **fields) -> dict:
    body = {"type": kind, "utility": utility, "conversation_id": conversation or f"web:{uuid.uuid4().hex}",
            "channel": "web", "contact_phone": "13812345678", "address": "幸福小区8栋1单元1201",
            "description": "燃气表不走字了", **fields}
    if company:
        body["company"] = company
    response = client.post("/internal/tickets", json=body, headers={**INTERNAL, "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()


def _handoff(client, conversation: str) -> str:
    response = client.post("/internal/handoffs", headers=INTERNAL, json={
        "conversation_id": conversation, "channel": "web", "reason": "request_human", "summary": "客户要求人工"})
    assert response.status_code in (200, 201), response.text
    return response.json()["handoff_id"]


def test_village_electricity_repairs_promise_by_company_and_area(make_client) -> None:
    client = make_client()
    village = {"utility": "electricity", "address": "石河子乡红星村三组12号", "description": "家里停电了"}
    grid = _ticket(client, company="grid", **village)
    assert grid["sla"]["limit_id"] == "electricity.repair_arrival.rural" and grid["area"] is None
    assert "国家电网" in grid["sla"]["citation"] or "95598" in grid["sla"]["citation"]
    remote = _ticket(client, company="grid", area="remote", **{**village, "address": "塔什库尔干县牧场"})
    assert remote["sla"]["value"] == 120 and remote["area"] == "remote"
    tianfu = _ticket(client, company="tianfu", **village)
    assert tianfu["due_at"] is None and tianfu["sla"] is None      # 天富热电 publishes no arrival time
    unknown = _ticket(client, **village)
    assert unknown["due_at"] is None and unknown["company"] is None  # whose customer is not known: no promise


def test_complaints_get_their_own_companys_limit(make_client) -> None:
    client = make_client()
    tianfu = _ticket(client, kind="complaint", utility="electricity", company="tianfu", description="抄表员态度差")
    assert tianfu["sla"]["limit_id"] == "electricity.complaint_reply.tianfu" and tianfu["sla"]["unit"] == "working_days"
    kunlun = _ticket(client, kind="complaint", utility="gas", company="kunlun", description="维修师傅迟到")
    assert kunlun["sla"]["limit_id"] == "gas.complaint.reply" and kunlun["sla"]["value"] == 48
    unbound = _ticket(client, kind="complaint", utility="gas", description="维修师傅迟到")
    assert unbound["sla"] is None


def test_a_bound_conversation_keeps_its_company_whatever_the_request_says(make_client) -> None:
    client = make_client()
    conversation = f"web:{uuid.uuid4().hex}"
    first = _ticket(client, company="tianfu", conversation=conversation, utility="electricity",
                    kind="complaint", description="收费有问题")
    assert first["company"] == "tianfu"
    second = _ticket(client, company="grid", conversation=conversation, utility="electricity",
                     kind="complaint", description="又有问题")
    assert second["company"] == "tianfu"


def test_an_installation_gets_its_due_date_when_its_conditions_are_met(make_client) -> None:
    client = make_client()
    ticket = _ticket(client, kind="installation", company="kunlun", customer_type="residential",
                     description="居民用户燃气报装")
    assert ticket["due_at"] is None and "具备施工条件" in ticket["due_text"]
    agent = logged_in(make_client(), "fast-kunlun")
    number = ticket["ticket_no"]
    today = now().date()
    ready = agent.post(f"/agent/api/tickets/{number}/status",
                       json={"status": "具备施工条件", "conditions_met_on": today.isoformat()}).json()
    assert ready["status"] == "具备施工条件" and ready["conditions_met_on"] == today.isoformat()
    assert ready["due_at"] is not None and date.fromisoformat(ready["due_at"][:10]) > today
    first_due = ready["due_at"]
    no_reason = agent.post(f"/agent/api/tickets/{number}/status",
                           json={"status": "具备施工条件", "conditions_met_on": today.isoformat()})
    assert no_reason.status_code == 422 and "理由" in no_reason.json()["detail"]
    future = agent.post(f"/agent/api/tickets/{number}/status", json={
        "status": "具备施工条件", "conditions_met_on": (today + timedelta(days=3)).isoformat(), "note": "填错"})
    assert future.status_code == 422
    assert agent.post(f"/agent/api/tickets/{number}/status", json={"status": "已派单"}).status_code == 200
    assert agent.post(f"/agent/api/tickets/{number}/status",
                      json={"status": "具备施工条件", "note": "晚了"}).status_code == 422   # after 已派单: no going back
    repair = _ticket(client, company="kunlun")
    wrong = agent.post(f"/agent/api/tickets/{repair['ticket_no']}/status", json={"status": "具备施工条件"})
    assert wrong.status_code == 422                    # only installations have it
    assert agent.get(f"/agent/api/tickets/{number}").json()["due_at"] == first_due


def test_an_installation_date_is_corrected_with_a_reason(make_client) -> None:
    client = make_client()
    ticket = _ticket(client, kind="installation", company="kunlun", customer_type="residential",
                     description="居民用户燃气报装")
    agent = logged_in(make_client(), "fast-kunlun")
    path = f"/agent/api/tickets/{ticket['ticket_no']}/status"
    today = now().date()
    first = agent.post(path, json={"status": "具备施工条件", "conditions_met_on": today.isoformat()}).json()
    corrected = agent.post(path, json={"status": "具备施工条件", "conditions_met_on": today.isoformat(),
                                       "note": "资料补齐日期核对无误"}).json()
    assert corrected["due_at"] == first["due_at"]
    assert [e["status"] for e in corrected["history"]].count("具备施工条件") == 2
    assert "资料补齐日期核对无误" in corrected["history"][-1]["note"]


def test_an_agent_sees_only_their_own_companys_handoffs_and_tickets(make_client) -> None:
    client = make_client()
    kunlun_conversation, tianfu_conversation = f"web:{uuid.uuid4().hex}", f"web:{uuid.uuid4().hex}"
    kunlun_ticket = _ticket(client, company="kunlun", conversation=kunlun_conversation)
    tianfu_ticket = _ticket(client, company="tianfu", conversation=tianfu_conversation, utility="heat",
                            description="暖气不热")
    kunlun_handoff, tianfu_handoff = _handoff(client, kunlun_conversation), _handoff(client, tianfu_conversation)

    kunlun = logged_in(make_client(), "fast-kunlun")
    queue = {h["id"]: h for h in kunlun.get("/agent/api/queue").json()["handoffs"]}
    assert kunlun_handoff in queue and tianfu_handoff not in queue
    assert queue[kunlun_handoff]["company_name"] == "昆仑燃气"
    assert kunlun.get(f"/agent/api/handoffs/{tianfu_handoff}").status_code == 404
    assert kunlun.post(f"/agent/api/handoffs/{tianfu_handoff}/claim").status_code == 404
    assert kunlun.get(f"/agent/api/tickets/{tianfu_ticket['ticket_no']}").status_code == 404
    assert kunlun.post(f"/agent/api/tickets/{tianfu_ticket['ticket_no']}/status",
                       json={"status": "已派单"}).status_code == 404
    found = kunlun.get("/agent/api/tickets", params={"q": "13812345678"}).json()["tickets"]
    assert {t["company"] for t in found} == {"kunlun"} and kunlun_ticket["ticket_no"] in {t["ticket_no"] for t in found}
    packet = kunlun.get(f"/agent/api/handoffs/{kunlun_handoff}").json()
    assert packet["company_name"] == "昆仑燃气"
    assert kunlun.get(f"/agent/api/tickets/{kunlun_ticket['ticket_no']}").json()["company_name"] == "昆仑燃气"

    tianfu_boss = logged_in(make_client(), "fast-tianfu-boss")
    assert tianfu_boss.get(f"/agent/api/handoffs/{kunlun_handoff}").status_code == 404
    exported = tianfu_boss.get("/agent/api/privacy/export", params={"phone": "13812345678"}).json()
    assert {t["company"] for t in exported["tickets"]} == {"tianfu"}
    platform = logged_in(make_client(), "fast-boss")           # a platform operator: every company
    ids = {h["id"] for h in platform.get("/agent/api/queue").json()["handoffs"]}
    assert {kunlun_handoff, tianfu_handoff} <= ids


def test_a_ticket_naming_an_unknown_company_is_refused(make_client) -> None:
    client = make_client()
    body = {"type": "repair", "utility": "gas", "conversation_id": f"web:{uuid.uuid4().hex}", "channel": "web",
            "contact_phone": "13812345678", "description": "燃气表不走字了", "company": "acme"}
    refused = client.post("/internal/tickets", json=body, headers={**INTERNAL, "Idempotency-Key": uuid.uuid4().hex})
    assert refused.status_code == 422 and "unknown company" in refused.text
