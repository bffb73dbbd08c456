"""A ticket reported by phone, looked up from the widget and from WeChat: the customer proves it is theirs with
the ticket number or 户号 and the last four digits of its contact phone; five wrong tries an hour, then a refusal."""
from __future__ import annotations

import uuid

from tests.gateway.conftest import widget_session
from tests.gateway.test_wechat import openid, post, reply_text, text_xml


def phone_ticket(internal, phone: str, account_no: str) -> str:
    """A repair ticket opened on a phone call (the action server's call, as the bot makes it on the IVR)."""
    call = f"voice:call-{uuid.uuid4().hex[:10]}"
    response = internal.post("/internal/tickets", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
        "type": "repair", "utility": "gas", "conversation_id": call, "channel": "voice", "contact_phone": phone,
        "account_no": account_no, "address": "幸福小区8栋1单元1201", "description": "燃气表不走字"})
    assert response.status_code == 201, response.text
    return response.json()["ticket_no"]


def widget_says(client, headers, text: str) -> str:
    reply = client.post("/api/widget/messages", json={"text": text}, headers=headers)
    assert reply.status_code == 200, reply.text
    return "\n".join(m["text"] for m in reply.json()["messages"])


def test_a_phone_ticket_is_found_in_the_widget_with_the_ticket_number_and_last_four_digits(client, internal) -> None:
    number = phone_ticket(internal, "13900003333", "20318845")
    headers, _ = widget_session(client)
    asked = widget_says(client, headers, "我在电话里报的修怎么样了")
    assert "户号或者工单号" in asked and number not in asked
    assert "后四位" in widget_says(client, headers, f"工单号是{number}")
    shown = widget_says(client, headers, "3333")
    assert "验证通过" in shown and number in shown and "已受理" in shown
    again = widget_says(client, headers, "查一下我的工单")
    assert number in again, "the proved phone's tickets stay visible in this conversation"


def test_the_account_number_works_as_well(client, internal) -> None:
    number = phone_ticket(internal, "13900004444", "30562218")
    headers, _ = widget_session(client)
    widget_says(client, headers, "前几天打电话报修的 现在什么情况")
    widget_says(client, headers, "户号30562218")
    assert number in widget_says(client, headers, "尾号4444")


def test_five_wrong_tries_an_hour_then_a_clear_refusal(client, internal) -> None:
    number = phone_ticket(internal, "13900005555", "40112233")
    headers, _ = widget_session(client)
    for left in (4, 3, 2, 1):
        widget_says(client, headers, "我在电话里报的修怎么样了")
        widget_says(client, headers, number)
        assert f"还能试{left}次" in widget_says(client, headers, "0000")
    widget_says(client, headers, "我在电话里报的修怎么样了")
    widget_says(client, headers, number)
    assert "一小时后再试" in widget_says(client, headers, "0000")
    widget_says(client, headers, "我在电话里报的修怎么样了")
    widget_says(client, headers, number)
    refused = widget_says(client, headers, "5555")
    assert "一小时后再试" in refused and "验证通过" not in refused, "even the right digits are refused now"


def test_a_phone_ticket_is_found_on_wechat(client, internal) -> None:
    number = phone_ticket(internal, "13900006666", "50112233")
    user = openid()
    asked = reply_text(post(client, text_xml(user, "我在电话里报的修怎么样了")))
    assert "户号或者工单号" in asked
    assert "后四位" in reply_text(post(client, text_xml(user, number)))
    shown = reply_text(post(client, text_xml(user, "6666")))
    assert "验证通过" in shown and number in shown
