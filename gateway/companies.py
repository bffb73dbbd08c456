"""The companies a deployment can bind a channel to, read from the knowledge base's profiles
(knowledge/companies.yml): the gateway needs only their ids, names and utilities."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

PROFILES = Path(__file__).resolve().parent.parent / "knowledge" / "companies.yml"


@lru_cache(maxsize=1)
def company_list() -> tuple[dict, ...]:
    records = yaml.safe_load(PROFILES.read_text(encoding="utf-8"))["companies"]
    return tuple({"id": r["id"], "name": r["name"], "utilities": list(r["utilities"])} for r in records)


def known(company: str | None) -> bool:
    return company is not None and any(c["id"] == company for c in company_list())
