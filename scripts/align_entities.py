"""Widens utility / business / channel annotations to the whole jieba word that contains them.

Annotators mark 电 in 电费 or 燃气 in 燃气公司; jieba keeps those as one word, so the span would cut a token.
The whole word names the utility just as well ([电费]{"entity": "utility", "value": "电力"}). Address spans
are left for a person to fix. Usage: python -m scripts.align_entities FILE...  (rewrites the files in place)
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from knowledge.segment import segmenter

WIDEN = {"utility", "business", "channel"}
ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")
CANONICAL = {"utility": {"燃气", "电力", "供热"}}


def _parse(line: str) -> tuple[str, list[tuple[int, int, str, str, str]]]:
    """Plain text and (start, end, surface, entity, value) of each annotation."""
    plain, spans, cursor = [], [], 0
    for match in ANNOTATION.finditer(line):
        plain.append(line[cursor:match.start()])
        start = sum(map(len, plain))
        surface, meta = match.group(1), match.group(2)
        if meta.startswith("("):
            entity, value = meta[1:-1], surface
        else:
            named = re.search(r'"entity":\s*"([^"]+)"', meta)
            assert named, meta
            entity = named.group(1)
            found = re.search(r'"value":\s*"([^"]+)"', meta)
            value = found.group(1) if found else surface
        spans.append((start, start + len(surface), surface, entity, value))
        plain.append(surface)
        cursor = match.end()
    plain.append(line[cursor:])
    return "".join(plain), spans


def _render(text: str, spans: list[tuple[int, int, str, str, str]]) -> str:
    out, cursor = [], 0
    for start, end, _surface, entity, value in spans:
        surface = text[start:end]
        out.append(text[cursor:start])
        out.append(f"[{surface}]({entity})" if value == surface else
                   f'[{surface}]{{"entity": "{entity}", "value": "{value}"}}')
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def align_line(line: str) -> str:
    text, spans = _parse(line)
    if not spans:
        return line
    tokens = [(s, e) for _w, s, e in segmenter().tokenize(text)]
    fixed = []
    for start, end, surface, entity, value in spans:
        if entity in WIDEN:
            start = max(s for s, e in tokens if s <= start)
            end = min(e for s, e in tokens if e >= end)
        fixed.append((start, end, surface, entity, value))
    overlapping = any(a[1] > b[0] for a, b in zip(fixed, fixed[1:]))
    return line if overlapping else _render(text, fixed)


def align_file(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = 0
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*- )(.*?)(\s*)$", line)
        if not match or "[" not in match.group(2):
            continue
        new = align_line(match.group(2))
        if new != match.group(2):
            lines[i] = f"{match.group(1)}{new}{match.group(3)}"
            changed += 1
    path.write_text("".join(lines), encoding="utf-8")
    return changed


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {align_file(Path(name))} examples widened")
