"""Outage questions and repair reports with the company's notices (bot/actions/outage_notices.py), against a fake
gateway that answers GET /internal/notices as the real one does (tests/gateway/test_notices_api.py checks that)."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.answer_knowledge import ActionAnswerKnowledge
from bot.actions.forms import FORM_SLOTS
from bot.actions.outage_notices import (
    ActionAskOutageReportAnyway,
    ActionOutageNotices,
    answer_outage_question,
    wants_ticket,
)
from bot.actions.repair_form import ValidateRepairForm
from tests.bot.actions.test_forms import form_tracker, slot_values
from tests.bot.trackers import make_tracker

TOKEN = "outage-test-token"
FAULT = {"id": 7, "utility": "gas", "company": "kunlun", "kind": "fault", "area": "花家地小区", "coverage": "covers",
         "active": True, "text": "【故障停气】花家地小区：11月30日（周一）14:20起停气，原因：中压管道抢修；预计11月30日（周一）18:00恢复供气。",
         "speech": "花家地小区从今天下午2点20分起因为中压管道抢修停气，预计今天晚上6点恢复供气。"}
PLANNED_PART = {**FAULT, "id": 8, "kind": "planned", "area": "花家地小区1-5号楼", "coverage": "part",
                "text": "【计划停气】花家地小区1-5号楼：12月2日（周三）8:00至18:00停气，原因：燃气管道改造。"}


@dataclass
class FakeGateway:
    """Answers /internal/notices with `answer(params)`; remembers what it was asked."""
    answer: Callable[[dict[str, str]], dict[str, Any]] = lambda params: {"place": None, "notices": []}
    asked: list[dict[str, str]] = field(default_factory=list)


def said(place: str, *notices: dict[str, Any], source: str = "said") -> Callable[[dict[str, str]], dict[str, Any]]:
    return lambda params: {"place": {"text": place, "address": place, "source": source}, "notices": list(notices)}


@pytest.fixture
async def gateway(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGateway]:
    fake = FakeGateway()

    async def notices(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"detail": "invalid service token"}, status=401)
        fake.asked.append(dict(request.query))
        return web.json_response(fake.answer(dict(request.query)))

    app = web.Application()
    app.router.add_get("/internal/notices", notices)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]   # type: ignore[union-attr]
    monkeypatch.setenv("GATEWAY_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GATEWAY_SERVICE_TOKEN", TOKEN)
    yield fake
    await runner.cleanup()


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def test_an_outage_question_with_a_place_gets_the_notice(gateway: FakeGateway) -> None:
    gateway.answer = said("花家地小区3号楼", FAULT)
    dispatcher = CollectingDispatcher()
    events = await answer_outage_question(dispatcher, make_tracker("我们花家地小区3号楼怎么停气了", "ask_outage"))
    assert events == [SlotSet("outage_question", None)]
    assert FAULT["text"] in texts(dispatcher) and "预计11月30日（周一）18:00恢复供气" in texts(dispatcher)
    assert "通知时间内不用单独报修" in texts(dispatcher) and dispatcher.messages[0]["buttons"] == []
    [asked] = gateway.asked
    assert asked["place"] == "我们花家地小区3号楼怎么停气了" and asked["utility"] == "gas" and asked["known"] == "true"
    assert asked["conversation_id"] == "test-customer"


async def test_a_place_known_from_the_customers_tickets_is_said(gateway: FakeGateway) -> None:
    gateway.answer = said("花家地小区", PLANNED_PART, source="ticket")
    dispatcher = CollectingDispatcher()
    await answer_outage_question(dispatcher, make_tracker("这周停不停气", "ask_outage"))
    message = texts(dispatcher)
    assert message.startswith("按您工单上的地址（花家地小区）查询：") and PLANNED_PART["text"] in message
    assert "通知只涉及花家地小区1-5号楼" in message, "their building may not be covered"
    assert dispatcher.messages[0]["buttons"] == [{"title": "登记报修", "payload": "/report_fault"}]


async def test_with_no_place_known_the_form_asks_for_the_estate_or_street(gateway: FakeGateway) -> None:
    dispatcher = CollectingDispatcher()
    events = await answer_outage_question(dispatcher, make_tracker("暖气什么时候恢复", "ask_outage"))
    assert events == [SlotSet("outage_question", "暖气什么时候恢复"), FollowupAction("outage_place_form")]
    assert dispatcher.messages == [] and gateway.asked[0]["utility"] == "heat"


async def test_the_place_given_is_looked_up_and_none_published_offers_a_repair(gateway: FakeGateway) -> None:
    gateway.answer = said("王各庄村")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("王各庄村", "inform", slots={"outage_place": "王各庄村", "outage_question": "我家怎么停气了"})
    events = await ActionOutageNotices().run(dispatcher, tracker, {})
    assert texts(dispatcher) == ("目前没有查到王各庄村已发布的停气通知。如果您家里没有气，可能是户内或楼内的问题，"
                                 "我可以帮您登记报修。")
    assert dispatcher.messages[0]["buttons"] == [{"title": "登记报修", "payload": "/report_fault"}]
    assert gateway.asked[0]["known"] == "false" and gateway.asked[0]["utility"] == "gas"
    assert SlotSet("outage_place", None) in events and SlotSet("outage_question", None) in events


async def test_declining_to_give_a_place_or_an_unreadable_one(gateway: FakeGateway) -> None:
    dispatcher = CollectingDispatcher()
    await ActionOutageNotices().run(dispatcher, make_tracker("算了", "deny", slots={"outage_place": "算了"}), {})
    assert "告诉我小区、村或街道的名称" in texts(dispatcher) and gateway.asked == []
    dispatcher = CollectingDispatcher()
    await ActionOutageNotices().run(dispatcher, make_tracker("嗯嗯", "inform", slots={"outage_place": "嗯嗯"}), {})
    assert "没能从“嗯嗯”里认出小区或街道" in texts(dispatcher)


async def test_the_phone_reads_the_speakable_text(gateway: FakeGateway) -> None:
    gateway.answer = said("花家地小区", FAULT)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("花家地小区停气了吗", "ask_outage")
    tracker.sender_id = "voice:call-1"
    await answer_outage_question(dispatcher, tracker)
    assert FAULT["speech"] in texts(dispatcher) and "【" not in texts(dispatcher)


async def test_rules_questions_and_an_unreachable_gateway_stay_with_the_handbook(gateway: FakeGateway) -> None:
    assert await answer_outage_question(CollectingDispatcher(), make_tracker("计划停电一般提前几天通知", "ask_outage")) is None
    assert gateway.asked == [], "a question about the rules is not a lookup"
    gateway.answer = lambda params: (_ for _ in ()).throw(RuntimeError("down"))   # the fake answers 500
    assert await answer_outage_question(CollectingDispatcher(), make_tracker("花家地小区停气了吗", "ask_outage")) is None


async def test_the_knowledge_action_asks_the_notices_first_for_ask_outage(gateway: FakeGateway, domain) -> None:
    gateway.answer = said("花家地小区", FAULT)
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, make_tracker("花家地小区怎么停气了", "ask_outage"), domain)
    assert [m["text"] for m in dispatcher.messages if m.get("text")][0].startswith("查到花家地小区已发布的通知")
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, make_tracker("计划停气会提前几天通知", "ask_outage"), domain)
    assert "48小时" in texts(dispatcher), "the handbook's rule"


# -- a repair report under a notice ------------------------------------------------------------------------------

async def test_a_repair_report_under_a_notice_is_told_first_and_asked_if_a_ticket_is_still_wanted(
        gateway: FakeGateway, domain) -> None:
    gateway.answer = said("花家地小区", FAULT)
    dispatcher = CollectingDispatcher()
    start = form_tracker("花家地小区家里没气了", "report_fault", None)
    events = await ValidateRepairForm().run(dispatcher, start, domain)
    slots = slot_values(events)
    assert slots["outage_notice"] == FAULT["text"] and slots["requested_slot"] == "outage_report_anyway"
    assert gateway.asked[0]["within_hours"] == "24"

    asked = CollectingDispatcher()
    await ActionAskOutageReportAnyway().run(asked, form_tracker("", "report_fault", "outage_report_anyway",
                                                                slots={"outage_notice": FAULT["text"],
                                                                       "utility": "燃气"}), domain)
    assert FAULT["text"] in texts(asked) and "还需要登记报修吗" in texts(asked) and "恢复后就会来气" in texts(asked)

    under = {**slots, "description": "家里没气了", "utility": "燃气", "company": "kunlun"}
    declined = await ValidateRepairForm().run(CollectingDispatcher(), form_tracker(
        "不用了", "deny", "outage_report_anyway", slots=under), domain)
    values = slot_values(declined)
    assert values["outage_report_anyway"] is False and values["requested_slot"] is None, "no ticket"
    assert all(values[slot] is None for slot in FORM_SLOTS)
    still = await ValidateRepairForm().run(CollectingDispatcher(), form_tracker(
        "需要，我家楼不在范围里", "affirm", "outage_report_anyway", slots=under), domain)
    assert slot_values(still)["outage_report_anyway"] is True
    assert slot_values(still)["requested_slot"] == "address", "the form goes on as before"


async def test_a_repair_report_with_no_notice_goes_on_as_before(gateway: FakeGateway, domain) -> None:
    gateway.answer = said("幸福小区")
    events = await ValidateRepairForm().run(CollectingDispatcher(), form_tracker("幸福小区家里没气了", "report_fault", None),
                                            domain)
    assert "outage_notice" not in slot_values(events) and slot_values(events)["requested_slot"] == "utility"


async def test_the_address_the_form_asks_for_is_looked_up_too(gateway: FakeGateway, domain) -> None:
    gateway.answer = said("花家地小区3号楼", PLANNED_PART)
    events = await ValidateRepairForm().run(CollectingDispatcher(), form_tracker(
        "花家地小区3号楼2单元501", "inform", "address", slots={"utility": "燃气", "description": "燃气灶打不着火"},
        candidates={"address": "花家地小区3号楼2单元501"}), domain)
    slots = slot_values(events)
    assert slots["address"] == "花家地小区3号楼2单元501" and "花家地小区1-5号楼" in slots["outage_notice"]
    assert slots["requested_slot"] == "outage_report_anyway"
    assert gateway.asked[-1]["known"] == "false" and gateway.asked[-1]["place"] == "花家地小区3号楼2单元501"


def test_yes_and_no_to_a_ticket() -> None:
    assert wants_ticket("不用了") is False and wants_ticket("不需要") is False and wants_ticket("先不报了") is False
    assert wants_ticket("需要") is True and wants_ticket("还是登记一下吧") is True and wants_ticket("嗯嗯") is None
