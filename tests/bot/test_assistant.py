"""End to end: the trained model, the action server and Rasa on a real Redis, spoken to over Rasa's REST
channel. These assert what the customer receives."""
from __future__ import annotations

import pytest
import redis

pytestmark = pytest.mark.stack


def replies(assistant, conversation: str, text: str) -> list[str]:
    return [m.get("text", "") for m in assistant.say(conversation, text)]


def test_a_payment_question_is_answered_from_the_handbook_with_its_source(assistant, conversation) -> None:
    answer = "\n".join(replies(assistant, conversation, "燃气费在哪交"))
    assert "营业厅" in answer
    assert "依据《天然气客户标准化服务指导手册》" in answer
    assert "个人账户" in answer


def test_a_gas_leak_in_the_middle_of_another_topic_gets_safety_instructions_first(assistant, conversation) -> None:
    replies(assistant, conversation, "过户需要带什么材料")
    first, *rest = replies(assistant, conversation, "等一下 厨房里好像有煤气味")
    assert first.startswith("燃气泄漏很危险")
    assert "不要开关电灯" in first and "打开门窗" in first
    assert any("人工客服" in r for r in rest)


def test_an_emergency_during_a_clarification_still_comes_first(assistant, conversation) -> None:
    question = assistant.say(conversation, "投诉以后多长时间给回复")
    assert question[0].get("buttons"), "the assistant asks which utility"
    first = replies(assistant, conversation, "电线掉下来了还在冒火花")[0]
    assert "远离掉落或冒火花的电线" in first


def test_the_utility_button_answers_the_question_asked_before(assistant, conversation) -> None:
    buttons = assistant.say(conversation, "投诉以后多长时间给回复")[0]["buttons"]
    gas = next(b for b in buttons if b["title"] == "燃气")
    answer = "\n".join(replies(assistant, conversation, gas["payload"]))
    assert "48小时" in answer and "【燃气】" in answer


def test_unrelated_requests_are_declined_politely(assistant, conversation) -> None:
    for text in ("明天北京天气怎么样", "帮我订一张去上海的火车票", "放首周杰伦的歌"):
        assert replies(assistant, conversation, text) == [
            "抱歉，这个问题不在我的服务范围。我能帮您办理燃气、电力、供热的缴费咨询、报修、报装、投诉和业务办理。"], text


def test_a_request_for_a_human_is_acknowledged(assistant, conversation) -> None:
    assert "正在为您转接人工客服" in replies(assistant, conversation, "转人工")[0]


def test_conversations_are_kept_in_redis_and_apart(assistant, conversation) -> None:
    other = conversation + "-other"
    replies(assistant, conversation, "投诉以后多长时间给回复")
    # The other customer has asked nothing: their "燃气" must not answer this customer's pending question.
    assert not any("48小时" in r for r in replies(assistant, other, "燃气"))
    assert any("48小时" in r for r in replies(assistant, conversation, "燃气"))
    store = redis.Redis.from_url(assistant.redis_url)
    assert store.exists(f"assistant:tracker:{conversation}")
    assert store.exists(f"assistant:tracker:{other}")
