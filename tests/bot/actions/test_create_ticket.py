"""action_create_ticket and the gateway client: one ticket per confirmed form, announced only when it exists."""
from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk import Tracker

from bot.actions.create_ticket import ActionCreateTicket, grouped_ticket_no
from bot.actions.forms import FORM_SLOTS, NO_ACCOUNT
from bot.actions.gateway_client import GatewayClient, GatewayError
from bot.actions.settings import GatewaySettings
from tests.bot.gateway_stub import CITATION
from tests.bot.trackers import texts

REPAIR = {"utility": "燃气", "description": "燃气表不走字了", "address": "幸福小区8栋1单元1201",
          "contact_phone": "13812345678", "contact_phone_masked": "138****5678", "account_no": NO_ACCOUNT,
          "ticket_confirmed": True}


def confirmed_form(form: str = "repair_form", slots: dict[str, Any] | None = None, message_id: str = "msg-1",
                   sender: str = "web:3f2a") -> Tracker:
    """The tracker after the form ended on the customer's confirming message."""
    confirm = {"event": "user", "text": "/affirm", "message_id": message_id, "timestamp": 1795420800,
               "parse_data": {"intent": {"name": "affirm", "confidence": 1.0}, "entities": []}}
    events = [{"event": "active_loop", "name": form}, confirm, {"event": "action", "name": form},
              {"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None}]
    return Tracker(sender_id=sender, slots={**REPAIR, **(slots or {})}, latest_message=confirm["parse_data"],
                   events=events, paused=False, followup_action=None, active_loop={},
                   latest_action_name=form)


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_the_customer_reads_the_number_the_promised_date_with_its_source_and_what_happens_next(
        gateway, dispatcher, domain) -> None:
    events = await ActionCreateTicket().run(dispatcher, confirmed_form(), domain)
    announcement, next_steps = texts(dispatcher, domain)
    assert "BX20261123-0001" in announcement
    assert "BX 2026 1123 0001" in announcement, "digit groups a customer can note down"
    assert "11月24日16:00前" in announcement and CITATION in announcement
    assert "维修人员会在承诺时间内联系您上门" in next_steps
    slots = slot_values(events)
    assert slots["last_ticket_no"] == "BX20261123-0001"
    assert all(slots[slot] is None for slot in FORM_SLOTS), "the form's slots are cleared"


async def test_the_ticket_body_follows_the_contract(gateway, dispatcher, domain) -> None:
    await ActionCreateTicket().run(dispatcher, confirmed_form(), domain)
    [request] = gateway.ticket_requests
    assert re.fullmatch(r"web:3f2a:repair_form:20\d{6}:[0-9a-f]{24}", request["key"]), request["key"]
    assert request["body"] == {
        "type": "repair", "utility": "gas", "conversation_id": "web:3f2a", "channel": "web",
        "contact_phone": "13812345678", "account_no": None, "address": "幸福小区8栋1单元1201",
        "description": "燃气表不走字了", "priority": "normal", "customer_type": None, "external_pipeline": None,
        "company": None, "area": None}   # unbound, and two companies supply gas: nobody's promise is assumed


async def test_the_company_chosen_in_the_form_and_the_area_go_with_the_ticket(gateway, dispatcher, domain) -> None:
    tracker = confirmed_form(slots={"utility": "电力", "ticket_company": "grid", "service_area": "remote"})
    await ActionCreateTicket().run(dispatcher, tracker, domain)
    [request] = gateway.ticket_requests
    assert request["body"]["company"] == "grid" and request["body"]["area"] == "remote"
    bound = confirmed_form(slots={"utility": "电力", "ticket_company": "grid", "company": "tianfu"},
                           message_id="msg-2")
    await ActionCreateTicket().run(dispatcher, bound, domain)
    assert gateway.ticket_requests[1]["body"]["company"] == "tianfu", "the conversation's own company wins"


async def test_the_same_request_sent_again_is_one_ticket(gateway, dispatcher, domain) -> None:
    """Rasa may run the confirming turn again (its tracker could not be saved, the customer retried): a new
    message id, the same request, the same key, the same ticket."""
    first = await ActionCreateTicket().run(dispatcher, confirmed_form(message_id="msg-7"), domain)
    second = await ActionCreateTicket().run(dispatcher, confirmed_form(message_id="msg-8"), domain)
    assert len(gateway.tickets) == 1
    assert slot_values(first)["last_ticket_no"] == slot_values(second)["last_ticket_no"] == "BX20261123-0001"
    assert len({r["key"] for r in gateway.ticket_requests}) == 1


async def test_a_different_request_is_a_new_ticket(gateway, dispatcher, domain) -> None:
    await ActionCreateTicket().run(dispatcher, confirmed_form(), domain)
    await ActionCreateTicket().run(dispatcher, confirmed_form(slots={"description": "燃气灶打不着火"}), domain)
    await ActionCreateTicket().run(dispatcher, confirmed_form(sender="web:9c1d"), domain)
    assert sorted(gateway.tickets) == ["BX20261123-0001", "BX20261123-0002", "BX20261123-0003"]


async def test_a_non_residential_gas_installation(gateway, dispatcher, domain) -> None:
    slots = {"description": None, "account_no": None, "address": "城北新区幸福大道9号底商",
             "customer_type": "non_residential", "external_pipeline": True}
    await ActionCreateTicket().run(dispatcher, confirmed_form("installation_form", slots), domain)
    body = gateway.ticket_requests[0]["body"]
    assert body["type"] == "installation" and body["customer_type"] == "non_residential"
    assert body["external_pipeline"] is True
    assert body["description"] == "非居民燃气报装，需要从楼外接入燃气管道"
    assert "BZ20261123-0001" in texts(dispatcher, domain)[0]
    assert "约时间上门勘查" in texts(dispatcher, domain)[1]


async def test_gateway_down_no_ticket_is_claimed_the_answers_stay_and_a_retry_is_offered(dispatcher, domain) -> None:
    events = await ActionCreateTicket().run(dispatcher, confirmed_form(), domain)
    said = "\n".join(texts(dispatcher, domain))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_ticket_not_registered"]
    assert "工单号是" not in said and "BX" not in said
    assert "没能登记" in said and "重新提交" in said
    assert "转接" not in said, "no human is promised while the gateway is down"
    assert domain["responses"]["utter_ticket_not_registered"][0]["buttons"] == [
        {"title": "重新提交", "payload": "/affirm"}]
    assert slot_values(events) == {"ticket_retry": True}, "the answers and the confirmation are kept"


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_an_outage_then_a_retry_registers_exactly_one_ticket(gateway, dispatcher, domain, status) -> None:
    gateway.ticket_status = status
    failed = await ActionCreateTicket().run(dispatcher, confirmed_form(message_id="msg-1"), domain)
    assert slot_values(failed) == {"ticket_retry": True}
    gateway.ticket_status = None
    retried = await ActionCreateTicket().run(dispatcher, confirmed_form(slots={"ticket_retry": True},
                                                                        message_id="msg-2"), domain)
    assert slot_values(retried)["last_ticket_no"] == "BX20261123-0001"
    assert slot_values(retried)["ticket_retry"] is None
    assert list(gateway.tickets) == ["BX20261123-0001"]


async def test_a_ticket_registered_but_its_answer_lost_is_not_registered_twice(gateway, dispatcher, domain) -> None:
    gateway.lost_answers = 1
    failed = await ActionCreateTicket().run(dispatcher, confirmed_form(message_id="msg-1"), domain)
    assert slot_values(failed) == {"ticket_retry": True}
    retried = await ActionCreateTicket().run(dispatcher, confirmed_form(message_id="msg-2"), domain)
    assert slot_values(retried)["last_ticket_no"] == "BX20261123-0001"
    assert list(gateway.tickets) == ["BX20261123-0001"], "the retry found the ticket the first attempt made"


async def test_a_ticket_the_gateway_refuses_goes_to_a_human_with_the_details(gateway, dispatcher, domain) -> None:
    gateway.ticket_status = 422
    events = await ActionCreateTicket().run(dispatcher, confirmed_form(), domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_ticket_refused", "utter_handoff_pending"]
    packet = gateway.handoffs["web:3f2a"]
    assert packet["reason"] == "form_failed"
    assert packet["slots"]["contact_phone"] == "13812345678" and packet["slots"]["address"] == "幸福小区8栋1单元1201"
    slots = slot_values(events)
    assert slots["handoff_requested"] is True and slots["ticket_confirmed"] is None and slots["ticket_retry"] is None


async def test_nothing_is_registered_without_a_confirmation(gateway, dispatcher, domain) -> None:
    await ActionCreateTicket().run(dispatcher, confirmed_form(slots={"ticket_confirmed": None}), domain)
    assert gateway.ticket_requests == []
    assert dispatcher.messages[0]["response"] == "utter_ticket_not_confirmed"


def test_ticket_numbers_are_written_in_groups() -> None:
    assert grouped_ticket_no("BX20261123-0007") == "BX 2026 1123 0007"
    assert grouped_ticket_no("not a number") == "not a number"


# -- the client ----------------------------------------------------------------------------------------------------

async def test_the_client_sends_the_service_token(gateway) -> None:
    wrong = GatewayClient(GatewaySettings(url=gateway.url, service_token="wrong"))
    with pytest.raises(GatewayError) as error:
        await wrong.tickets_for("web:1")
    assert error.value.status == 401
    assert await GatewayClient().tickets_for("web:1") == []


async def test_a_slow_gateway_is_a_clear_error_not_a_hang(gateway) -> None:
    gateway.delay_seconds = 1.0
    with pytest.raises(GatewayError, match="no answer within 0.2 s"):
        await GatewayClient(timeout_seconds=0.2).tickets_for("web:1")


async def test_a_conflicting_body_for_a_used_key_is_an_error(gateway) -> None:
    body = {"type": "repair", "utility": "gas", "conversation_id": "web:1", "contact_phone": "13812345678",
            "description": "表不走字"}
    await GatewayClient().create_ticket(body, "web:1:repair_form:m1")
    with pytest.raises(GatewayError) as error:
        await GatewayClient().create_ticket({**body, "description": "别的"}, "web:1:repair_form:m1")
    assert error.value.status == 409


async def test_an_unreachable_gateway_is_a_clear_error() -> None:
    with pytest.raises(GatewayError, match="ClientConnectorError"):
        await GatewayClient().tickets_for("web:1")


async def test_a_second_complaint_escalates_to_an_agent_with_priority(gateway, dispatcher, domain) -> None:
    gateway.add_ticket("web:3f2a", "complaint", description="上次的投诉")
    events = await ActionCreateTicket().run(dispatcher, confirmed_form("complaint_form", message_id="c-2"), domain)
    replies = texts(dispatcher, domain)
    assert any("直接转给人工客服优先处理" in r for r in replies)
    packet = gateway.handoffs["web:3f2a"]
    assert (packet["reason"], packet["priority"]) == ("complaint_escalation", "urgent")
    assert slot_values(events)["last_ticket_no"].startswith("TS")


async def test_a_first_complaint_is_not_escalated(gateway, dispatcher, domain) -> None:
    await ActionCreateTicket().run(dispatcher, confirmed_form("complaint_form", sender="web:first"), domain)
    assert "web:first" not in gateway.handoffs
    assert any("在承诺时间内把处理结果告诉您" in r for r in texts(dispatcher, domain))
