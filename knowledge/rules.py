"""Rules every version of the knowledge base must pass before customers read it, whoever wrote it: the loader's
(a known source and a clause, no research proposal, at least three example questions, known time limits), no
quarantined line in an answer, and every figure an answer states found in its source document.

The figure audit needs spaCy, so it runs where the bot runs (the action server checks each published version);
the other rules also run in the gateway when an operator publishes.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.loader import KNOWLEDGE_DIR, KnowledgeBase, KnowledgeError, build_knowledge_base
from knowledge.model import Entry

SOURCE_DOCUMENTS = KNOWLEDGE_DIR / "source_documents"
MAX_ANSWER_CHARS = 220          # short enough to read on a phone and to speak
FRAUD_MARKERS = ("960873", "klgs1234598764", "400-050-0827")


@lru_cache(maxsize=1)
def quarantined_fragments(directory: Path = KNOWLEDGE_DIR) -> tuple[str, ...]:
    records = yaml.safe_load((directory / "quarantine.yml").read_text(encoding="utf-8"))["quarantine"]
    fragments = [f.strip() for record in records for f in re.split(r"[…，,。]", record["excerpt"])]
    return tuple(f for f in fragments if len(f) >= 12) + FRAUD_MARKERS


def entry_problems(entry: Entry) -> list[str]:
    """What is wrong with one entry, in words an operator understands (empty: nothing)."""
    problems = []
    if len(entry.answer) > MAX_ANSWER_CHARS:
        problems.append(f"{entry.id}：答案{len(entry.answer)}字，超过{MAX_ANSWER_CHARS}字")
    for fragment in quarantined_fragments():
        if fragment in entry.answer:
            problems.append(f"{entry.id}：答案含有被隔离的原文“{fragment}”")
    return problems


def validate(records: list[dict]) -> KnowledgeBase:
    """The knowledge base the records make, or KnowledgeError with every problem found."""
    kb = build_knowledge_base(records)
    problems = [problem for entry in kb.entries for problem in entry_problems(entry)]
    if problems:
        raise KnowledgeError("；".join(problems))
    return kb


def figure_problems(entries: list[Entry]) -> list[str]:
    """Figures an answer states that its source document does not (spaCy; the bot's environment)."""
    from knowledge.figures import figures  # spaCy: only where the bot runs

    problems = []
    for entry in entries:
        stated = _source_figures(entry.source.file)
        invented = figures(entry.answer) - stated
        if invented:
            shown = "、".join(sorted(f"{value:g} {unit}" for value, unit in invented))
            problems.append(f"{entry.id}：答案中的数字（{shown}）在来源文件《{entry.source.title}》里找不到")
    return problems


@lru_cache(maxsize=32)
def _source_figures(file: str) -> frozenset:
    from knowledge.figures import figures

    return frozenset(figures((SOURCE_DOCUMENTS / file).read_text(encoding="utf-8")))


__all__ = ["KnowledgeError", "entry_problems", "figure_problems", "quarantined_fragments", "validate"]
