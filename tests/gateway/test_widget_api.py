"""The widget API: sessions the client cannot forge, bad input refused clearly, answers from the bot."""
from __future__ import annotations

import uuid

from tests.gateway.conftest import widget_session


def test_every_call_needs_a_valid_session_token(client) -> None:
    assert client.post("/api/widget/messages", json={"text": "你好"}).status_code == 401
    assert client.post("/api/widget/messages", json={"text": "你好"},
                       headers={"Authorization": "Bearer forged.token.value"}).status_code == 401
    assert client.get("/api/widget/messages", headers={"Authorization": "Bearer x"}).status_code == 401


def test_the_conversation_id_comes_from_the_token(client) -> None:
    headers, conversation_id = widget_session(client)
    client.post("/api/widget/messages", json={"text": "你好", "conversation_id": "web:someone-else"}, headers=headers)
    history = client.get("/api/widget/messages", headers=headers).json()["messages"]
    assert [m["text"] for m in history if m["role"] == "customer"] == ["你好"]
    assert conversation_id.startswith("web:")


def test_bad_input_is_refused_with_a_clear_error(client) -> None:
    headers, _ = widget_session(client)
    assert client.post("/api/widget/messages", json={"text": "   "}, headers=headers).status_code == 422
    too_long = client.post("/api/widget/messages", json={"text": "燃" * 501}, headers=headers)
    assert too_long.status_code == 413 and "500" in too_long.json()["detail"]
    assert client.post("/api/widget/messages", content=b"{not json", headers={**headers, "Content-Type": "application/json"}
                       ).status_code == 422
    huge = client.post("/api/widget/messages", content=b"x" * 70_000, headers={**headers, "Content-Type": "application/json"})
    assert huge.status_code == 413


def test_a_question_is_answered_from_the_handbook_and_kept_in_the_history(client) -> None:
    headers, _ = widget_session(client)
    reply = client.post("/api/widget/messages", json={"text": "燃气费在哪交"}, headers=headers).json()
    assert reply["state"] == "bot"
    assert any("依据《天然气客户标准化服务指导手册》" in m["text"] for m in reply["messages"])
    history = client.get("/api/widget/messages", headers=headers).json()["messages"]
    assert [m["role"] for m in history][:2] == ["customer", "bot"]


def test_a_retried_message_is_answered_once(client) -> None:
    headers, _ = widget_session(client)
    body = {"text": "你好", "client_id": uuid.uuid4().hex}
    first = client.post("/api/widget/messages", json=body, headers=headers).json()
    again = client.post("/api/widget/messages", json=body, headers=headers).json()
    assert first == again
    history = client.get("/api/widget/messages", headers=headers).json()["messages"]
    assert [m["role"] for m in history].count("customer") == 1


def test_customers_never_see_each_others_conversations(client) -> None:
    alice, _ = widget_session(client)
    bob, _ = widget_session(client)
    client.post("/api/widget/messages", json={"text": "我的电话是13812345678"}, headers=alice)
    assert all("13812345678" not in m["text"] for m in client.get("/api/widget/messages", headers=bob).json()["messages"])


def test_the_widget_contract_paths_and_shapes(client) -> None:
    """The paths and bodies a client written to docs/api_contract.md relies on; the old /api/* paths are gone."""
    session = client.post("/api/widget/session")
    assert session.status_code == 200 and set(session.json()) == {"token", "conversation_id"}
    headers = {"Authorization": f"Bearer {session.json()['token']}"}
    sent = client.post("/api/widget/messages", json={"text": "你好", "client_id": uuid.uuid4().hex}, headers=headers)
    assert sent.status_code == 200 and set(sent.json()) == {"messages", "state"}
    message = sent.json()["messages"][0]
    assert {"id", "role", "text", "buttons", "at"} <= set(message)
    history = client.get("/api/widget/messages", headers=headers).json()
    assert set(history) == {"messages", "state"} and history["messages"][0]["role"] == "customer"
    assert client.post("/api/widget/rating", json={"score": 5}, headers=headers).status_code == 409
    with client.stream("GET", "/api/widget/events", params={"token": session.json()["token"]}) as live:
        assert live.status_code == 200 and live.headers["content-type"].startswith("text/event-stream")
    for old in ("/api/session", "/api/messages", "/api/rating"):
        assert client.post(old, json={"text": "你好"}, headers=headers).status_code == 404
