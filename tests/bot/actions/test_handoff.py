"""action_request_human: the packet the agent receives, and what the customer is told."""
from __future__ import annotations

from rasa_sdk import Tracker

from bot.actions.handoff import ActionRequestHuman, handoff_packet
from tests.bot.trackers import texts, user_event


def conversation(slots: dict | None = None, turns: int = 3) -> Tracker:
    events = []
    for i in range(turns):
        events.append({**user_event(f"燃气费在哪交{i}", "ask_payment"), "timestamp": 1795420800 + i})
        events.append({"event": "action", "name": "action_answer_knowledge"})
        events.append({"event": "bot", "text": f"回答{i}", "timestamp": 1795420801 + i})
    human = {**user_event("转人工", "request_human"), "timestamp": 1795420900}
    events.append(human)
    return Tracker(sender_id="web:3f2a", slots=slots or {}, latest_message=human["parse_data"], events=events,
                   paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen")


async def test_the_packet_carries_what_the_agent_needs(gateway, dispatcher, domain) -> None:
    slots = {"utility": "燃气", "contact_phone": "13812345678", "address": "幸福小区8栋1单元1201", "account_no": "无",
             "last_ticket_no": "BX20261123-0007", "requested_slot": None, "kb_pending_question": None,
             "invalid_answers": {"contact_phone": 2}}
    await ActionRequestHuman().run(dispatcher, conversation(slots), domain)
    packet = gateway.handoffs["web:3f2a"]
    assert packet["conversation_id"] == "web:3f2a" and packet["channel"] == "web"
    assert packet["reason"] == "request_human" and packet["priority"] == "normal"
    assert packet["customer"] == {"phone": "13812345678", "account_no": None, "address": "幸福小区8栋1单元1201"}
    assert packet["recent_intents"][-1] == {"intent": "request_human", "confidence": 0.99, "text": "转人工"}
    assert packet["recent_intents"][0]["intent"] == "ask_payment"
    assert packet["slots"] == {"utility": "燃气", "contact_phone": "13812345678", "address": "幸福小区8栋1单元1201",
                               "account_no": "无", "last_ticket_no": "BX20261123-0007"}
    assert packet["tickets"] == [{"ticket_no": "BX20261123-0007"}]
    first, second = packet["summary"].split("\n")
    assert first == "客户要求转人工；燃气咨询缴费"
    assert second == "客户最后说：“转人工”；工单 BX20261123-0007"
    assert packet["transcript"][0] == {"role": "customer", "text": "燃气费在哪交0", "at": "2026-11-23T16:00:00+08:00"}
    assert packet["transcript"][1]["role"] == "bot"


def test_the_transcript_keeps_the_last_30_messages() -> None:
    packet = handoff_packet(conversation(turns=20), "request_human")
    assert len(packet["transcript"]) == 30
    assert packet["transcript"][-1]["text"] == "转人工"
    assert len(packet["recent_intents"]) == 5


async def test_the_customer_hears_their_place_in_the_queue_and_need_not_repeat_themselves(
        gateway, dispatcher, domain) -> None:
    events = await ActionRequestHuman().run(dispatcher, conversation(), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_handoff_pending" and message["queue_position"] == 1
    said = texts(dispatcher, domain)[0].format(queue_position=1)
    assert "正在为您转接人工客服" in said and "第1位" in said and "不用再重复" in said
    assert {"event": "slot", "name": "handoff_requested", "value": True, "timestamp": None} in events


async def test_the_reason_comes_from_the_slot_and_is_used_once(gateway, dispatcher, domain) -> None:
    events = await ActionRequestHuman().run(dispatcher, conversation({"handoff_reason": "form_failed"}), domain)
    assert gateway.handoffs["web:3f2a"]["reason"] == "form_failed"
    assert gateway.handoffs["web:3f2a"]["summary"].startswith("工单登记没能完成")
    assert {"event": "slot", "name": "handoff_reason", "value": None, "timestamp": None} in events


async def test_gateway_down_apologises_and_promises_nothing(dispatcher, domain) -> None:
    events = await ActionRequestHuman().run(dispatcher, conversation(), domain)
    [said] = texts(dispatcher, domain)
    assert dispatcher.messages[0]["response"] == "utter_handoff_failed"
    assert "抱歉" in said and "没能为您转接" in said
    assert "正在为您转接" not in said and "排在" not in said
    assert not any(e.get("name") == "handoff_requested" for e in events)
