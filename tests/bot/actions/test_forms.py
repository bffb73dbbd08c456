"""validate_<form>: how the ticket forms read answers, explain what they need and step aside for emergencies.

Trackers have the shape Rasa's FormAction sends: the customer's message, the requested slot, the form's run,
then the slot candidates the NLU's mappings extracted from the message.
"""
from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker

from bot.actions.complaint_form import ValidateComplaintForm
from bot.actions.forms import (
    FORM_SLOTS,
    NO_ACCOUNT,
    QUESTIONS,
    describes_problem,
    mask_phone,
    parse_address,
    parse_area,
    parse_phone,
    utilities_in_text,
    utility_in_text,
)
from bot.actions.identity import QUESTIONS as IDENTITY_QUESTIONS
from bot.actions.installation_form import ValidateInstallationForm, customer_type_of, pipeline_needed
from bot.actions.repair_form import ValidateRepairForm
from tests.bot.trackers import entity, user_event


def form_tracker(text: str, intent: str, requested: str | None, *, form: str = "repair_form",
                 slots: dict[str, Any] | None = None, candidates: dict[str, Any] | None = None,
                 entities: list[dict[str, Any]] | None = None,
                 history: list[dict[str, Any]] | None = None) -> Tracker:
    user = user_event(text, intent, entities)
    candidates = candidates or {}
    events = [*(history or []), user, {"event": "slot", "name": "requested_slot", "value": requested},
              {"event": "action", "name": form},
              *({"event": "slot", "name": name, "value": value} for name, value in candidates.items())]
    return Tracker(sender_id="test-customer", slots={**(slots or {}), **candidates, "requested_slot": requested},
                   latest_message=user["parse_data"], events=events, paused=False, followup_action=None,
                   active_loop={"name": form} if requested else {}, latest_action_name=form)


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher) -> list[str | None]:
    return [m.get("response") for m in dispatcher.messages]


def render(domain: dict[str, Any], response: str, slots: dict[str, Any]) -> str:
    """The variation Rasa would pick for these slots, filled in."""
    variations = domain["responses"][response]
    matching = [v for v in variations if v.get("condition") and all(
        slots.get(c["name"]) == c["value"] for c in v["condition"])]
    chosen = matching[0] if matching else next(v for v in variations if not v.get("condition"))
    return chosen["text"].format(**{k: v for k, v in slots.items() if v is not None})


# -- reading answers -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("said, phone", [
    ("13812345678", "13812345678"),
    ("电话139 1234 5678", "13912345678"),
    ("186-0012-3456", "18600123456"),
    ("一三八 一二三四 五六七八", "13812345678"),
    ("号码是幺五零 三三二一 八八七六", "15033218876"),
    ("座机 0571-88776655", "0571-88776655"),
    ("零五七一 八八七七六六五五", "0571-88776655"),
    ("010 6552 9988", "010-65529988"),
    ("１３８１２３４５６７８", "13812345678"),
])
def test_phone_numbers_are_read_with_spaces_dashes_and_chinese_numerals(said: str, phone: str) -> None:
    assert parse_phone(said) == phone


@pytest.mark.parametrize("said", ["12345", "1381234567", "23812345678", "不告诉你", "88776655"])
def test_what_is_no_phone_number_is_refused(said: str) -> None:
    assert parse_phone(said) is None


def test_a_phone_number_is_masked_in_the_middle() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0571-88776655") == "0571-****6655"


@pytest.mark.parametrize("said, address", [
    ("我家地址是幸福小区8栋1单元1201", "幸福小区8栋1单元1201"),
    ("在金色家园小区12号楼2单元601", "金色家园小区12号楼2单元601"),
    ("东关村北头第二家", "东关村北头第二家"),
])
def test_an_address_loses_its_lead_in_words(said: str, address: str) -> None:
    assert parse_address(said) == address


@pytest.mark.parametrize("said", ["3楼", "我家", "13812345678", "嗯"])
def test_an_address_too_short_to_find_is_refused(said: str) -> None:
    assert parse_address(said) is None


@pytest.mark.parametrize("said, utility", [
    ("天然气", "燃气"), ("煤气的", "燃气"), ("是电的问题", "电力"), ("家里暖气", "供热"), ("热水器", "燃气"),
    ("我打电话问一下", None), ("你好", None)])
def test_the_plain_utility_word_is_understood(said: str, utility: str | None) -> None:
    assert utility_in_text(said) == utility


@pytest.mark.parametrize("said, utilities", [
    ("停气和停电各提前几天说", ["燃气", "电力"]), ("检查用热和检查用电", ["供热", "电力"]),
    ("漏气了", ["燃气"]), ("偷热被查到", ["供热"])])
def test_a_supply_word_names_its_utility(said: str, utilities: list[str]) -> None:
    """停气, 供气, 用热…: two utilities named this way each get their part."""
    assert utilities_in_text(said) == utilities


@pytest.mark.parametrize("said, describes", [
    ("我家燃气表不走字了", True), ("暖气不热", True), ("电表坏了", True), ("我要报修", False),
    ("燃气报修", False), ("你好 我要投诉", False), ("/report_fault", False), ("上次报修师傅说好来一直没来 我要投诉", True)])
def test_the_first_message_counts_as_description_only_when_it_says_what_is_wrong(said: str, describes: bool) -> None:
    assert describes_problem(said) is describes


# -- activation ----------------------------------------------------------------------------------------------------

async def test_the_first_message_fills_utility_and_description(dispatcher, domain) -> None:
    text = "我家燃气表不走字了"
    tracker = form_tracker(text, "report_fault", None, candidates={"utility": "燃气"},
                           entities=[entity("utility", "燃气")], slots={"company": "kunlun"})
    events = await ValidateRepairForm().run(dispatcher, tracker, domain)
    assert slot_values(events) == {"utility": "燃气", "description": text, "ticket_confirmed": None,
                                        "invalid_answers": None, "ticket_retry": None, "requested_slot": "address"}
    assert dispatcher.messages == []


async def test_a_bare_request_leaves_the_description_to_be_asked_and_reads_the_plain_utility_word(
        dispatcher, domain) -> None:
    tracker = form_tracker("我要报修暖气", "report_fault", None, slots={"description": "旧的描述"})
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["utility"] == "供热"
    assert events["description"] is None, "a description left from an earlier request is not reused"


# -- answers to the question asked ---------------------------------------------------------------------------------

async def test_an_invalid_phone_is_explained_and_the_second_failure_offers_a_human(dispatcher, domain) -> None:
    first = form_tracker("123456", "inform", "contact_phone", candidates={"contact_phone": "123456"})
    events = slot_values(await ValidateRepairForm().run(dispatcher, first, domain))
    assert events["contact_phone"] is None
    assert events["invalid_answers"] == {"contact_phone": 1}
    assert responses(dispatcher) == ["utter_invalid_contact_phone"]
    assert not any(m.get("buttons") for m in dispatcher.messages), "no human offered after one failure"

    dispatcher.messages.clear()
    second = form_tracker("就是那个号啊", "inform", "contact_phone", slots={"invalid_answers": {"contact_phone": 1}},
                          candidates={"contact_phone": "就是那个号啊"})
    events = slot_values(await ValidateRepairForm().run(dispatcher, second, domain))
    assert events["invalid_answers"] == {"contact_phone": 2}
    assert events["handoff_reason"] == "form_failed"
    assert responses(dispatcher) == ["utter_invalid_contact_phone", "utter_form_offer_human"]
    assert dispatcher.messages[1]["buttons"] == [{"title": "转人工客服", "payload": "/request_human"}]


async def test_a_valid_phone_after_failures_resets_the_count(dispatcher, domain) -> None:
    tracker = form_tracker("一三八一二三四五六七八", "inform", "contact_phone",
                           slots={"invalid_answers": {"contact_phone": 1}},
                           candidates={"contact_phone": "一三八一二三四五六七八"})
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["contact_phone"] == "13812345678"
    assert events["contact_phone_masked"] == "138****5678"
    assert events["invalid_answers"] is None
    assert dispatcher.messages == []


async def test_the_readback_masks_the_phone_number(dispatcher, domain) -> None:
    tracker = form_tracker("13812345678", "inform", "contact_phone", candidates={"contact_phone": "13812345678"},
                           entities=[entity("phone", "13812345678")])
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    slots = {"utility": "燃气", "address": "幸福小区8栋1单元1201", "description": "燃气表不走字", **events}
    readback = render(domain, "utter_ask_ticket_confirmed", slots)
    assert "138****5678" in readback and "13812345678" not in readback
    assert "燃气" in readback and "幸福小区8栋1单元1201" in readback and "燃气表不走字" in readback
    buttons = domain["responses"]["utter_ask_ticket_confirmed"][0]["buttons"]
    assert [(b["title"], b["payload"]) for b in buttons] == [("确认", "/affirm"), ("修改", "/deny")]


async def test_the_whole_answer_is_the_address_when_the_form_asks_for_it(dispatcher, domain) -> None:
    tracker = form_tracker("我家在红星巷二十六号院3号楼", "nlu_fallback", "address")
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["address"] == "红星巷二十六号院3号楼", "kept as said: 三里屯 must not become 3里屯"


@pytest.mark.parametrize("said, intent", [("三楼", "inform"), ("不用了 再见", "goodbye"), ("好的好的没问题", "affirm")])
async def test_a_vague_address_is_explained(dispatcher, domain, said, intent) -> None:
    tracker = form_tracker(said, intent, "address")
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["address"] is None
    assert responses(dispatcher) == ["utter_invalid_address"]


@pytest.mark.parametrize("said, intent, account", [
    ("没有", "deny", NO_ACCOUNT), ("不知道户号", "inform", NO_ACCOUNT), ("跳过", "nlu_fallback", NO_ACCOUNT),
    ("户号 二零三一 八八四五", "inform", "20318845"), ("0023 5566 01", "inform", "0023556601")])
async def test_the_account_number_is_optional(dispatcher, domain, said, intent, account) -> None:
    tracker = form_tracker(said, intent, "account_no")
    assert slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))["account_no"] == account
    assert dispatcher.messages == []


async def test_the_utility_is_read_from_the_plain_word_when_asked(dispatcher, domain) -> None:
    tracker = form_tracker("是电那块的", "inform", "utility")
    assert slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))["utility"] == "电力"


async def test_an_unusable_value_the_customer_was_not_asked_for_keeps_the_old_one(dispatcher, domain) -> None:
    history = [{"event": "slot", "name": "address", "value": "幸福小区8栋1单元1201"}]
    tracker = form_tracker("1201 电话13812345678", "inform", "contact_phone", history=history,
                           slots={"address": "幸福小区8栋1单元1201"},
                           candidates={"address": "1201", "contact_phone": "13812345678"})
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["address"] == "幸福小区8栋1单元1201"
    assert events["contact_phone"] == "13812345678"
    assert dispatcher.messages == []


# -- messages that are no answer -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, intent", [("厨房里有煤气味", "report_emergency"), ("转人工", "request_human"),
                                          ("燃气费在哪交", "ask_payment"), ("查一下我的工单", "check_ticket"),
                                          ("明天天气怎么样", "out_of_scope")])
async def test_a_message_that_is_no_answer_is_rejected_and_leaves_no_trace(dispatcher, domain, text, intent) -> None:
    history = [{"event": "slot", "name": "utility", "value": "电力"}]
    tracker = form_tracker(text, intent, "address", history=history, slots={"utility": "电力"},
                           candidates={"utility": "燃气"}, entities=[entity("utility", "燃气")])
    events = await ValidateRepairForm().run(dispatcher, tracker, domain)
    assert events[0] == {"event": "action_execution_rejected", "name": "repair_form", "policy": None,
                         "confidence": None, "timestamp": None}
    assert slot_values(events) == {"utility": "电力"}, "the utility from this message is undone"
    assert dispatcher.messages == []


async def test_a_question_an_operator_published_never_fills_the_description(dispatcher, domain) -> None:
    """The gateway sends such a question as /ask_process{"kb_entry": ...}: it is answered, the form asks again."""
    tracker = form_tracker('/ask_process{"kb_entry": "gas.hall.card_replace"}', "ask_process", "description",
                           entities=[entity("kb_entry", "gas.hall.card_replace")])
    events = await ValidateRepairForm().run(dispatcher, tracker, domain)
    assert events[0]["event"] == "action_execution_rejected"
    assert "description" not in slot_values(events)


async def test_a_description_is_any_text_even_one_that_sounds_like_a_new_fault_report(dispatcher, domain) -> None:
    tracker = form_tracker("燃气灶打不着火", "report_fault", "description",
                           candidates={"description": "燃气灶打不着火"})
    events = await ValidateRepairForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["description"] == "燃气灶打不着火"


async def test_after_a_digression_the_same_message_is_not_read_again(dispatcher, domain) -> None:
    """The form resumes after the handbook answered a question: that question is not an address."""
    tracker = form_tracker("营业厅在哪里啊在哪", "ask_channel", "address")
    tracker.events.insert(-2, {"event": "action", "name": "action_answer_knowledge"})
    events = await ValidateRepairForm().run(dispatcher, tracker, domain)
    assert "address" not in slot_values(events)
    assert dispatcher.messages == []


# -- confirmation --------------------------------------------------------------------------------------------------

async def test_a_confirmed_readback_completes_the_form(dispatcher, domain) -> None:
    tracker = form_tracker("/affirm", "affirm", "ticket_confirmed", candidates={"ticket_confirmed": True})
    assert slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))["ticket_confirmed"] is True


async def test_modify_clears_the_slots_so_the_form_asks_again(dispatcher, domain) -> None:
    filled = {"utility": "燃气", "description": "表不走字", "address": "幸福小区8栋1单元1201",
              "contact_phone": "13812345678", "contact_phone_masked": "138****5678", "account_no": NO_ACCOUNT}
    tracker = form_tracker("/deny", "deny", "ticket_confirmed", slots=filled, candidates={"ticket_confirmed": False})
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert all(events[slot] is None for slot in FORM_SLOTS)
    assert responses(dispatcher) == ["utter_form_start_again"]


@pytest.mark.parametrize("said, confirmed", [("没错", True), ("对的没问题", True), ("确认", True),
                                             ("不对", False), ("地址错了", False), ("要修改", False)])
async def test_a_typed_reply_to_the_readback(dispatcher, domain, said, confirmed) -> None:
    tracker = form_tracker(said, "inform", "ticket_confirmed", slots={"utility": "燃气"},
                           candidates={"ticket_confirmed": said})
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    if confirmed:
        assert events["ticket_confirmed"] is True
    else:
        assert events["ticket_confirmed"] is None and events["utility"] is None, "asked again from the start"


async def test_an_unclear_reply_to_the_readback_explains_the_choice(dispatcher, domain) -> None:
    tracker = form_tracker("啥意思", "nlu_fallback", "ticket_confirmed", candidates={"ticket_confirmed": "啥意思"})
    events = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["ticket_confirmed"] is None
    assert responses(dispatcher) == ["utter_invalid_ticket_confirmed"]


# -- installation --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("said, kind", [("居民", "residential"), ("居民用户", "residential"), ("就是住家的", "residential"),
                                        ("非居民用户", "non_residential"), ("开了个饭店", "non_residential"),
                                        ("我们是工厂", "non_residential"), ("商铺", "non_residential"), ("嗯", None)])
def test_the_customer_type(said: str, kind: str | None) -> None:
    assert customer_type_of(said) == kind


@pytest.mark.parametrize("said, intent, needed", [("需要", "affirm", True), ("不需要", "deny", False),
                                                  ("楼里没有管道", "inform", True), ("楼里已经有管道了", "inform", False),
                                                  ("对", "affirm", True), ("不清楚", "nlu_fallback", None)])
def test_whether_a_pipe_from_outside_is_needed(said: str, intent: str, needed: bool | None) -> None:
    assert pipeline_needed(said, intent) is needed


async def test_a_non_residential_gas_customer_is_asked_about_the_outside_pipeline(dispatcher, domain) -> None:
    tracker = form_tracker("开饭店的", "inform", "customer_type", form="installation_form",
                           slots={"utility": "燃气"}, candidates={"customer_type": "开饭店的"})
    action = ValidateInstallationForm()
    events = slot_values(await action.run(dispatcher, tracker, domain))
    assert events["customer_type"] == "non_residential"
    assert "requested_slot" not in events, "Rasa asks the next empty slot in the domain's order"
    tracker.slots["customer_type"] = "non_residential"
    slots = await action.required_slots(action.domain_slots(domain), dispatcher, tracker, domain)
    assert slots.index("external_pipeline") == slots.index("customer_type") + 1


@pytest.mark.parametrize("utility, kind", [("电力", "非居民用户"), ("燃气", "居民用户")])
async def test_nobody_else_is_asked_about_the_pipeline(dispatcher, domain, utility, kind) -> None:
    tracker = form_tracker(kind, "inform", "customer_type", form="installation_form",
                           slots={"utility": utility, "company": "tianfu"}, candidates={"customer_type": kind})
    events = slot_values(await ValidateInstallationForm().run(dispatcher, tracker, domain))
    assert events["requested_slot"] == "address"


async def test_the_pipeline_answer_is_stored_as_yes_or_no(dispatcher, domain) -> None:
    tracker = form_tracker("不需要", "deny", "external_pipeline", form="installation_form",
                           slots={"utility": "燃气", "customer_type": "non_residential"},
                           candidates={"external_pipeline": "不需要"})
    events = slot_values(await ValidateInstallationForm().run(dispatcher, tracker, domain))
    assert events["external_pipeline"] is False
    readback = render(domain, "utter_ask_installation_form_ticket_confirmed", {
        "utility": "燃气", "customer_type": "non_residential", "external_pipeline": False,
        "address": "城北新区幸福大道9号底商", "contact_phone_masked": "138****5678"})
    assert "非居民用户燃气报装" in readback and "不需要从楼外接管道" in readback


async def test_who_the_customer_is_is_read_from_the_first_message(dispatcher, domain) -> None:
    tracker = form_tracker("我们饭店要开通天然气", "apply_installation", None, form="installation_form",
                           candidates={"utility": "燃气"}, entities=[entity("utility", "燃气")])
    events = slot_values(await ValidateInstallationForm().run(dispatcher, tracker, domain))
    assert events["customer_type"] == "non_residential"
    assert "requested_slot" not in events, "all slots asked: Rasa asks external_pipeline, next in the domain"


async def test_the_description_of_a_complaint_names_the_utility(dispatcher, domain) -> None:
    text = "抄表的人把我家暖气费算多了"
    tracker = form_tracker(text, "file_complaint", "description", form="complaint_form",
                           candidates={"description": text})
    events = slot_values(await ValidateComplaintForm().run(dispatcher, tracker, domain))
    assert events["description"] == text and events["utility"] == "供热"


async def test_a_complaint_keeps_what_the_first_message_said(dispatcher, domain) -> None:
    text = "上次报修师傅说好来一直没来 我要投诉"
    tracker = form_tracker(text, "file_complaint", None, form="complaint_form")
    events = slot_values(await ValidateComplaintForm().run(dispatcher, tracker, domain))
    assert events["description"] == text


def test_every_slot_of_every_form_has_a_short_question(domain) -> None:
    for form, spec in domain["forms"].items():
        for slot in spec["required_slots"]:
            if f"action_ask_{slot}" in domain["actions"]:
                assert f"action_ask_{slot}" in QUESTIONS[slot], (form, slot)   # a question with its own buttons
                continue
            asked = [f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"]
            response = next(r for r in asked if r in domain["responses"])
            assert response in QUESTIONS.get(slot, ()) + IDENTITY_QUESTIONS, (form, slot)
            for variation in domain["responses"][response]:
                assert variation["text"].rstrip().endswith(("？", "。")), response
                assert len(variation["text"]) <= 90, response


def test_odd_unicode_never_becomes_part_of_a_number_or_an_address() -> None:
    from bot.actions.forms import parse_account_no, parse_address, parse_phone

    assert parse_account_no("2\u200b0318845") == "20318845"
    assert parse_account_no("户号二零三一八八四五") == "20318845"
    assert parse_account_no("户号甲乙丙丁戊己庚辛") is None
    assert parse_phone("13\u200d812345678") == "13812345678"
    zalgo = "幸福小区8栋1单元1201" + "\u0336\u0337\u0338" * 3
    assert parse_address(zalgo) == "幸福小区8栋1单元1201"


# -- whose promises: the company and, for a 国家电网 repair, the area --------------------------------------------

async def _required(action, dispatcher, domain, slots: dict[str, Any], form: str = "repair_form") -> list[str]:
    tracker = form_tracker("好的", "affirm", "description", form=form, slots=slots)
    return await action.required_slots(action.domain_slots(domain), dispatcher, tracker, domain)


@pytest.mark.parametrize("slots, asked", [
    ({"utility": "燃气"}, True),                          # 昆仑燃气 and 天富热电 both supply gas
    ({"utility": "电力"}, True),                          # 国家电网 and 天富热电
    ({"utility": "供热"}, False),                         # only 天富热电: nothing to ask
    ({"utility": "燃气", "company": "kunlun"}, False),    # bound by the channel or named earlier
])
async def test_an_unbound_ticket_asks_which_company_only_when_several_serve_the_utility(
        dispatcher, domain, slots, asked) -> None:
    for action, form in ((ValidateRepairForm(), "repair_form"), (ValidateComplaintForm(), "complaint_form"),
                         (ValidateInstallationForm(), "installation_form")):
        assert ("ticket_company" in await _required(action, dispatcher, domain, slots, form)) is asked, form


async def test_the_company_question_offers_the_companies_of_that_utility(dispatcher, domain) -> None:
    from bot.actions.ticket_company import ActionAskTicketCompany

    await ActionAskTicketCompany().run(dispatcher, form_tracker("燃气表坏了", "report_fault", "ticket_company",
                                                                slots={"utility": "电力"}), domain)
    [question] = dispatcher.messages
    assert [b["title"] for b in question["buttons"]] == ["天富热电", "国家电网", "不清楚"]
    assert "电力" in question["text"]


@pytest.mark.parametrize("said, kept, bound", [("天富热电", "tianfu", "tianfu"), ("国家电网的", "grid", "grid"),
                                               ("不清楚", "unknown", None), ("昆仑燃气", None, None)])
async def test_the_company_answer_binds_the_conversation(dispatcher, domain, said, kept, bound) -> None:
    tracker = form_tracker(said, "inform", "ticket_company", slots={"utility": "电力"},
                           candidates={"ticket_company": said})
    values = slot_values(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert values["ticket_company"] == kept and values.get("company") == bound
    if kept is None:     # 昆仑燃气 supplies no electricity: explained, asked again
        assert responses(dispatcher)[0] == "utter_invalid_ticket_company"


@pytest.mark.parametrize("slots, asked", [
    ({"utility": "电力", "company": "grid", "address": "幸福小区8栋1单元1201"}, True),
    ({"utility": "电力", "company": "grid", "address": "红旗乡东湾村三组12号"}, False),   # the address says rural
    ({"utility": "电力", "company": "tianfu", "address": "幸福小区8栋1单元1201"}, False),  # Tianfu: no arrival time
    ({"utility": "电力", "ticket_company": "grid", "address": "幸福小区8栋"}, True),
    ({"utility": "燃气", "company": "kunlun", "address": "幸福小区8栋"}, False),
])
async def test_a_grid_electricity_repair_asks_town_countryside_or_remote(dispatcher, domain, slots, asked) -> None:
    assert ("service_area" in await _required(ValidateRepairForm(), dispatcher, domain, slots)) is asked


@pytest.mark.parametrize("said, area", [("城区", "urban"), ("县城里", "urban"), ("农村", "rural"), ("在乡镇上", "rural"),
                                        ("偏远山区", "remote"), ("牧区", "remote"), ("不知道", None)])
def test_the_area_answer_is_read(said: str, area: str | None) -> None:
    assert parse_area(said) == area
