"""Knowledge search evaluation: how often the first result is the right entry, for every entry's example
questions and for paraphrases written separately (tests/knowledge_eval/paraphrases.yml), against a plain
BM25 baseline (bm25s over jieba words of the same entries, no steering). Ours gets what production gets:
the intent and utility the trained NLU recognises in the question."""
from __future__ import annotations

import asyncio
from pathlib import Path

import bm25s
import jieba
import yaml

from knowledge import load_knowledge_base
from knowledge.model import UTILITY_BY_LABEL
from knowledge.search import KnowledgeSearch

ROOT = Path(__file__).resolve().parent.parent
PARAPHRASES = ROOT / "tests" / "knowledge_eval" / "paraphrases.yml"


class PlainBM25:
    def __init__(self, entries) -> None:
        self.entries = list(entries)
        self.bm25 = bm25s.BM25()
        self.bm25.index([jieba.lcut(" ".join([e.title, *e.examples])) for e in self.entries], show_progress=False)

    def first(self, question: str) -> str:
        scores = self.bm25.get_scores(jieba.lcut(question))
        return self.entries[int(scores.argmax())].id


def nlu_hints(agent, questions: list[str]) -> list[tuple[str | None, str | None]]:
    async def run():
        hints = []
        for question in questions:
            parse = await agent.parse_message(question)
            utility = next((e["value"] for e in parse.get("entities", []) if e["entity"] == "utility"), None)
            hints.append((parse["intent"]["name"], UTILITY_BY_LABEL.get(utility or "")))
        return hints
    return asyncio.run(run())


def evaluate(agent=None) -> dict[str, dict[str, float]]:
    kb = load_knowledge_base()
    ours, baseline = KnowledgeSearch(kb), PlainBM25(kb.entries)
    sets = {"example questions": [(e.id, q) for e in kb.entries for q in e.examples]}
    if PARAPHRASES.exists():
        data = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))["paraphrases"]
        sets["paraphrases (unseen)"] = [(p["entry"], q) for p in data for q in p["questions"]]
    results = {}
    for name, pairs in sets.items():
        questions = [q for _, q in pairs]
        hints = nlu_hints(agent, questions) if agent is not None else [(None, None)] * len(pairs)
        firsts = [next(iter(ours.rank(q, intent=i, utility=u, limit=1)), None) for q, (i, u) in zip(questions, hints)]
        hits = sum(hit is not None and hit.entry.id == e for hit, (e, _) in zip(firsts, pairs))
        plain = sum(baseline.first(q) == e for e, q in pairs)
        results[name] = {"n": len(pairs), "ours": hits / len(pairs), "bm25": plain / len(pairs)}
    return results


def report(results: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| question set | questions | our search: right entry first | plain BM25 |", "|---|---|---|---|"]
    lines += [f"| {name} | {r['n']} | {r['ours']:.1%} | {r['bm25']:.1%} |" for name, r in results.items()]
    return lines


if __name__ == "__main__":
    print("\n".join(report(evaluate())))
