"""Several scripts write one results page (docs/evaluation.md); each owns a marked section and keeps the others."""
from __future__ import annotations

import re
from pathlib import Path


def replace_section(path: Path, name: str, lines: list[str]) -> None:
    """Put lines between <!-- name:start --> and <!-- name:end -->, appending the section when it is new."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = "\n".join([start, *lines, end])
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    path.write_text(text.lstrip("\n") + "\n", encoding="utf-8")
