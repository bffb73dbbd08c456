"""Company profiles (knowledge/companies.yml) and the company a customer names in a message."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PROFILES = Path(__file__).resolve().parent / "companies.yml"


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    utilities: tuple[str, ...]
    documents: tuple[str, ...]
    names: tuple[str, ...]


@lru_cache(maxsize=1)
def companies() -> dict[str, Company]:
    records = yaml.safe_load(PROFILES.read_text(encoding="utf-8"))["companies"]
    return {r["id"]: Company(r["id"], r["name"], tuple(r["utilities"]), tuple(r["documents"]), tuple(str(n) for n in r["names"]))
            for r in records}


@lru_cache(maxsize=1)
def _names() -> re.Pattern:
    pairs = sorted(((name, c.id) for c in companies().values() for name in c.names), key=lambda p: -len(p[0]))
    return re.compile("|".join(re.escape(name) for name, _ in pairs))


def company_in_text(text: str) -> str | None:
    """The company the customer names (天富的电 → tianfu; 95598 → grid); None when none or several."""
    found = {next(c.id for c in companies().values() if m.group() in c.names) for m in _names().finditer(text or "")}
    return found.pop() if len(found) == 1 else None


def companies_in_text(text: str) -> list[str]:
    """Every company the customer names, in the order named (天富热电的投诉…国家电网那边… → [tianfu, grid])."""
    found: list[str] = []
    for match in _names().finditer(text or ""):
        company = next(c.id for c in companies().values() if match.group() in c.names)
        if company not in found:
            found.append(company)
    return found


def without_names_of_several(text: str) -> str:
    """The text without the names of companies that supply several utilities: 天富热电 names no utility of its own
    (热电 is its name, not a question about heat or electricity), while 昆仑燃气 and 国家电网 still say gas and
    electricity."""
    several = {name for c in companies().values() if len(c.utilities) > 1 for name in c.names}
    return _names().sub(lambda m: "" if m.group() in several else m.group(), text or "")
