"""Finds the entry that answers a question: BM25 over jieba tokens, steered by the NLU's utility, business
and intent, and a decision on whether to answer, ask which utility, ask which topic, or admit ignorance."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import bm25s
import numpy as np

from knowledge.loader import KnowledgeBase
from knowledge.model import Entry
from knowledge.segment import search_tokens

MIN_SCORE = 3.0          # below this nothing in the handbook is about the question (docs/evaluation.md)
CLOSE_RATIO = 0.75       # a runner-up this close to the best makes the question ambiguous
CANDIDATE_RATIO = 0.7    # entries this close to the best are offered as choices
MAX_CHOICES = 3


class Outcome(str, Enum):
    ANSWER = "answer"
    ASK_UTILITY = "ask_utility"
    ASK_ENTRY = "ask_entry"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    hits: tuple[Hit, ...] = ()
    utilities: tuple[str, ...] = field(default=())

    @property
    def entry(self) -> Entry:
        return self.hits[0].entry


def _entry_text(entry: Entry) -> str:
    return " ".join([entry.title, *entry.examples, entry.business or ""])


class KnowledgeSearch:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.entries = list(kb.entries)
        self.bm25 = bm25s.BM25()
        self.bm25.index([search_tokens(_entry_text(e)) for e in self.entries], show_progress=False)

    def bm25_scores(self, question: str) -> np.ndarray:
        tokens = search_tokens(question)
        if not tokens:
            return np.zeros(len(self.entries))
        return self.bm25.get_scores(tokens)

    def rank(self, question: str, *, utility: str | None = None, business: str | None = None,
             intent: str | None = None, limit: int = 10) -> list[Hit]:
        """Entries by score; a known utility excludes other utilities' entries."""
        scores = self.bm25_scores(question)
        hits = []
        for entry, score in zip(self.entries, scores):
            if score <= 0:
                continue
            if utility and entry.utility not in (utility, "all"):
                continue
            boost = 1.0
            if business and entry.business == business:
                boost += 0.4
            elif business and entry.business:
                boost -= 0.2
            if intent and entry.intent == intent:
                boost += 0.25
            if utility and entry.utility == utility:
                boost += 0.1
            hits.append(Hit(entry, float(score) * boost))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:limit]

    def decide(self, question: str, *, utility: str | None = None, business: str | None = None,
               intent: str | None = None) -> Decision:
        hits = self.rank(question, utility=utility, business=business, intent=intent)
        if not hits or hits[0].score < MIN_SCORE:
            return Decision(Outcome.NOTHING, tuple(hits[:MAX_CHOICES]))
        best = hits[0].score
        candidates = [h for h in hits if h.score >= best * CANDIDATE_RATIO]
        if utility is None:
            utilities = tuple(dict.fromkeys(h.entry.utility for h in candidates if h.entry.utility != "all"))
            if len(utilities) > 1:
                return Decision(Outcome.ASK_UTILITY, tuple(candidates), utilities)
        if len(hits) > 1 and hits[1].score >= best * CLOSE_RATIO:
            return Decision(Outcome.ASK_ENTRY, tuple(candidates[:MAX_CHOICES]))
        return Decision(Outcome.ANSWER, (hits[0],))
