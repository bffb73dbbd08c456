"""Whole phone calls through the IVR contract: the platform's recognised speech, DTMF and call events in,
what to say and what to do next out."""
from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.gateway.conftest import VOICE_TOKEN, agent_client

CHINESE_DIGITS = "零幺二三四五六七八九"


class Call:
    def __init__(self, client: httpx.Client, caller: str = "13900001111") -> None:
        self.client, self.call_id, self.turns = client, f"call-{uuid.uuid4().hex[:12]}", 0
        self.headers = {"Authorization": f"Bearer {VOICE_TOKEN}"}
        response = client.post("/voice/v1/calls", headers=self.headers,
                               json={"call_id": self.call_id, "caller": caller, "called": "95000"})
        assert response.status_code == 201, response.text
        self.greeting = response.json()

    def turn(self, type_: str, **fields) -> dict:
        self.turns += 1
        body = {"turn_id": f"t{self.turns}", "type": type_, **fields}
        response = self.client.post(f"/voice/v1/calls/{self.call_id}/turns", headers=self.headers, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def say(self, text: str, confidence: float = 0.92) -> dict:
        return self.turn("speech", text=text, confidence=confidence)

    def key(self, digits: str) -> dict:
        return self.turn("dtmf", digits=digits)


def test_the_platform_must_authenticate(client) -> None:
    assert client.post("/voice/v1/calls", json={"call_id": "x", "caller": "1", "called": "2"}).status_code == 401


def test_a_fee_question_is_answered_in_speech(client) -> None:
    call = Call(client)
    assert "转人工请按0" in call.greeting["say"]["text"]
    reply = call.say("燃气费在哪交")
    assert "营业厅" in reply["say"]["text"] and reply["say"]["ssml"].startswith("<speak>")
    assert reply["action"]["type"] == "continue" and reply["expect"]["speech"]
    assert "【" not in reply["say"]["text"], "no on-screen markup in speech"


def test_a_repair_report_ends_with_the_ticket_number_read_digit_by_digit(client, internal) -> None:
    call = Call(client, caller="13900002222")
    reply = call.say("我家燃气表不走字了")
    for _ in range(12):
        text = reply["say"]["text"]
        if "工单号" in text:
            break
        if "信息对吗" in text:
            confirm = re.search(r"确认请按(\d)", text)
            assert confirm, "options are spoken with their key"
            reply = call.key(confirm.group(1))
        elif "燃气、电力还是供热" in text:
            reply = call.say("燃气")
        elif "哪家公司" in text:       # an unmapped called number: the caller says whose customer they are
            reply = call.say("昆仑燃气")
        elif "户号" in text:
            assert reply["expect"]["dtmf_max_digits"] >= 8, "a 户号 can be keyed in"
            reply = call.key("20318845#")
        elif "电话" in text:
            reply = call.key("13812345678#")
        elif "地址" in text:
            reply = call.say("幸福小区8栋1单元1201")
        else:
            reply = call.say("燃气表不走字")
    text = reply["say"]["text"]
    assert "工单号" in text
    assert re.search(rf"B X，[{CHINESE_DIGITS} ]+，[{CHINESE_DIGITS} ]+", text), text
    assert not re.search(r"BX\d{8}", text), "no raw ticket number in speech"
    assert text.count("B X") == 1 and "2026" not in text, "the number is read once, digit by digit"
    tickets = internal.get(f"/internal/conversations/voice:{call.call_id}/tickets").json()["tickets"]
    assert tickets and tickets[0]["account_no"] == "20318845" and tickets[0]["contact_phone"] == "13812345678"


def test_low_confidence_speech_is_confirmed_first(client) -> None:
    call = Call(client)
    reply = call.say("燃气费在哪交", confidence=0.3)
    assert "您是说" in reply["say"]["text"] and "燃气费在哪交" in reply["say"]["text"]
    assert "营业厅" in call.key("1")["say"]["text"]


def test_two_silences_lead_to_a_human_with_the_context(client, services) -> None:
    call = Call(client)
    first = call.turn("no_input")
    assert first["action"]["type"] == "continue" and "没有听清" in first["say"]["text"]
    second = call.turn("no_input")
    assert second["action"]["type"] == "transfer" and second["action"]["handoff_id"]
    boss = agent_client(services, "boss")
    queue = boss.get("/agent/api/queue").json()["handoffs"]
    assert any(h["id"] == second["action"]["handoff_id"] and h["channel"] == "voice" for h in queue)


def test_an_emergency_gets_safety_instructions_and_an_immediate_transfer(client) -> None:
    call = Call(client)
    reply = call.say("家里厨房有很浓的煤气味")
    assert "不要开关电灯" in reply["say"]["text"]
    assert reply["action"] == {"type": "transfer", "queue": "emergency", "priority": "emergency",
                               "handoff_id": reply["action"]["handoff_id"]}
    assert reply["barge_in"] is False, "the caller hears the safety instructions to the end"


def test_each_turn_is_processed_once(client, services) -> None:
    call = Call(client)
    body = {"turn_id": "same", "type": "speech", "text": "燃气费在哪交", "confidence": 0.9}
    url = f"/voice/v1/calls/{call.call_id}/turns"
    first = client.post(url, headers=call.headers, json=body).json()
    again = client.post(url, headers=call.headers, json=body).json()
    assert first == again


def test_bad_turns_are_refused(client) -> None:
    call = Call(client)
    url = f"/voice/v1/calls/{call.call_id}/turns"
    assert client.post(url, headers=call.headers, json={"turn_id": "x", "type": "dance"}).status_code == 422
    assert client.post(url, headers=call.headers, json={"turn_id": "y", "type": "dtmf", "digits": "12ab"}).status_code == 422
    empty = client.post(url, headers=call.headers, json={"turn_id": "w", "type": "dtmf"})
    assert empty.status_code == 200 and "没有听清" in empty.json()["say"]["text"], "no digits counts as no-match"
    assert client.post("/voice/v1/calls/nope/turns", headers=call.headers,
                       json={"turn_id": "z", "type": "no_input"}).status_code == 404


@pytest.mark.parametrize("caller, sees", [("13812349876", True), ("13700000000", False)])
def test_a_ticket_opened_on_wechat_is_found_by_phone_only_by_its_owner(client, internal, caller, sees) -> None:
    created = internal.post("/internal/tickets", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
        "type": "repair", "utility": "gas", "conversation_id": f"wechat:o_{uuid.uuid4().hex[:12]}",
        "channel": "wechat", "contact_phone": "13812349876", "address": "幸福小区8栋", "description": "燃气表不走字"}).json()
    call = Call(client, caller=caller)
    found = internal.get(f"/internal/conversations/voice:{call.call_id}/tickets",
                         params={"ticket_no": created["ticket_no"]}).json()["tickets"]
    assert bool(found) is sees
    reply = call.say("帮我查一下我的工单进度")
    spoken_number = created["ticket_no"][2:10]
    spelled = "".join(CHINESE_DIGITS[int(d)] for d in spoken_number)
    assert (spelled[:4] in reply["say"]["text"].replace(" ", "")) is sees


def test_a_failed_transfer_creates_the_callback_it_promises(client, internal) -> None:
    call = Call(client, caller="13900007777")
    transfer = call.key("0")
    assert transfer["action"]["type"] == "transfer" and transfer["action"]["handoff_id"]
    failed = call.turn("transfer_status", transfer_status="failed")
    text = failed["say"]["text"]
    assert failed["action"]["type"] == "hangup" and "回电" in text
    assert re.search(rf"登记号是H D，[{CHINESE_DIGITS} ]+，[{CHINESE_DIGITS} ]+", text), text
    assert '<say-as interpret-as="characters">HD</say-as>' in failed["say"]["ssml"]
    tickets = internal.get(f"/internal/conversations/voice:{call.call_id}/tickets").json()["tickets"]
    assert [t["type"] for t in tickets] == ["callback"] and tickets[0]["ticket_no"].startswith("HD")
    spoken = re.search(r"登记号是H D，(.+?)。", text).group(1).replace("，", "").replace(" ", "")
    assert spoken == "".join(CHINESE_DIGITS[int(d)] for d in tickets[0]["ticket_no"][2:].replace("-", ""))


def test_a_long_answer_is_shortened_on_the_phone_and_replayed_in_full(client) -> None:
    call = Call(client)
    reply = call.say("什么算窃电")
    text = reply["say"]["text"]
    assert "《" not in text and "【" not in text and "？。" not in text
    assert "参考电力客户服务学习资料" in text, "a short spoken citation"
    assert text.endswith("详细内容请按9再听一遍。"), "the whole definition is too long to hear at once"
    full = call.key("9")["say"]["text"]
    assert len(full) > len(text) and "违法" in full


def test_words_read_back_are_escaped_in_the_ssml(client) -> None:
    reply = Call(client).say("燃气费<audio src='http://x/a.mp3'/> & 电费", confidence=0.3)
    assert "您是说" in reply["say"]["text"]
    assert "<audio" not in reply["say"]["ssml"] and "&lt;audio" in reply["say"]["ssml"] and "&amp;" in reply["say"]["ssml"]
