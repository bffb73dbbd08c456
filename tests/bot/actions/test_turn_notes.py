"""The bot tells the gateway what each turn was (core/turns.py), on the reply itself: the entries of an answer,
the choices of a menu, an unanswered question and why. The operators' inbox and the analytics read these."""
from __future__ import annotations

from bot.actions.answer_knowledge import ActionAnswerKnowledge
from bot.actions.fallback import ActionHandleFallback
from bot.actions.out_of_scope import ActionOutOfScope
from tests.bot.trackers import make_tracker


def turn(message: dict) -> dict | None:
    return (message.get("custom") or {}).get("turn")


async def test_an_answer_names_its_entries_on_the_answer_itself(dispatcher, domain) -> None:
    await ActionAnswerKnowledge().run(dispatcher, make_tracker("燃气费在哪交", "ask_payment"), domain)
    answer = dispatcher.messages[0]
    assert "依据" in answer["text"]
    assert turn(answer) == {"kind": "answer", "entries": ["gas.hall.payment"]}


async def test_a_question_the_handbook_does_not_cover_is_noted_unanswered(dispatcher, domain) -> None:
    await ActionAnswerKnowledge().run(dispatcher, make_tracker("量子力学是什么", "ask_process"), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_knowledge_not_found"
    assert turn(message) == {"kind": "unanswered", "reason": "no_entry"}


async def test_a_message_not_understood_is_noted_unanswered(dispatcher, domain) -> None:
    await ActionHandleFallback().run(dispatcher, make_tracker("嗯那个就是", "nlu_fallback"), domain)
    [message] = dispatcher.messages
    assert turn(message) == {"kind": "unanswered", "reason": "fallback"}


async def test_out_of_scope_is_noted_only_when_it_sounds_like_the_service(dispatcher, domain) -> None:
    await ActionOutOfScope().run(dispatcher, make_tracker("预付费卡丢了咋办", "out_of_scope"), domain)
    await ActionOutOfScope().run(dispatcher, make_tracker("燃气公司的年会在哪开", "out_of_scope"), domain)
    await ActionOutOfScope().run(dispatcher, make_tracker("今天天气怎么样", "out_of_scope"), domain)
    first, second, third = dispatcher.messages
    assert all(m["response"] == "utter_out_of_scope" for m in dispatcher.messages)
    assert turn(first) == {"kind": "unanswered", "reason": "out_of_scope"}
    assert turn(second) == {"kind": "unanswered", "reason": "out_of_scope", "utility": "gas"}
    assert turn(third) is None
