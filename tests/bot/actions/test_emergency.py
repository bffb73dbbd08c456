"""action_report_emergency: safety instructions first, matched to the danger described; then a top-priority
repair ticket and an immediate handoff. The instructions go out even when the gateway is down."""
from __future__ import annotations

import pytest

from bot.actions.emergency import ActionReportEmergency
from tests.bot.trackers import entity, make_tracker, texts


@pytest.mark.parametrize("text, utility, first_response", [
    ("厨房里有煤气味", None, "utter_safety_gas_leak"),
    ("我爸在热水器旁边头晕恶心", None, "utter_safety_poisoning"),
    ("电线掉地上了还在冒火花", "电力", "utter_safety_live_wire"),
    ("暖气管爆了热水往外喷", "供热", "utter_safety_hot_water"),
    ("燃气灶着火了", "燃气", "utter_safety_fire"),
    ("我老公在家被电打了", None, "utter_safety_electric_shock"),
    ("快来人啊出事了", None, "utter_safety_gas_leak"),
])
async def test_safety_instructions_come_first(gateway, dispatcher, domain, text, utility, first_response) -> None:
    entities = [entity("utility", utility)] if utility else []
    events = await ActionReportEmergency().run(dispatcher, make_tracker(text, "report_emergency", entities), domain)
    assert dispatcher.messages[0]["response"] == first_response
    assert {"event": "slot", "name": "handoff_requested", "value": True, "timestamp": None} in events


@pytest.mark.parametrize("company, promise", [("kunlun", True), ("tianfu", False), (None, True)])
async def test_gas_leak_advice_is_what_saves_lives(gateway, dispatcher, domain, company, promise) -> None:
    """Only 昆仑燃气's handbook promises the crew sets out at once: its customers hear it as theirs, an unbound
    customer hears it as 昆仑燃气's standard, a 天富热电 customer not at all."""
    slots = {"company": company} if company else {}
    await ActionReportEmergency().run(dispatcher, make_tracker("有煤气味", "report_emergency", slots=slots), domain)
    safety, next_steps, ticket = texts(dispatcher, domain)
    for advice in ("不要开关电灯", "不要点火", "打开门窗", "离开", "室外", "24小时抢险电话"):
        assert advice in safety
    assert ("立即出发" in next_steps) is promise and ("天然气客户标准化服务指导手册" in next_steps) is promise
    if company is None:
        assert "昆仑燃气的服务标准" in next_steps and "其他燃气公司" in next_steps
    assert "紧急抢修工单" in ticket and dispatcher.messages[2]["ticket_no"] == "BX20261123-0001"


async def test_an_emergency_clears_a_pending_clarification(gateway, dispatcher, domain) -> None:
    tracker = make_tracker("有煤气味", "report_emergency", slots={"kb_pending_question": "投诉多久给答复"})
    events = await ActionReportEmergency().run(dispatcher, tracker, domain)
    assert {"event": "slot", "name": "kb_pending_question", "value": None, "timestamp": None} in events


@pytest.mark.parametrize("text, utility, expected", [
    ("厨房里有煤气味", None, "gas"), ("我爸在热水器旁边头晕恶心", None, "gas"), ("燃气灶着火了", "燃气", "gas"),
    ("楼道里电表箱着火了", None, "electricity"), ("电线掉地上了还在冒火花", "电力", "electricity"),
    ("暖气管爆了热水往外喷", "供热", "heat")])
async def test_a_top_priority_repair_ticket_for_the_right_utility(gateway, dispatcher, domain, text, utility,
                                                                  expected) -> None:
    entities = [entity("utility", utility)] if utility else []
    events = await ActionReportEmergency().run(dispatcher, make_tracker(text, "report_emergency", entities), domain)
    [request] = gateway.ticket_requests
    assert request["body"]["utility"] == expected
    assert request["body"]["type"] == "repair" and request["body"]["priority"] == "emergency"
    assert request["body"]["description"] == text
    assert {"event": "slot", "name": "last_ticket_no", "value": "BX20261123-0001", "timestamp": None} in events


async def test_known_contact_details_go_on_the_ticket_and_unknown_ones_are_marked(gateway, dispatcher, domain) -> None:
    known = make_tracker("有煤气味", "report_emergency",
                         slots={"contact_phone": "13812345678", "address": "幸福小区8栋1单元1201"})
    await ActionReportEmergency().run(dispatcher, known, domain)
    await ActionReportEmergency().run(dispatcher, make_tracker("有煤气味了快来", "report_emergency"), domain)
    first, second = (r["body"] for r in gateway.ticket_requests)
    assert (first["contact_phone"], first["address"]) == ("13812345678", "幸福小区8栋1单元1201")
    assert (second["contact_phone"], second["address"]) == ("待补充", "待补充")


async def test_the_handoff_is_an_emergency_and_carries_the_ticket(gateway, dispatcher, domain) -> None:
    await ActionReportEmergency().run(dispatcher, make_tracker("有煤气味", "report_emergency"), domain)
    packet = gateway.handoffs["test-customer"]
    assert packet["reason"] == "emergency" and packet["priority"] == "emergency"
    assert packet["tickets"][0]["ticket_no"] == "BX20261123-0001"
    assert packet["summary"].startswith("紧急险情")


async def test_with_the_gateway_down_the_instructions_still_come_first_and_nothing_is_promised(
        dispatcher, domain) -> None:
    events = await ActionReportEmergency().run(dispatcher, make_tracker("有煤气味", "report_emergency"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_safety_gas_leak", "utter_emergency_handoff_failed"]
    assert dispatcher.messages[1]["hotline"] == "燃气公司的24小时抢险电话"
    said = "\n".join(texts(dispatcher, domain))
    assert "工单号" not in said and "马上接手" not in said
    assert not any(e.get("name") in ("handoff_requested", "last_ticket_no") for e in events)


async def test_an_electrical_fire_gets_no_gas_promise(gateway, dispatcher, domain) -> None:
    tracker = make_tracker("楼道里电表箱着火了", "report_emergency")
    await ActionReportEmergency().run(dispatcher, tracker, domain)
    said = "\n".join(texts(dispatcher, domain))
    assert "119" in said and "立即出发" not in said and "天然气客户标准化服务指导手册" not in said


@pytest.mark.parametrize("text", ["如果闻到煤气味怎么办", "万一家里燃气泄漏了，燃气公司多久能来人？"])
async def test_an_imagined_danger_gets_the_advice_and_a_way_to_report_it_but_no_ticket(gateway, dispatcher, domain,
                                                                                       text) -> None:
    events = await ActionReportEmergency().run(dispatcher, make_tracker(text, "report_emergency"), domain)
    assert dispatcher.messages[0]["response"] == "utter_safety_gas_leak"
    assert gateway.ticket_requests == [] and "test-customer" not in gateway.handoffs
    assert not any(e.get("name") in ("handoff_requested", "last_ticket_no") for e in events)
    last = dispatcher.messages[-1]
    assert last["response"] == "utter_emergency_if_happening_now"
    assert last["buttons"] == [{"title": "现在就有危险", "payload": "/report_emergency"}]


async def test_the_happening_now_button_raises_the_emergency(gateway, dispatcher, domain) -> None:
    await ActionReportEmergency().run(dispatcher, make_tracker("/report_emergency", "report_emergency"), domain)
    assert dispatcher.messages[0]["response"] == "utter_safety_gas_leak"
    assert gateway.ticket_requests[0]["body"]["priority"] == "emergency"


async def test_a_question_about_two_utilities_asked_with_a_danger_is_answered_after_the_advice(
        gateway, dispatcher, domain) -> None:
    """Safety first, the ticket and the agent as for any report, then what was asked: each utility's arrival time,
    cited, with no 登记报修 button after an emergency ticket."""
    text = "家里停电和燃气漏气，报修以后抢修分别多久能到？"
    await ActionReportEmergency().run(dispatcher, make_tracker(text, "report_emergency"), domain)
    assert dispatcher.messages[0]["response"] == "utter_safety_gas_leak"
    assert gateway.ticket_requests[0]["body"]["priority"] == "emergency"
    answer = dispatcher.messages[-1]
    assert "40分钟" in answer["text"] and "依据《" in answer["text"] and "立即出发" in answer["text"]
    assert not answer.get("buttons")


async def test_a_plain_report_gets_no_extra_answer(gateway, dispatcher, domain) -> None:
    await ActionReportEmergency().run(dispatcher, make_tracker("厨房有煤气味 你们多久能来", "report_emergency"), domain)
    assert [m.get("response") for m in dispatcher.messages][-1] == "utter_emergency_ticket_registered"
