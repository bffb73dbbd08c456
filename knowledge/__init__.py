"""The handbook knowledge base: curated entries with their sources, the service time limits, and search."""
from knowledge.loader import KnowledgeBase, load_knowledge_base

__all__ = ["KnowledgeBase", "load_knowledge_base"]
