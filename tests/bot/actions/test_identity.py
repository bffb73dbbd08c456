"""Tickets from another channel: 户号 or ticket number plus the phone's last four digits, checked by the gateway."""
from __future__ import annotations

from bot.actions.identity import ActionVerifyIdentity, parse_last4, parse_reference
from tests.bot.trackers import make_tracker, texts


def verifying(reference: str, last4: str):
    return make_tracker(last4, "inform", slots={"identity_reference": reference, "identity_phone_last4": last4})


def test_a_reference_is_a_ticket_number_or_an_account() -> None:
    assert parse_reference("工单号是 bx 2026 1123 0007") == "ticket_no:BX20261123-0007"
    assert parse_reference("户号二零三一八八四五") == "account_no:20318845"
    assert parse_reference("我不记得了") is None
    assert parse_reference("13812345678") is None, "a mobile number is not a 户号"


def test_the_last_four_digits_from_any_answer() -> None:
    assert parse_last4("5678") == "5678"
    assert parse_last4("尾号五六七八") == "5678"
    assert parse_last4("电话是138 1234 5678") == "5678"
    assert parse_last4("不知道") is None


async def test_a_ticket_number_and_the_right_digits_show_that_phones_tickets(gateway, dispatcher, domain) -> None:
    ticket = gateway.add_ticket("voice:call-7", contact_phone="13900002222", account_no="20318845")
    gateway.add_ticket("voice:call-8", contact_phone="13900009999")
    events = await ActionVerifyIdentity().run(dispatcher, verifying(f"ticket_no:{ticket['ticket_no']}", "2222"), domain)
    [reply] = texts(dispatcher, domain)
    assert "验证通过" in reply and ticket["ticket_no"] in reply and "BX20261123-0002" not in reply
    assert all(e["value"] is None for e in events if e["event"] == "slot"), "the answers are not kept"


async def test_an_account_number_works_too(gateway, dispatcher, domain) -> None:
    ticket = gateway.add_ticket("voice:call-7", contact_phone="13900002222", account_no="20318845")
    await ActionVerifyIdentity().run(dispatcher, verifying("account_no:20318845", "2222"), domain)
    assert ticket["ticket_no"] in texts(dispatcher, domain)[0]


async def test_wrong_digits_say_how_many_tries_are_left_then_refuse(gateway, dispatcher, domain) -> None:
    gateway.add_ticket("voice:call-7", contact_phone="13900002222", account_no="20318845")
    for left in (4, 3, 2, 1):
        said = type(dispatcher)()
        await ActionVerifyIdentity().run(said, verifying("account_no:20318845", "0000"), domain)
        assert said.messages[0]["response"] == "utter_identity_mismatch" and said.messages[0]["attempts_left"] == left
        assert said.messages[0]["buttons"][0]["payload"] == "/verify_identity"
    for digits in ("0000", "2222"):  # the fifth wrong try; then even the right digits get the gateway's 429
        said = type(dispatcher)()
        await ActionVerifyIdentity().run(said, verifying("account_no:20318845", digits), domain)
        assert said.messages[0]["response"] == "utter_identity_locked"
    assert "一小时后再试" in domain["responses"]["utter_identity_locked"][0]["text"]
