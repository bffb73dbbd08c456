"""Lists annotated entities whose span does not coincide with jieba token boundaries.

DIET can only learn an entity that starts and ends at token boundaries; Rasa merely warns about the rest and
trains on a wrong label. Run after changing NLU data or the jieba dictionary: exits 1 on any misalignment.
"""
from __future__ import annotations

import sys
from pathlib import Path

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from knowledge.segment import segmenter

ROOT = Path(__file__).resolve().parent.parent
DATA = [*sorted((ROOT / "bot/data/nlu").glob("*.yml")), *sorted((ROOT / "tests/nlu").glob("*.yml"))]


def boundaries(text: str) -> set[int]:
    edges = {0, len(text)}
    for _word, start, end in segmenter().tokenize(text):
        edges.update((start, end))
    return edges


def misaligned() -> list[str]:
    problems = []
    for path in DATA:
        data = RasaYAMLReader().read(path)
        for message in data.training_examples:
            text = message.get("text")
            edges = boundaries(text)
            for entity in message.get("entities") or []:
                if entity["start"] not in edges or entity["end"] not in edges:
                    tokens = "|".join(w for w, _, _ in segmenter().tokenize(text))
                    problems.append(f"{path.name}: {entity['entity']}={text[entity['start']:entity['end']]!r} in {tokens}")
    return problems


if __name__ == "__main__":
    found = misaligned()
    print("\n".join(found) or "All entity spans coincide with token boundaries.")
    sys.exit(1 if found else 0)
