"""End to end, what the customer hears when something behind the assistant fails: a ticket the gateway could
not register is kept and sent again on "确认" (once, whatever happened to the first attempt), and a conversation
whose memory was lost is not silently started over."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.stack

LOST = "抱歉，系统刚才中断了一下"


def texts(assistant, conversation: str, text: str, **metadata) -> list[str]:
    return [m.get("text", "") for m in assistant.say(conversation, text, metadata)]


def fill_repair_form(assistant, conversation: str) -> None:
    texts(assistant, conversation, "我家暖气一点都不热")
    texts(assistant, conversation, "幸福小区8栋1单元1201")
    texts(assistant, conversation, "13812345678")
    assert "信息对吗" in texts(assistant, conversation, "没有")[0]


def tickets_of(assistant, conversation: str) -> list[dict]:
    return [t for t in assistant.gateway.tickets.values() if t["body"]["conversation_id"] == conversation]


@pytest.mark.parametrize("outage", ["unavailable", "answer lost"])
def test_a_ticket_that_could_not_be_registered_is_sent_again_once_on_confirm(assistant, conversation, outage) -> None:
    fill_repair_form(assistant, conversation)
    if outage == "unavailable":
        assistant.gateway.ticket_status = 503
    else:
        assistant.gateway.lost_answers = 1
    try:
        [refusal] = assistant.say(conversation, "对的")
    finally:
        assistant.gateway.ticket_status = None
        assistant.gateway.lost_answers = 0
    assert "没能登记" in refusal["text"] and "工单号是" not in refusal["text"]
    assert refusal["buttons"] == [{"title": "重新提交", "payload": "/affirm"}]
    announcement = "\n".join(texts(assistant, conversation, refusal["buttons"][0]["payload"]))
    [ticket] = tickets_of(assistant, conversation)
    assert ticket["ticket_no"] in announcement and "维修人员" in announcement
    assert ticket["body"]["address"] == "幸福小区8栋1单元1201", "nothing had to be asked again"
    texts(assistant, conversation, "确认")
    assert len(tickets_of(assistant, conversation)) == 1, "a later 确认 does not send the ticket again"


def test_a_customer_whose_conversation_was_lost_is_told_so(assistant, conversation) -> None:
    # The gateway saw this customer write a minute ago, yet the tracker is new: Redis lost it.
    first, *rest = texts(assistant, conversation, "13812345678", previous_message_at=time.time() - 60)
    assert first.startswith(LOST) and "再跟我说一次" in first
    assert rest, "the message itself is still answered"
    assert not any(LOST in t for t in texts(assistant, conversation, "燃气费在哪交",
                                            previous_message_at=time.time() - 5)), "told once"


@pytest.mark.parametrize("metadata", [{}, {"previous_message_at": None}, {"previous_message_at": "yesterday"},
                                      {"previous_message_at": time.time() - 2 * 3600}])
def test_a_new_or_returning_customer_is_not_told_of_an_interruption(assistant, conversation, metadata) -> None:
    assert not any(LOST in t for t in texts(assistant, conversation, "你好", **metadata))
