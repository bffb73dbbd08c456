"""Each results script owns one marked section of a page and leaves the others alone."""
from __future__ import annotations

from pathlib import Path

from scripts.docs_section import replace_section


def test_a_section_is_replaced_in_place_and_others_are_kept(tmp_path: Path) -> None:
    page = tmp_path / "evaluation.md"
    replace_section(page, "answers", ["first"])
    replace_section(page, "nlu", ["nlu figures"])
    replace_section(page, "answers", ["second"])
    text = page.read_text()
    assert "second" in text and "first" not in text and "nlu figures" in text
    assert text.index("answers:start") < text.index("nlu:start"), "a section keeps its place"
