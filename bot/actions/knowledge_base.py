"""The knowledge base and its search, loaded once per action-server process."""
from __future__ import annotations

from functools import lru_cache

from knowledge.loader import KnowledgeBase, load_knowledge_base
from knowledge.model import UTILITY_BY_LABEL
from knowledge.search import KnowledgeSearch


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()


@lru_cache(maxsize=1)
def knowledge_search() -> KnowledgeSearch:
    return KnowledgeSearch(knowledge_base())


def utility_code(label: str | None) -> str | None:
    """燃气 / 电力 / 供热 (the NLU's canonical values) to the knowledge base's gas / electricity / heat."""
    return UTILITY_BY_LABEL.get(label or "")
