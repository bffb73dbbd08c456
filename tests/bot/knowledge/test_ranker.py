"""The learned ranker scores a question with its own product of the question's features and the weights laid out
once (knowledge/ranker.py), not sklearn's predict_proba, which copied the whole weight matrix on every call: the
probabilities must be exactly sklearn's."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import hstack

from knowledge import load_knowledge_base
from knowledge.ranker import EntryRanker, normalise


@pytest.fixture(scope="module")
def ranker() -> EntryRanker:
    return EntryRanker().fit(load_knowledge_base().entries)


@pytest.mark.parametrize("question", ["燃气费在哪交", "城区停电多久能来修", "我上周投诉了 按规定多久给答复",
                                      "燃汽表不走了", "今天天气怎么样", "", "   "])
def test_the_probabilities_are_sklearns(ranker: EntryRanker, question: str) -> None:
    text = normalise(question)
    features = hstack([ranker.chars.transform([text]), ranker.words.transform([text])]).tocsr()
    expected = ranker.model.predict_proba(features)[0]
    scores = ranker.scores(question)
    assert np.allclose([scores[i] for i in ranker._columns], [expected[p] for p in ranker._columns.values()],
                       rtol=0, atol=1e-12)
    assert abs(float(scores.sum()) - 1.0) < 1e-9


def test_a_question_of_an_entry_ranks_it_first(ranker: EntryRanker) -> None:
    entry = next(e for e in ranker.entries if e.examples)
    assert ranker.entries[int(ranker.scores(entry.examples[0]).argmax())].id == entry.id
