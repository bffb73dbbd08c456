"""Parses labelled NLU examples with a trained model; shared by the evaluation and the benchmark."""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")


@dataclass(frozen=True)
class Parsed:
    text: str
    expected: str
    predicted: str          # after the FallbackClassifier and the hazard override
    top_intent: str         # the best real intent, ignoring nlu_fallback
    confidence: float       # confidence of top_intent
    margin: float           # top minus runner-up confidence


def load_examples(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().read(path)
    return [(m.get("text"), m.get("intent")) for m in data.training_examples if m.get("intent")]


def load_agent(model: Path):
    from rasa.core.agent import Agent

    logging.getLogger("rasa").setLevel(logging.ERROR)
    return Agent.load(str(model))


def parse_all(agent, examples: list[tuple[str, str]]) -> list[Parsed]:
    async def run() -> list[Parsed]:
        results = []
        for text, expected in examples:
            parse = await agent.parse_message(text)
            ranking = [r for r in parse.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            top: dict[str, Any] = ranking[0] if ranking else {"name": "nlu_fallback", "confidence": 0.0}
            second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
            results.append(Parsed(text, expected, parse["intent"]["name"], top["name"], top["confidence"],
                                  top["confidence"] - second))
        return results

    return asyncio.run(run())
