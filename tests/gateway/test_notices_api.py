"""Outage notices through the API (gateway/notices/api.py): supervisors and scripts publish, change and withdraw,
each change kept with who and when; a late planned notice is accepted and flagged; bad input and another company's
notice are refused; the public list holds nothing personal; the action server looks notices up by place or by the
customer's tickets."""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import pytest

from gateway.clock import now
from gateway.notices import render
from tests.gateway.fast_app import SERVICE_TOKEN, logged_in

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
NAME_CHARS = "安宁和平幸福锦绣翠湖春晖阳光金桂银杏枫林雅苑清泉碧水东篱南山星河"


def estate() -> str:
    """A 小区 name no other test uses (the database lives for the whole session)."""
    return "".join(random.choices(NAME_CHARS, k=4)) + "小区"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def planned(area: str, hours_ahead: float = 72, duration: float = 10, **fields) -> dict:
    starts = (now() + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    return {"utility": "gas", "company": "kunlun", "kind": "planned", "areas": [area], "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=duration)), "reason": "燃气管道改造", **fields}


@pytest.fixture
def boss(make_client):
    return logged_in(make_client(), "fast-boss")


def test_a_supervisor_publishes_changes_restores_and_withdraws_with_every_change_kept(boss) -> None:
    area = estate() + "1-5号楼"
    created = boss.post("/agent/api/notices", json=planned(area))
    assert created.status_code == 201, created.text
    notice = created.json()
    assert notice["id"] and notice["short_notice"] is False and notice["status"] == "published"
    assert notice["company_name"] == "昆仑燃气" and notice["created_by"] == "fast-boss"

    later = iso(datetime.fromisoformat(notice["ends_at"]) + timedelta(hours=3))
    changed = boss.patch(f"/agent/api/notices/{notice['id']}", json={"ends_at": later})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    restored = boss.patch(f"/agent/api/notices/{notice['id']}", json={"kind": "restored"}).json()
    assert restored["kind"] == "restored" and restored["restored_at"] and restored["version"] == 3
    withdrawn = boss.delete(f"/agent/api/notices/{notice['id']}")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert boss.patch(f"/agent/api/notices/{notice['id']}", json={"reason": "改"}).status_code == 409

    history = boss.get(f"/agent/api/notices/{notice['id']}").json()["history"]
    assert [(h["version"], h["action"], h["by"]) for h in history] == [
        (1, "published", "fast-boss"), (2, "updated", "fast-boss"), (3, "restored", "fast-boss"),
        (4, "withdrawn", "fast-boss")]
    assert history[1]["changes"]["ends_at"][1].startswith(later[:16]) and all(h["at"] for h in history)


def test_a_planned_notice_published_less_than_48_hours_ahead_is_accepted_and_flagged(boss) -> None:
    late = boss.post("/agent/api/notices", json=planned(estate(), hours_ahead=10))
    assert late.status_code == 201
    assert late.json()["short_notice"] is True
    assert "48小时" in late.json()["short_notice_detail"] and "第2条" in late.json()["short_notice_detail"]
    on_time = boss.post("/agent/api/notices", json=planned(estate(), hours_ahead=49)).json()
    assert on_time["short_notice"] is False and on_time["short_notice_detail"] is None
    fault = boss.post("/agent/api/notices", json=planned(estate(), hours_ahead=0, kind="fault")).json()
    assert fault["short_notice"] is False, "a fault cannot be announced ahead"
    flagged = boss.get("/agent/api/notices").json()
    assert late.json()["id"] in [n["id"] for n in flagged["notices"] if n["short_notice"]] and flagged["short_notice"] >= 1


@pytest.mark.parametrize(("change", "status"), [
    ({"starts_at": "2026-12-02T08:00:00"}, 422),                       # no offset
    ({"ends_at": "2020-01-01T08:00:00+08:00"}, 422),                  # ends before it starts
    ({"utility": "water"}, 422),
    ({"company": "acme"}, 422),
    ({"company": "kunlun", "utility": "electricity"}, 422),          # 昆仑燃气 supplies no electricity
    ({"kind": "maybe"}, 422),
    ({"areas": []}, 422),
    ({"areas": ["？？"]}, 422),
    ({"reason": ""}, 422),
    ({"surprise": 1}, 422),
])
def test_bad_input_is_refused_with_a_clear_4xx(boss, change: dict, status: int) -> None:
    response = boss.post("/agent/api/notices", json={**planned(estate()), **change})
    assert response.status_code == status, response.text


def test_agents_cannot_publish_and_companies_see_only_their_own(make_client) -> None:
    agent = logged_in(make_client(), "fast-agent")
    assert agent.post("/agent/api/notices", json=planned(estate())).status_code == 403
    tianfu = logged_in(make_client(), "fast-tianfu-boss")
    assert tianfu.post("/agent/api/notices", json=planned(estate())).status_code == 403    # kunlun's
    mine = tianfu.post("/agent/api/notices", json=planned(estate(), company=None, utility="heat"))
    assert mine.status_code == 201 and mine.json()["company"] == "tianfu", "default: the supervisor's company"
    kunlun_notice = make_client().post("/agent/api/notices", json=planned(estate()), headers=SERVICE).json()
    for call in (tianfu.get, tianfu.delete):
        assert call(f"/agent/api/notices/{kunlun_notice['id']}").status_code == 404
    assert tianfu.patch(f"/agent/api/notices/{kunlun_notice['id']}", json={"reason": "x"}).status_code == 404
    assert kunlun_notice["id"] not in [n["id"] for n in tianfu.get("/agent/api/notices").json()["notices"]]
    assert kunlun_notice["id"] in [n["id"] for n in agent.get("/agent/api/notices").json()["notices"]]
    kunlun_agent = logged_in(make_client(), "fast-kunlun")
    assert mine.json()["id"] not in [n["id"] for n in kunlun_agent.get("/agent/api/notices").json()["notices"]]


def test_scripts_publish_with_the_service_token_and_name_their_company(make_client) -> None:
    client = make_client()
    assert client.post("/agent/api/notices", json=planned(estate())).status_code == 401
    assert client.post("/agent/api/notices", json=planned(estate()),
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    unnamed = client.post("/agent/api/notices", json=planned(estate(), company=None), headers=SERVICE)
    assert unnamed.status_code == 422, "no company and no deployment default"
    assert client.post("/agent/api/notices", json=planned(estate()), headers=SERVICE).json()["created_by"] == "service"


def test_the_public_list_has_current_and_coming_notices_and_nothing_personal(boss, make_client) -> None:
    area = estate()
    current = boss.post("/agent/api/notices", json=planned(area, hours_ahead=-1, duration=5)).json()
    coming = boss.post("/agent/api/notices", json=planned(area + "3号楼", hours_ahead=30)).json()
    ended = boss.post("/agent/api/notices", json=planned(area, hours_ahead=-30, duration=2)).json()
    withdrawn = boss.post("/agent/api/notices", json=planned(area)).json()
    boss.delete(f"/agent/api/notices/{withdrawn['id']}")
    public = make_client().get("/api/notices", params={"utility": "gas", "area": area.replace("小区", "社区") + "3号楼"})
    assert public.status_code == 200
    found = {n["id"]: n for n in public.json()["notices"]}
    assert set(found) >= {current["id"], coming["id"]} and not {ended["id"], withdrawn["id"]} & set(found)
    shown = found[current["id"]]
    assert "created_by" not in shown and "fast-boss" not in str(public.json())
    assert shown["summary"] == render.customer_text(shown)
    assert make_client().get("/api/notices", params={"area": "？"}).status_code == 422


def test_the_assistant_looks_notices_up_by_sentence_or_by_the_customers_tickets(boss, make_client) -> None:
    client = make_client()
    area = estate()
    fault = boss.post("/agent/api/notices", json=planned(area, hours_ahead=-2, duration=6, kind="fault",
                                                          reason="中压管线抢修")).json()
    said = client.get("/internal/notices", headers=SERVICE,
                      params={"utility": "gas", "place": f"我们{area}3号楼怎么停气了"}).json()
    assert said["place"]["source"] == "said" and said["place"]["text"] == f"{area}3号楼"
    [match] = [n for n in said["notices"] if n["id"] == fault["id"]]
    assert match["active"] is True and match["coverage"] == "covers"
    ends = datetime.fromisoformat(fault["ends_at"])
    assert f"预计{render.day(ends)}{render.clock(ends)}恢复供气" in match["text"]
    assert "恢复供气" in match["speech"] and "（" not in match["speech"]
    assert client.get("/internal/notices", params={"place": area}).status_code == 401

    conversation = f"web:{uuid.uuid4().hex}"
    ticket = client.post("/internal/tickets", headers={**SERVICE, "Idempotency-Key": uuid.uuid4().hex}, json={
        "type": "repair", "utility": "gas", "conversation_id": conversation, "channel": "web",
        "contact_phone": "13812345678", "address": f"{area}2号楼3单元402", "description": "燃气表不走字了"})
    assert ticket.status_code == 201
    known = client.get("/internal/notices", headers=SERVICE,
                       params={"utility": "gas", "place": "我家怎么停气了", "conversation_id": conversation}).json()
    assert known["place"]["source"] == "ticket" and fault["id"] in [n["id"] for n in known["notices"]]
    nowhere = client.get("/internal/notices", headers=SERVICE, params={"place": "暖气什么时候恢复"}).json()
    assert nowhere == {"place": None, "notices": []}
    other = client.get("/internal/notices", headers=SERVICE, params={"utility": "gas", "place": estate()}).json()
    assert other["place"] is not None and other["notices"] == []
