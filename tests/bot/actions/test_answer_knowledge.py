"""action_answer_knowledge: what the customer reads for handbook questions."""
from __future__ import annotations

from rasa_sdk.events import SlotSet

from bot.actions.answer_knowledge import ActionAnswerKnowledge
from tests.bot.trackers import entity, make_tracker, texts


def slots(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_a_payment_answer_cites_its_source_and_warns_against_fraud(dispatcher, domain) -> None:
    tracker = make_tracker("燃气费在哪交", "ask_payment", [entity("utility", "燃气")])
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert reply.startswith("【燃气】")
    assert "营业厅" in reply
    assert "依据《天然气客户标准化服务指导手册》" in reply
    assert "不会让您向个人账户转账" in reply
    assert slots(events)["kb_last_entry"] == "gas.hall.payment"


async def test_a_quoted_scam_instruction_gets_a_clear_warning(dispatcher, domain) -> None:
    tracker = make_tracker("缴费要先办一张960873开头的银行卡再绑定公众号klgs1234598764吗", "ask_payment")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "诈骗" in reply and "先不要付款" in reply
    assert "960873" not in reply


async def test_when_the_answer_depends_on_the_utility_the_customer_is_asked(dispatcher, domain) -> None:
    tracker = make_tracker("投诉多久给答复", "ask_process")
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert "哪一项" in message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert "燃气" in titles and "电力" in titles
    assert slots(events)["kb_pending_question"] == "投诉多久给答复"


async def test_the_utility_given_next_answers_the_pending_question(dispatcher, domain) -> None:
    tracker = make_tracker("燃气", "inform", [entity("utility", "燃气")],
                           slots={"kb_pending_question": "投诉多久给答复", "kb_pending_intent": "ask_process"})
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "48小时" in reply and reply.startswith("【燃气】")
    assert SlotSet("kb_pending_question", None) in events


async def test_a_chosen_button_answers_that_entry(dispatcher, domain) -> None:
    tracker = make_tracker('/inform{"kb_entry": "gas.refund"}', "inform", [entity("kb_entry", "gas.refund")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "5个工作日" in reply and "退款" in reply


async def test_a_question_the_handbook_cannot_answer_is_admitted_with_a_way_to_a_human(dispatcher, domain) -> None:
    tracker = make_tracker("量子力学是什么", "ask_process")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_knowledge_not_found"
    assert message["buttons"][0]["payload"] == "/request_human"


async def test_a_price_without_an_official_figure_is_not_invented(dispatcher, domain) -> None:
    tracker = make_tracker("天然气多少钱一方", "ask_fee", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    body = reply.split("\n")[0]
    assert not any(ch.isdigit() for ch in body)
    assert "公示" in body or "公开" in body or "公布" in body


async def test_an_inform_without_a_pending_question_asks_what_is_needed(dispatcher, domain) -> None:
    tracker = make_tracker("13812345678", "inform", [entity("phone", "13812345678")])
    assert await ActionAnswerKnowledge().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages[0]["response"] == "utter_noted_ask_question"
