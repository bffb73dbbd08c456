"""A customer asks for a human: the agent sees the context, chats live, and hands back to the assistant."""
from __future__ import annotations

import time

from tests.gateway.conftest import agent_client, widget_session


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def handoff_of(agent, conversation_id: str) -> dict | None:
    queue = agent.get("/agent/api/queue").json()["handoffs"]
    return next((h for h in queue if h["conversation_id"] == conversation_id), None)


def test_agent_actions_need_a_session(client) -> None:
    assert client.get("/agent/api/queue").status_code == 401
    assert client.post("/agent/api/handoffs/x/claim").status_code == 401
    assert client.get("/agent/api/tickets").status_code == 401
    bad = client.post("/agent/api/login", json={"username": "zhang", "password": "wrong"})
    assert bad.status_code == 401 and bad.json()["detail"] == "用户名或密码错误"


def test_human_handoff_round_trip(client, services) -> None:
    customer, conversation_id = widget_session(client)
    client.post("/api/widget/messages", json={"text": "我的电话13812345678，燃气费在哪交"}, headers=customer)
    reply = client.post("/api/widget/messages", json={"text": "转人工"}, headers=customer).json()
    assert reply["state"] == "waiting"

    zhang = agent_client(services, "zhang")
    handoff = wait_for(lambda: handoff_of(zhang, conversation_id))
    details = zhang.get(f"/agent/api/handoffs/{handoff['id']}").json()
    transcript = " ".join(m["text"] for m in details["transcript"])
    assert "燃气费在哪交" in transcript
    assert "13812345678" not in transcript and "138****5678" in transcript
    assert details["packet"]["reason"] == "request_human"

    assert zhang.post(f"/agent/api/handoffs/{handoff['id']}/claim").status_code == 200
    li = agent_client(services, "li")
    assert li.post(f"/agent/api/handoffs/{handoff['id']}/claim").status_code in (404, 409)

    while_agent = client.post("/api/widget/messages", json={"text": "我家燃气表不走字了"}, headers=customer).json()
    assert while_agent == {"messages": [], "state": "agent"}, "the bot stays silent while an agent owns it"
    zhang.post(f"/agent/api/handoffs/{handoff['id']}/messages", json={"text": "您好，我来帮您看看。"})
    history = client.get("/api/widget/messages", headers=customer).json()["messages"]
    assert any(m["role"] == "agent" and m["text"] == "您好，我来帮您看看。" for m in history)

    assert zhang.post(f"/agent/api/handoffs/{handoff['id']}/close").status_code == 204
    after = client.get("/api/widget/messages", headers=customer).json()
    assert after["state"] == "bot" and "打分" in after["messages"][-1]["text"]
    assert client.post("/api/widget/rating", json={"score": 6}, headers=customer).status_code == 422
    assert client.post("/api/widget/rating", json={"score": 5}, headers=customer).status_code == 204
    back = client.post("/api/widget/messages", json={"text": "燃气费在哪交"}, headers=customer).json()
    assert back["state"] == "bot" and back["messages"], "the assistant answers again"


def test_the_queue_puts_emergencies_first_and_offers_a_callback_after_the_wait(client, services) -> None:
    normal, normal_id = widget_session(client)
    client.post("/api/widget/messages", json={"text": "转人工"}, headers=normal)
    urgent, urgent_id = widget_session(client)
    client.post("/api/widget/messages", json={"text": "厨房里有很浓的煤气味"}, headers=urgent)
    boss = agent_client(services, "boss")
    queue = wait_for(lambda: [h["conversation_id"] for h in boss.get("/agent/api/queue").json()["handoffs"]
                              if h["conversation_id"] in (normal_id, urgent_id)] or None)
    assert queue[0] == urgent_id

    offer = wait_for(lambda: next((m for m in client.get("/api/widget/messages", headers=normal).json()["messages"]
                                   if m["role"] == "system" and "预约回电" in str(m["buttons"])), None), timeout=20)
    callback = client.post("/api/widget/messages", json={"text": offer["buttons"][0]["payload"]}, headers=normal).json()
    assert callback["state"] == "bot"
    last = client.get("/api/widget/messages", headers=normal).json()["messages"][-1]["text"]
    assert "已为您预约回电" in last and "HD" in last
