"""action_handle_fallback: one request to rephrase, then the offer of a human."""
from __future__ import annotations

from bot.actions.fallback import ActionHandleFallback
from tests.bot.trackers import make_tracker, user_event


async def test_the_first_unclear_message_asks_to_rephrase_with_topics(dispatcher, domain) -> None:
    await ActionHandleFallback().run(dispatcher, make_tracker("嗯那个就是", "nlu_fallback"), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_rephrase"
    assert {"title": "转人工客服", "payload": "/request_human"} in message["buttons"]


async def test_a_second_unclear_message_in_a_row_offers_a_human(dispatcher, domain) -> None:
    history = [user_event("嗯那个就是", "nlu_fallback"), {"event": "action", "name": "action_handle_fallback"}]
    await ActionHandleFallback().run(dispatcher, make_tracker("就那个啊", "nlu_fallback", history=history), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_fallback_offer_human"


async def test_an_understood_message_resets_the_count(dispatcher, domain) -> None:
    history = [user_event("嗯那个就是", "nlu_fallback"), user_event("燃气费怎么交", "ask_payment")]
    await ActionHandleFallback().run(dispatcher, make_tracker("就那个啊", "nlu_fallback", history=history), domain)
    assert dispatcher.messages[0]["response"] == "utter_ask_rephrase"


async def test_a_question_the_classifier_was_unsure_about_is_still_answered_from_the_handbook(dispatcher, domain) -> None:
    tracker = make_tracker("燃气退款几天到账", "nlu_fallback")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_process", "confidence": 0.45},
        {"name": "ask_payment", "confidence": 0.4}]
    await ActionHandleFallback().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert "5个工作日" in message["text"]


async def test_an_unclear_non_question_is_not_sent_to_the_handbook(dispatcher, domain) -> None:
    tracker = make_tracker("燃气退款几天到账", "nlu_fallback")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.45}]
    await ActionHandleFallback().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_ask_rephrase"


async def test_offering_a_human_after_repeated_misunderstanding_records_the_reason(dispatcher, domain) -> None:
    history = [user_event("嗯那个就是", "nlu_fallback"), {"event": "action", "name": "action_handle_fallback"}]
    events = await ActionHandleFallback().run(dispatcher, make_tracker("就那个啊", "nlu_fallback", history=history), domain)
    assert {"event": "slot", "name": "handoff_reason", "value": "repeated_fallback", "timestamp": None} in events


async def test_a_third_miss_in_a_row_hands_over_to_a_human(gateway, dispatcher, domain) -> None:
    history = [user_event("嗯那个就是", "nlu_fallback"), {"event": "action", "name": "action_handle_fallback"},
               user_event("就那个啊", "nlu_fallback"), {"event": "action", "name": "action_handle_fallback"}]
    tracker = make_tracker("啊啊啊", "nlu_fallback", history=history)
    await ActionHandleFallback().run(dispatcher, tracker, domain)
    assert gateway.handoffs[tracker.sender_id]["reason"] == "repeated_fallback"
