"""action_report_emergency: safety instructions first, matched to the danger described."""
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
    ("快来人啊出事了", None, "utter_safety_gas_leak"),
])
async def test_safety_instructions_come_first(dispatcher, domain, text, utility, first_response) -> None:
    entities = [entity("utility", utility)] if utility else []
    events = await ActionReportEmergency().run(dispatcher, make_tracker(text, "report_emergency", entities), domain)
    assert dispatcher.messages[0]["response"] == first_response
    assert {"event": "slot", "name": "handoff_requested", "value": True, "timestamp": None} in events


async def test_gas_leak_advice_is_what_saves_lives(dispatcher, domain) -> None:
    await ActionReportEmergency().run(dispatcher, make_tracker("有煤气味", "report_emergency"), domain)
    safety, next_steps = texts(dispatcher, domain)
    for advice in ("不要开关电灯", "不要点火", "打开门窗", "离开", "室外", "24小时抢险电话"):
        assert advice in safety
    assert "立即出发" in next_steps


async def test_an_emergency_clears_a_pending_clarification(dispatcher, domain) -> None:
    tracker = make_tracker("有煤气味", "report_emergency", slots={"kb_pending_question": "投诉多久给答复"})
    events = await ActionReportEmergency().run(dispatcher, tracker, domain)
    assert {"event": "slot", "name": "kb_pending_question", "value": None, "timestamp": None} in events
