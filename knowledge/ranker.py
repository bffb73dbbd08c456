"""A learned ranker over entries: a linear model over character n-grams and jieba words, trained on each entry's
title and example questions.

It lives outside the Rasa model so that operators' new example questions take effect by refitting it (about a
second for a hundred entries), not by retraining Rasa. Scores are probabilities over entries; the search fuses
them with BM25 (knowledge/search.py).
"""
from __future__ import annotations

import re
import unicodedata
from copy import copy
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import softmax

from core.spelling import corrected
from knowledge.colloquial import with_handbook_words
from knowledge.model import Entry
from knowledge.segment import words


def normalise(text: str) -> str:
    """Width, case and spaces evened out; typos and homophones read as the word meant (燃汽, 点费, 头诉); everyday
    phrases followed by the handbook's words for them (knowledge/colloquial.py)."""
    text = with_handbook_words(corrected(unicodedata.normalize("NFKC", text or "").lower()))
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> list[str]:
    return [w for w in words(text) if re.search(r"[\w\u4e00-\u9fff]", w)]


def learned_from(entries: list[Entry]) -> tuple:
    """What a fit learns from: each entry's id, title and example questions (not its answer)."""
    return tuple((entry.id, entry.title, entry.examples) for entry in entries)


@dataclass
class EntryRanker:
    """fit(entries) once; scores(question) gives a probability per entry, in the order of `entries`."""

    c: float = 8.0

    def fit(self, entries: list[Entry]) -> EntryRanker:
        self.entries = list(entries)
        self.fitted_on = learned_from(self.entries)
        texts, labels = [], []
        for index, entry in enumerate(self.entries):
            for text in (entry.title, *entry.examples):
                texts.append(normalise(text))
                labels.append(index)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
        self.words = TfidfVectorizer(tokenizer=_words, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                                     sublinear_tf=True)
        features = hstack([self.chars.fit_transform(texts), self.words.fit_transform(texts)]).tocsr()
        self.model = LogisticRegression(C=self.c, max_iter=2000)
        self.model.fit(features, labels)
        self._columns = {int(label): position for position, label in enumerate(self.model.classes_)}
        # The weights laid out for a question's sparse row times them: sklearn multiplies by coef_.T, a transposed
        # view that scipy copies whole (classes x features, tens of MB) on every call, 9 of the 10 ms a question
        # took; a contiguous copy made once makes it a fraction of a millisecond.
        self._weights = np.ascontiguousarray(self.model.coef_.T)
        return self

    def _probabilities(self, features) -> np.ndarray:
        """model.predict_proba for one question: the multinomial model's softmax of its decision function."""
        if len(self.model.classes_) <= 2:
            return self.model.predict_proba(features)[0]
        decision = np.asarray(features @ self._weights).reshape(1, -1) + self.model.intercept_
        return softmax(decision, copy=False)[0]

    def for_entries(self, entries: list[Entry]) -> EntryRanker:
        """This fitted model scoring another list of entries (a newly published version), matched by id: an entry
        it was not fitted on scores 0 until the next fit. Lets a new version be served in seconds while the
        full refit (tens of seconds on a busy machine) runs in the background."""
        view = copy(self)
        position_of = {entry.id: self._columns[index] for index, entry in enumerate(self.entries)
                       if index in self._columns}
        view.entries = list(entries)
        view._columns = {index: position_of[entry.id] for index, entry in enumerate(entries) if entry.id in position_of}
        return view

    def scores(self, question: str) -> np.ndarray:
        text = normalise(question)
        features = hstack([self.chars.transform([text]), self.words.transform([text])]).tocsr()
        probabilities = self._probabilities(features)
        out = np.zeros(len(self.entries))
        for index, position in self._columns.items():
            out[index] = probabilities[position]
        return out
