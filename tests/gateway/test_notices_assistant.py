"""Outage notices answered by the assistant, end to end (widget → gateway → Rasa with the trained model → actions →
the gateway's notice lookup): a planned notice asked about 48 hours ahead, a fault with its restore time, the place
asked for when none is known, a restore, and a repair report in a covered area told the notice first."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from gateway.clock import now
from gateway.notices import render
from tests.gateway.conftest import SERVICE_TOKEN, widget_session
from tests.gateway.test_notices_api import estate

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def publish(client: httpx.Client, **body) -> dict:
    response = client.post("/agent/api/notices", headers=SERVICE, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def at(hours: float) -> datetime:
    return (now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def ask(client: httpx.Client, headers: dict, text: str) -> list[dict]:
    response = client.post("/api/widget/messages", json={"text": text, "client_id": uuid.uuid4().hex}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def text_of(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def test_a_planned_notice_48_hours_ahead_and_a_fault_with_its_restore_time(client) -> None:
    headers, _ = widget_session(client)
    place = estate()
    starts = at(48) + timedelta(minutes=1)          # 48 hours ahead, to the minute
    planned = publish(client, utility="gas", company="kunlun", kind="planned", areas=[f"{place}1-5号楼"],
                      starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=9)).isoformat(),
                      reason="燃气管道改造")
    assert planned["short_notice"] is False, "published 48 hours ahead: the handbook's promise kept"
    reply = text_of(ask(client, headers, f"我们{place}3号楼这周停不停气"))
    assert render.period(starts, starts + timedelta(hours=9)) in reply and "燃气管道改造" in reply

    street = estate().replace("小区", "街道")
    ends = at(3)
    publish(client, utility="electricity", company="grid", kind="fault", areas=[street], starts_at=at(-1).isoformat(),
            ends_at=ends.isoformat(), reason="10千伏线路故障")
    reply = text_of(ask(client, headers, f"{street}为啥停电了 什么时候来电"))
    assert f"预计{render.day(ends)}{render.clock(ends)}恢复供电" in reply and "10千伏线路故障" in reply


def test_with_no_place_the_assistant_asks_for_it_and_says_when_none_is_published(client) -> None:
    headers, _ = widget_session(client)
    first = ask(client, headers, "暖气什么时候恢复")
    assert "请问是哪个小区、村或街道" in text_of(first)
    village = estate().replace("小区", "村")
    answer = ask(client, headers, village)
    assert f"目前没有查到{village}已发布的停暖通知" in text_of(answer)
    assert {"title": "登记报修", "payload": "/report_fault"} in answer[-1]["buttons"]


def test_a_restored_notice_is_answered_as_restored(client) -> None:
    headers, _ = widget_session(client)
    place = estate()
    fault = publish(client, utility="gas", company="kunlun", kind="fault", areas=[place], starts_at=at(-3).isoformat(),
                    ends_at=at(1).isoformat(), reason="中压管道抢修")
    restored = client.patch(f"/agent/api/notices/{fault['id']}", headers=SERVICE, json={"kind": "restored"}).json()
    back = datetime.fromisoformat(restored["restored_at"])
    reply = text_of(ask(client, headers, f"{place}来气了没有"))
    assert f"已于{render.day(back)}{render.clock(back)}恢复供气" in reply


def test_a_repair_report_in_a_covered_area_hears_the_notice_first_and_may_decline(client, internal) -> None:
    headers, conversation = widget_session(client)
    place = estate()
    ends = at(4)
    publish(client, utility="electricity", company="grid", kind="fault", areas=[f"{place}1-8号楼"],
            starts_at=at(-1).isoformat(), ends_at=ends.isoformat(), reason="变压器故障")
    first = text_of(ask(client, headers, f"{place}6号楼家里停电了 帮我报修"))
    assert "先告诉您，这个地址有已发布的停供通知" in first and "还需要登记报修吗" in first
    assert f"预计{render.day(ends)}{render.clock(ends)}恢复供电" in first
    declined = text_of(ask(client, headers, "不用了"))
    assert "不提交" in declined
    assert internal.get(f"/internal/conversations/{conversation}/tickets").json()["tickets"] == []
