"""Outage notices on the channels, fast (a stand-in for Rasa): the widget's 停电停气提醒 and 退订提醒 handled before
the assistant, a notice shown on the customer's next visit, and a caller whose number is on a ticket at an address
under an active notice hearing it right after the greeting."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

from gateway.channels.voice import GREETING
from gateway.clock import now
from tests.gateway.fast_app import SERVICE_TOKEN
from tests.gateway.test_notices_api import estate

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def publish(client, area: str, hours_ahead: float, duration: float = 8, kind: str = "planned", **fields) -> dict:
    starts = (now() + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    response = client.post("/agent/api/notices", headers=SERVICE, json={
        "utility": "gas", "company": "kunlun", "kind": kind, "areas": [area], "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=duration)).isoformat(), "reason": "燃气管道改造", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def widget(client) -> dict:
    return {"Authorization": f"Bearer {client.post('/api/widget/session').json()['token']}"}


def say(client, headers: dict, text: str, client_id: str | None = None) -> list[str]:
    response = client.post("/api/widget/messages", headers=headers,
                           json={"text": text, "client_id": client_id or uuid.uuid4().hex})
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


def test_a_widget_customer_subscribes_sees_current_notices_and_unsubscribes(make_client) -> None:
    client = make_client()
    place = estate()
    current = publish(client, f"{place}1-5号楼", hours_ahead=30)
    headers = widget(client)
    assert "请发给我要接收提醒的地址" in say(client, headers, "停电停气提醒")[0]
    [reply] = say(client, headers, f"{place.replace('小区', '社区')}三号楼", client_id="same-id")
    assert f"已为您开通停电停气提醒：{place.replace('小区', '社区')}3号楼" in reply
    assert current["summary"].split("：", 1)[1] in reply, "the notice already published for that place"
    assert say(client, headers, "whatever", client_id="same-id") == [reply], "a retry gets the same answer"
    assert client.app.state.rasa.sent == [], "the assistant was not asked"
    assert say(client, headers, "停电停气提醒")[0].startswith(f"您已订阅：{place.replace('小区', '社区')}3号楼")
    assert "已经订阅过了" in say(client, headers, f"{place}3号楼")[0], "the same place written differently"
    assert "已退订停电停气提醒" in say(client, headers, "退订提醒")[0]
    assert "没有开通" in say(client, headers, "退订提醒")[0]


def test_a_question_or_a_danger_while_an_address_is_awaited_goes_to_the_assistant(make_client) -> None:
    client = make_client()
    headers = widget(client)
    say(client, headers, "停电停气提醒")
    assert say(client, headers, "燃气费怎么交？") == ["收到：燃气费怎么交？"]
    assert say(client, headers, f"{estate()}2号楼") == [f"收到：{client.app.state.rasa.sent[-1][1]}"], "no longer awaited"
    say(client, headers, "停电停气提醒")
    assert say(client, headers, "家里有很大的煤气味") == ["收到：家里有很大的煤气味"]
    say(client, headers, "停电停气提醒")
    assert "没能认出这个地址" in say(client, headers, "嗯嗯嗯")[0]
    assert "先不开通" in say(client, headers, "算了")[0]


def test_a_change_reaches_the_widget_subscriber_on_their_next_visit(make_client) -> None:
    client = make_client(notice_push_seconds=0.5)
    place = estate()
    headers = widget(client)
    say(client, headers, "停电停气提醒")
    say(client, headers, f"{place}2号楼")
    notice = publish(client, f"{place}1-3号楼", hours_ahead=72)

    def notices() -> list[str]:
        messages = client.get("/api/widget/messages", headers=headers).json()["messages"]
        return [m["text"] for m in messages if m["role"] == "system"]
    deadline = time.monotonic() + 30
    while not notices() and time.monotonic() < deadline:
        time.sleep(0.3)
    [shown] = notices()
    assert shown.startswith("停气提醒：【计划停气】") and f"{place}2号楼" in shown and "退订提醒" in shown
    assert notice["summary"].split("】", 1)[1] in shown


def test_a_caller_at_an_address_under_an_active_notice_hears_it_after_the_greeting(make_client) -> None:
    client = make_client(voice_token="voice-test-token")
    place = estate()
    phone = "139" + str(uuid.uuid4().int)[:8]
    created = client.post("/internal/tickets", headers={**SERVICE, "Idempotency-Key": uuid.uuid4().hex}, json={
        "type": "repair", "utility": "gas", "conversation_id": f"web:{uuid.uuid4().hex}", "channel": "web",
        "contact_phone": phone, "address": f"{place}3号楼2单元", "description": "燃气灶打不着火"})
    assert created.status_code == 201
    publish(client, place, hours_ahead=-1, duration=5, kind="fault", reason="中压管道抢修")
    platform = {"Authorization": "Bearer voice-test-token"}
    call = client.post("/voice/v1/calls", headers=platform,
                       json={"call_id": uuid.uuid4().hex, "caller": phone, "called": "95158"}).json()
    hello = GREETING.split("。")[0]
    assert call["say"]["text"].startswith(f"{hello}。您登记的地址{place}3号楼目前在停供范围内：")
    assert "因为中压管道抢修停气" in call["say"]["text"] and "恢复供气" in call["say"]["text"]
    assert call["say"]["text"].endswith(GREETING.split("。", 1)[1])
    other = client.post("/voice/v1/calls", headers=platform,
                        json={"call_id": uuid.uuid4().hex, "caller": "13000000000", "called": "95158"}).json()
    assert other["say"]["text"] == GREETING


def test_erasing_a_conversation_deletes_its_subscriptions(make_client, migrated_database) -> None:
    from sqlalchemy import select

    from gateway.notices import subscriptions
    from gateway.notices.models import NoticeSubscription
    from tests.gateway.fast_app import run

    client = make_client()
    response = client.post("/api/widget/session").json()
    headers = {"Authorization": f"Bearer {response['token']}"}
    say(client, headers, "停电停气提醒")
    say(client, headers, f"{estate()}2号楼")

    async def erase(session) -> tuple[int, list]:
        erased = await subscriptions.erase(session, [response["conversation_id"]])
        await session.commit()
        left = (await session.scalars(select(NoticeSubscription).where(
            NoticeSubscription.conversation_id == response["conversation_id"]))).all()
        return erased, list(left)
    assert run(migrated_database, erase) == (1, [])


def test_agents_see_notices_at_the_address_of_a_handoffs_customer_of_their_company(make_client) -> None:
    from tests.gateway.fast_app import logged_in

    client = make_client()
    place = estate()
    notice = publish(client, place, hours_ahead=-1, duration=5, kind="fault", reason="中压管道抢修")
    publish(client, estate(), hours_ahead=-1, duration=5, kind="fault")            # elsewhere: not shown
    conversation = f"web:{uuid.uuid4().hex}"
    client.post("/internal/tickets", headers={**SERVICE, "Idempotency-Key": uuid.uuid4().hex}, json={
        "type": "repair", "utility": "gas", "conversation_id": conversation, "channel": "web", "company": "kunlun",
        "contact_phone": "13812345678", "address": f"{place}5号楼", "description": "燃气灶打不着火"})
    handoff = client.post("/internal/handoffs", headers=SERVICE, json={
        "conversation_id": conversation, "channel": "web", "summary": "客户要求人工"}).json()["handoff_id"]
    seen = logged_in(make_client(), "fast-kunlun").get(f"/agent/api/handoffs/{handoff}/notices")
    assert seen.status_code == 200
    [shown] = seen.json()["notices"]
    assert shown["id"] == notice["id"] and shown["active"] is True
    assert shown["customer_address"] == f"{place}5号楼" and shown["address_source"] == "ticket"
    assert shown["text"].startswith(f"【故障停气】{place}：")
    assert logged_in(make_client(), "fast-tianfu").get(f"/agent/api/handoffs/{handoff}/notices").status_code == 404
