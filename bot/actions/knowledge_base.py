"""The knowledge base and its search as this action-server process serves them now.

At start: the repository's YAML (version 1). Afterwards the version operators published through the gateway,
swapped in whole by bot/actions/knowledge_sync.py once it is built and audited: a turn reads one consistent
version (`live()`), never half of one. A preview runs with a draft knowledge base of its own (`using`), which
no customer's turn ever sees.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from knowledge.loader import KnowledgeBase, load_knowledge_base
from knowledge.model import UTILITY_BY_LABEL
from knowledge.search import KnowledgeSearch

SEED_VERSION = 1


@dataclass(frozen=True)
class LiveKnowledge:
    version: int
    kb: KnowledgeBase
    search: KnowledgeSearch


_live: LiveKnowledge | None = None
_lock = threading.Lock()
_override: ContextVar[LiveKnowledge | None] = ContextVar("knowledge_override", default=None)


def live() -> LiveKnowledge:
    override = _override.get()
    if override is not None:
        return override
    global _live
    if _live is None:
        with _lock:
            if _live is None:
                kb = load_knowledge_base()
                _live = LiveKnowledge(SEED_VERSION, kb, KnowledgeSearch(kb))
    return _live


def install(knowledge: LiveKnowledge) -> None:
    """From now on, turns are answered from this version."""
    global _live
    with _lock:
        _live = knowledge


@contextmanager
def using(knowledge: LiveKnowledge) -> Iterator[None]:
    """Within the block (this task only), answers come from `knowledge`: the operators' preview."""
    token = _override.set(knowledge)
    try:
        yield
    finally:
        _override.reset(token)


def knowledge_base() -> KnowledgeBase:
    return live().kb


def knowledge_search() -> KnowledgeSearch:
    return live().search


def utility_code(label: str | None) -> str | None:
    """燃气 / 电力 / 供热 (the NLU's canonical values) to the knowledge base's gas / electricity / heat."""
    return UTILITY_BY_LABEL.get(label or "")
