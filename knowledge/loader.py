"""Loads and checks knowledge/*.yml: every entry cites a known source, nothing from research proposals."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from knowledge.model import COMPANY_LABELS, Authority, Entry, Source, TimeLimit

KNOWLEDGE_DIR = Path(__file__).resolve().parent
UTILITIES = {"gas", "electricity", "heat", "all"}
TIME_UNITS = {"seconds", "minutes", "hours", "days", "working_days", "months", "rings"}


class KnowledgeError(ValueError):
    """The knowledge files break a rule; the message names the record."""


@dataclass(frozen=True)
class KnowledgeBase:
    sources: dict[str, Source]
    entries: tuple[Entry, ...]
    time_limits: dict[str, TimeLimit]

    @cached_property
    def by_id(self) -> dict[str, Entry]:
        return {entry.id: entry for entry in self.entries}

    def time_limit(self, service: str, utility: str, applies_to: str | None = None) -> TimeLimit | None:
        """The committed limit for a service, e.g. ("repair_visit", "gas"); None when the handbook has none."""
        for limit in self.time_limits.values():
            if (limit.service == service and limit.utility in (utility, "all") and limit.commitment
                    and (applies_to is None or applies_to in limit.applies_to)):
                return limit
        return None


def _read(path: Path, key: str) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get(key) or []


def _source(record: dict) -> Source:
    company = record.get("company")
    if company not in COMPANY_LABELS:
        raise KnowledgeError(f"source {record['id']}: company must be one of {sorted(COMPANY_LABELS)}, not {company}")
    return Source(id=record["id"], file=record["file"], title=record["title"], publisher=record.get("publisher", ""),
                  utility=record.get("utility", ""), authority=Authority(record["authority"]),
                  cite_as=record["cite_as"], company=company)


def _time_limit(record: dict, sources: dict[str, Source]) -> TimeLimit:
    source = sources.get(record["source"])
    if source is None:
        raise KnowledgeError(f"time limit {record['id']}: unknown source {record['source']}")
    if record["unit"] not in TIME_UNITS:
        raise KnowledgeError(f"time limit {record['id']}: unknown unit {record['unit']}")
    commitment = bool(record.get("commitment", True)) and source.authority in (
        Authority.OFFICIAL_STANDARD, Authority.COMPANY_RULE)
    return TimeLimit(id=record["id"], service=record["service"], utility=record["utility"],
                     value=float(record["value"]), unit=record["unit"], clock_starts=record.get("clock_starts", ""),
                     description=record.get("description", ""), source=source, clause=str(record["clause"]),
                     commitment=commitment, company=record.get("company", ""),
                     applies_to=record.get("applies_to", ""))


def _entry(record: dict, sources: dict[str, Source], limits: dict[str, TimeLimit]) -> Entry:
    for required in ("id", "utility", "intent", "title", "answer", "source", "clause"):
        if not str(record.get(required) or "").strip():
            raise KnowledgeError(f"entry {record.get('id', '?')}: {required} is required")
    source = sources.get(record["source"])
    if source is None:
        raise KnowledgeError(f"entry {record['id']}: unknown source {record['source']}")
    if source.authority is Authority.RESEARCH:
        raise KnowledgeError(f"entry {record['id']}: research proposals never become answers")
    if record["utility"] not in UTILITIES:
        raise KnowledgeError(f"entry {record['id']}: unknown utility {record['utility']}")
    missing = [i for i in record.get("time_limits") or [] if i not in limits]
    if missing:
        raise KnowledgeError(f"entry {record['id']}: unknown time limits {missing}")
    examples = tuple(record.get("examples") or ())
    if len(examples) < 3:
        raise KnowledgeError(f"entry {record['id']}: needs at least 3 example questions")
    return Entry(id=record["id"], utility=record["utility"], intent=record["intent"], title=record["title"],
                 answer=" ".join(str(record["answer"]).split()), examples=examples, source=source,
                 clause=str(record["clause"]), business=record.get("business"),
                 time_limits=tuple(limits[i] for i in record.get("time_limits") or []))


def seed_records(directory: Path = KNOWLEDGE_DIR) -> list[dict]:
    """The entries as written in the repository's files, each record carrying the file it came from ("file")."""
    records: list[dict] = []
    for path in sorted((directory / "entries").glob("*.yml")):
        records.extend({**record, "file": path.name} for record in _read(path, "entries"))
    return records


def build_knowledge_base(records: list[dict], directory: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    """Entries from records (the repository's files, or a version operators published), with the sources and
    time limits of the repository; raises KnowledgeError naming the first record that breaks a rule."""
    sources = {r["id"]: _source(r) for r in _read(directory / "sources.yml", "sources")}
    limits: dict[str, TimeLimit] = {}
    for record in _read(directory / "time_limits.yml", "time_limits"):
        if record["id"] in limits:
            raise KnowledgeError(f"duplicate time limit id {record['id']}")
        limits[record["id"]] = _time_limit(record, sources)
    entries: list[Entry] = []
    for record in records:
        try:
            entries.append(_entry(record, sources, limits))
        except KeyError as missing:
            raise KnowledgeError(f"entry {record.get('id', '?')}: {missing.args[0]} is required") from None
    ids = [e.id for e in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise KnowledgeError(f"duplicate entry ids {sorted(duplicates)}")
    return KnowledgeBase(sources=sources, entries=tuple(entries), time_limits=limits)


def load_knowledge_base(directory: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    return build_knowledge_base(seed_records(directory), directory)
