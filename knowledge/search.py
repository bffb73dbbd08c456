"""Finds the entry that answers a question, and decides whether to answer, ask which topic, or admit ignorance.

Relevance fuses three signals: BM25 over jieba tokens and character bigrams, a learned ranker over the entries'
example questions (knowledge/ranker.py) and, only where those two disagree, meaning-based similarity
(knowledge/semantic.py). The NLU's utility, business and intent steer it. The fusion weights and the
thresholds were chosen on the development half of the independent question set, its tuning sets and the
paraphrase set (docs/evaluation.md); the reporting half was never used to choose them. A time the customer quotes
(两个小时) and a document named by its title steer it further."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache

import bm25s
import numpy as np

from knowledge.loader import KnowledgeBase
from knowledge.model import Entry
from knowledge.ranker import EntryRanker, learned_from
from knowledge.segment import search_tokens

MIN_SCORE = 3.0          # BM25 below this, and the ranker unsure: nothing in the handbook is about the question
MIN_LEARNED = 0.25       # ranker probability that counts as evidence on its own
CLOSE_RATIO = 0.97       # a runner-up this close to the best (fused) makes the question ambiguous
CANDIDATE_RATIO = 0.9    # entries this close to the best are offered as choices
MAX_CHOICES = 3
LEARNED_WEIGHT = 0.2     # share of the ranker in the lexical score (the rest is BM25)
SEMANTIC_WEIGHT = 0.7    # share of meaning-based similarity when it is asked
PARALLEL_RATIO = 0.6      # entries of other utilities or companies on the same topic, this close, are given too
PARALLEL_INTENTS = frozenset({"file_complaint", "report_fault", "apply_installation"})  # where promises differ
AGREEMENT_MARGIN = 0.8   # lexical runner-up below this share of the best, and BM25 and ranker agree: no e5
FACET_RATIO = 0.75     # a company's rule and the general practice of the same topic this close: both are given
INTENT_BOOST = 0.25      # an entry of the topic the NLU named (a complaint, a repair, an installation…)
NAMED_DOCUMENT_BOOST = 0.7  # a document the customer names by its title: its entry wins from 0.6 of the best
# A customer who quotes a time (两个小时内会回我吗, 是不是48小时就通电) is checking a promise: entries whose answer
# states that time are likely the one meant, whatever numerals either side writes (两个小时 = 2小时).
FIGURE_BOOST = 0.2
TIME_UNITS = frozenset({"working_days", "hours", "minutes", "seconds", "days", "months", "years"})
_QUOTED_TIME = re.compile(r"[0-9零〇一二两三四五六七八九十百]\s*个?\s*(?:工作日|小时|分钟|min|天|日|个月|年|秒)")
# The classifier's question intents say that something is asked, not which topic: on held-out questions it mixes
# them up (ask_channel for ask_process, ask_fee for ask_payment), and entries of one topic carry different ones
# (燃气补量 ask_process, what a hall does ask_channel). Steering by them cost the right entry first place on 11 of 213
# paraphrases and won it on 1, so only the topic intents steer.
QUESTION_INTENTS = frozenset({"ask_process", "ask_channel", "ask_fee", "ask_payment", "ask_outage"})


class Outcome(str, Enum):
    ANSWER = "answer"
    EACH = "each"            # the rule differs by utility or by company and neither is known: answer each, labelled
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

    @property
    def parts(self) -> tuple[Entry, ...]:
        """For EACH: the best entry of each utility and company, in the order of relevance."""
        seen: dict[tuple[str, str], Entry] = {}
        for hit in self.hits:
            seen.setdefault((hit.entry.utility, hit.entry.company), hit.entry)
        return tuple(seen.values())


def _title(cite_as: str) -> str:
    """The name a customer would write of a document: 《电力系统用户服务规范》 → 电力系统用户服务规范."""
    return cite_as.split("》")[0].lstrip("《")


def _entry_text(entry: Entry) -> str:
    return " ".join([entry.title, *entry.examples, entry.business or ""])


@lru_cache(maxsize=1024)
def time_figures(text: str) -> frozenset:
    """The times a text states (value, unit), any numerals; empty without a numeral next to a time unit."""
    if not _QUOTED_TIME.search(text):
        return frozenset()
    from knowledge.figures import figures  # spaCy: only where the bot runs

    # spaCy's Chinese numerals know 二 but not 两 (两个小时)
    return frozenset(f for f in figures(text.replace("两", "二")) if f.unit in TIME_UNITS)


def _by_max(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


class KnowledgeSearch:
    def __init__(self, kb: KnowledgeBase, *, semantic: bool = True, ranker: EntryRanker | None = None) -> None:
        """ranker: an already fitted ranker to score these entries with (EntryRanker.for_entries) instead of
        fitting one now."""
        self.kb = kb
        self.entries = list(kb.entries)
        self.bm25 = bm25s.BM25()
        self.bm25.index([search_tokens(_entry_text(e)) for e in self.entries], show_progress=False)
        self.ranker = ranker.for_entries(self.entries) if ranker is not None else EntryRanker().fit(self.entries)
        # fitted on exactly these entries' titles and examples (an edited answer needs no refit)
        self.ranker_fitted = ranker is None or ranker.fitted_on == learned_from(self.entries)
        self._semantic_wanted, self._semantic = semantic, None
        self.semantic_calls = 0
        self._last: tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        # 按《电力系统用户服务规范》…: a document the customer names by its title steers to its entries
        self._titles = {entry.source.id: _title(entry.source.cite_as) for entry in self.entries}

    @cached_property
    def _answer_times(self) -> list[frozenset]:
        """The times each entry's answer states (worked out on the first question that quotes one)."""
        return [time_figures(entry.answer) for entry in self.entries]

    @property
    def semantic(self):
        if self._semantic is None and self._semantic_wanted:
            from knowledge.semantic import SemanticIndex
            self._semantic = SemanticIndex(self.entries)
        return self._semantic

    @property
    def semantic_loaded(self) -> bool:
        """The meaning-based index is built (it is built on first use)."""
        return self._semantic is not None

    def relevance(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fused relevance per entry, raw BM25, ranker probabilities); the last question's are kept."""
        if self._last is not None and self._last[0] == question:
            return self._last[1]
        result = self._relevance(question)
        self._last = (question, result)
        return result

    def _relevance(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        bm25, learned = self.bm25_scores(question), self.ranker.scores(question)
        lexical = (1 - LEARNED_WEIGHT) * _by_max(bm25) + LEARNED_WEIGHT * _by_max(learned)
        ordered = np.sort(lexical)[::-1]
        agree = int(bm25.argmax()) == int(learned.argmax()) and len(ordered) > 1 \
            and ordered[1] < AGREEMENT_MARGIN * ordered[0]
        if agree or self.semantic is None:
            return lexical, bm25, learned
        self.semantic_calls += 1
        similarity = self.semantic.scores(question)
        low, high = float(similarity.min()), float(similarity.max())
        similarity = (similarity - low) / (high - low) if high > low else np.zeros_like(similarity)
        return SEMANTIC_WEIGHT * similarity + (1 - SEMANTIC_WEIGHT) * lexical, bm25, learned

    def bm25_scores(self, question: str) -> np.ndarray:
        tokens = search_tokens(question)
        if not tokens:
            return np.zeros(len(self.entries))
        return self.bm25.get_scores(tokens)

    def rank(self, question: str, *, utility: str | None = None, business: str | None = None,
             intent: str | None = None, company: str | None = None, limit: int = 10) -> list[Hit]:
        """Entries by fused relevance; a known utility excludes other utilities' entries, a known company other
        companies' entries (documents that bind no company stay)."""
        scores, bm25, learned = self.relevance(question)
        named = {source for source, title in self._titles.items() if len(title) >= 4 and title in question}
        quoted = time_figures(question)
        answer_times = self._answer_times if quoted else [frozenset()] * len(self.entries)
        hits = []
        for entry, score, lexical, probability, times in zip(self.entries, scores, bm25, learned, answer_times):
            if lexical <= 0 and probability < MIN_LEARNED / 2:
                continue
            if utility and entry.utility not in (utility, "all"):
                continue
            if company and entry.company not in (company, "none"):
                continue
            boost = 1.0
            if business and entry.business == business:
                boost += 0.4
            elif business and entry.business:
                boost -= 0.2
            if intent and intent not in QUESTION_INTENTS and entry.intent == intent:
                boost += INTENT_BOOST
            if utility and entry.utility == utility:
                boost += 0.1
            if entry.source.id in named:
                boost += NAMED_DOCUMENT_BOOST
            if quoted & times:
                boost += FIGURE_BOOST
            hits.append(Hit(entry, float(score) * boost))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:limit]

    def decide(self, question: str, *, utility: str | None = None, business: str | None = None,
               intent: str | None = None, company: str | None = None) -> Decision:
        hits = self.rank(question, utility=utility, business=business, intent=intent, company=company)
        if not hits or not self._evidence(question):
            return Decision(Outcome.NOTHING, tuple(hits[:MAX_CHOICES]))
        best = hits[0].score
        candidates = [h for h in hits if h.score >= best * CANDIDATE_RATIO]
        if utility is None:
            utilities = tuple(dict.fromkeys(h.entry.utility for h in candidates if h.entry.utility != "all"))
            if len(utilities) > 1:
                return Decision(Outcome.EACH, tuple(candidates), utilities)
        parallel = self._parallel(hits, utility, company)
        if parallel:
            return Decision(Outcome.EACH, parallel, tuple(dict.fromkeys(h.entry.utility for h in parallel)))
        facet = self._facet(hits)
        if facet is not None:
            return Decision(Outcome.EACH, (hits[0], facet), (hits[0].entry.utility,))
        if len(hits) > 1 and hits[1].score >= best * CLOSE_RATIO:
            return Decision(Outcome.ASK_ENTRY, tuple(candidates[:MAX_CHOICES]))
        return Decision(Outcome.ANSWER, (hits[0],))

    @staticmethod
    def _facet(hits: list[Hit]) -> Hit | None:
        """One topic seen twice: a company's rule (95598's 12 seconds) and a generic text's general practice (30
        seconds), or the reverse, close in relevance, same utility and intent. The customer may have either in mind,
        and each is labelled with whose it is, so both are given rather than one guessed or a menu."""
        top = hits[0]
        for hit in hits[1:3]:
            if hit.score < FACET_RATIO * top.score:
                break
            if hit.entry.utility == top.entry.utility and hit.entry.intent == top.entry.intent \
                    and (hit.entry.company == "none") != (top.entry.company == "none"):
                return hit
        return None

    @staticmethod
    def _parallel(hits: list[Hit], utility: str | None, company: str | None) -> tuple[Hit, ...]:
        """Complaint, repair and installation promises differ by utility and company: when neither is known, the
        same topic's entries of the other utilities and companies (same intent and business, close enough), so
        the customer reads each one's promise labelled instead of one company's presented as theirs."""
        top = hits[0].entry
        if top.intent not in PARALLEL_INTENTS or (utility and company):
            return ()
        same = [h for h in hits if h.score >= PARALLEL_RATIO * hits[0].score and h.entry.intent == top.intent
                and h.entry.business == top.business and h.entry.company != "none"]
        # a company's own entry for a utility says its promise there; its all-utilities entry would say it twice
        specific = {h.entry.company for h in same if h.entry.utility != "all"}
        same = [h for h in same if h.entry.utility != "all" or h.entry.company not in specific or h is hits[0]]
        groups = {(h.entry.utility, h.entry.company) for h in same}
        return tuple(same) if top.company != "none" and len(groups) > 1 else ()

    def _evidence(self, question: str) -> bool:
        """Something in the handbook is about the question: enough word overlap, or a confident ranker."""
        _, bm25, learned = self.relevance(question)
        return float(bm25.max(initial=0)) >= MIN_SCORE or float(learned.max(initial=0)) >= MIN_LEARNED
