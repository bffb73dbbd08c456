"""action_check_ticket: the customer's own tickets only; another customer's number reveals nothing."""
from __future__ import annotations

from bot.actions.check_ticket import ActionCheckTicket, ticket_no_in
from tests.bot.trackers import entity, make_tracker, texts

HUMAN = {"title": "转人工客服", "payload": "/request_human"}


def asking(text: str, number: str | None = None):
    return make_tracker(text, "check_ticket", [entity("ticket_no", number)] if number else [])


async def test_an_own_ticket_is_described_with_status_and_promised_date(gateway, dispatcher, domain) -> None:
    ticket = gateway.add_ticket("test-customer")
    await ActionCheckTicket().run(dispatcher, asking(f"查一下{ticket['ticket_no']}", ticket["ticket_no"]), domain)
    [reply] = texts(dispatcher, domain)
    assert ticket["ticket_no"] in reply and "已受理" in reply and "11月24日16:00前" in reply


async def test_another_customers_ticket_number_reveals_nothing(gateway, dispatcher, domain) -> None:
    theirs = gateway.add_ticket("web:someone-else", note="secret")["ticket_no"]
    events = await ActionCheckTicket().run(dispatcher, asking(f"查一下{theirs}", theirs), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_ticket_not_found" and message["ticket_no"] == theirs
    assert events[-1]["name"] == "identity_form", "only the phone's last four digits can prove it is theirs"

    # Word for word what a number that exists nowhere gets: nothing tells the two apart.
    nowhere = "BX20991231-0001"
    other = type(dispatcher)()
    await ActionCheckTicket().run(other, asking(f"查一下{nowhere}", nowhere), domain)
    assert {k: v for k, v in other.messages[0].items() if k != "ticket_no"} == \
        {k: v for k, v in message.items() if k != "ticket_no"}
    said = texts(dispatcher, domain)[0]
    assert "已受理" not in said and "11月24日" not in said


async def test_without_a_number_the_recent_tickets_are_listed(gateway, dispatcher, domain) -> None:
    gateway.add_ticket("test-customer")
    gateway.add_ticket("test-customer", "complaint")
    gateway.add_ticket("web:someone-else")
    await ActionCheckTicket().run(dispatcher, asking("我报修的到哪了"), domain)
    [reply] = texts(dispatcher, domain)
    lines = reply.splitlines()
    assert lines[1].startswith("1. TS20261123-0001（投诉）：已受理") and "11月24日16:00前" in lines[1]
    assert lines[2].startswith("2. BX20261123-0001（报修）")
    assert "BX20261123-0002" not in reply


async def test_no_tickets_here_starts_the_identity_check(gateway, dispatcher, domain) -> None:
    events = await ActionCheckTicket().run(dispatcher, asking("我在电话里报的修怎么样了"), domain)
    assert dispatcher.messages[0]["response"] == "utter_no_tickets_here"
    assert events[-1] == {"event": "followup", "name": "identity_form", "timestamp": None}


async def test_a_number_not_found_here_asks_only_for_the_phone_digits(gateway, dispatcher, domain) -> None:
    number = gateway.add_ticket("voice:call-1", contact_phone="13900002222")["ticket_no"]
    events = await ActionCheckTicket().run(dispatcher, asking(f"查一下{number}", number), domain)
    assert dispatcher.messages[0]["response"] == "utter_ticket_not_found"
    assert {"event": "slot", "timestamp": None, "name": "identity_reference", "value": f"ticket_no:{number}"} in events
    assert events[-1] == {"event": "followup", "name": "identity_form", "timestamp": None}


async def test_gateway_down_is_said_politely_with_a_human_offered(dispatcher, domain) -> None:
    await ActionCheckTicket().run(dispatcher, asking("查一下BX20261123-0001", "BX20261123-0001"), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_ticket_lookup_failed" and message["buttons"] == [HUMAN]


def test_a_number_said_with_spaces_is_understood() -> None:
    assert ticket_no_in(None, "帮我查 bx 2026 1123 0007") == "BX20261123-0007"
    assert ticket_no_in("BX20261123-0007") == "BX20261123-0007"
    assert ticket_no_in("我报修的到哪了") is None


async def test_asked_where_progress_is_shown_without_a_ticket_here_the_handbook_answers_first(gateway, dispatcher,
                                                                                               domain) -> None:
    """停电抢修的进展在哪能看到？ with no ticket in this conversation: where the progress is published, cited, then
    how to find a ticket registered by phone; a plain 查一下我的工单 gets only the latter."""
    events = await ActionCheckTicket().run(dispatcher, asking("停电抢修的进展在哪能看到？"), domain)
    first, second = texts(dispatcher, domain)
    assert "依据《" in first or "参考《" in first
    assert "进展" in first or "进度" in first
    assert "还没有查到您的工单" in second
    assert events[-1]["name"] == "identity_form"
    for lookup in ("查一下我的工单", "能不能帮我查一下工单"):
        plain = type(dispatcher)()
        await ActionCheckTicket().run(plain, asking(lookup), domain)
        assert [m.get("response") for m in plain.messages] == ["utter_no_tickets_here"], lookup
