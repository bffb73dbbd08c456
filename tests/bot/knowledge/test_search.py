"""Search finds the right entry, asks when the utility matters, and admits when nothing fits."""
from __future__ import annotations

import pytest

from knowledge import load_knowledge_base
from knowledge.search import KnowledgeSearch, Outcome

KB = load_knowledge_base()
SEARCH = KnowledgeSearch(KB)
EXAMPLES = [(entry.id, question) for entry in KB.entries for question in entry.examples]


@pytest.mark.parametrize("entry_id, question", EXAMPLES, ids=[f"{e}:{q}" for e, q in EXAMPLES])
def test_each_example_question_finds_its_entry_first(entry_id: str, question: str) -> None:
    assert SEARCH.rank(question)[0].entry.id == entry_id


def test_a_question_whose_answer_differs_by_utility_asks_which() -> None:
    decision = SEARCH.decide("投诉多久给答复", intent="ask_process")
    assert decision.outcome is Outcome.ASK_UTILITY
    assert {"gas", "electricity"} <= set(decision.utilities)


def test_a_known_utility_answers_directly_from_that_utility() -> None:
    decision = SEARCH.decide("投诉多久给答复", utility="gas", intent="ask_process")
    assert decision.outcome is Outcome.ANSWER
    assert decision.entry.id == "gas.complaint.reply"
    assert "48小时" in decision.entry.answer


def test_unrelated_questions_find_nothing() -> None:
    for question in ("帮我订一张去上海的火车票", "推荐几首好听的歌", "量子力学是什么"):
        assert SEARCH.decide(question).outcome is Outcome.NOTHING, question


def test_a_price_the_handbook_does_not_give_is_not_made_up() -> None:
    decision = SEARCH.decide("天然气多少钱一方", utility="gas", intent="ask_fee")
    assert decision.outcome is Outcome.ANSWER
    assert decision.entry.id == "gas.price"
    assert not any(ch.isdigit() for ch in decision.entry.answer)
