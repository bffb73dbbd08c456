"""The live knowledge base as operators keep it: versions in the database, drafts, publishing and rollback.

Version 1 is the repository's YAML (knowledge/entries), imported on an empty database. Operators' changes are
drafts (an example question added, a new entry, an entry edited) that never reach customers; publishing applies
a person's drafts to the live version, validates the result with the knowledge base's own rules (knowledge/rules.py:
source and clause, no research document, quarantine) and stores it as the next version, "pending" until the action
server has run the figure audit on it ("accepted") or refused it with the reason ("refused"). The action server
serves the newest version it accepted; rollback publishes an earlier version's content again as a new version, so
history only grows and every version stays diffable.
"""
from __future__ import annotations

import hashlib
import re
import time
import unicodedata
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clock import now
from gateway.models import AuditRecord, KnowledgeDraft, KnowledgeVersion
from knowledge.loader import KnowledgeBase, KnowledgeError, build_knowledge_base, seed_records
from knowledge.rules import validate

SEED_VERSION = 1
SEED_NOTE = "仓库中的知识库（初始版本）"
PENDING, ACCEPTED, REFUSED = "pending", "accepted", "refused"
DRAFT, PUBLISHED, DISCARDED = "draft", "published", "discarded"
ADD_EXAMPLE, NEW_ENTRY, EDIT_ENTRY = "add_example", "new_entry", "edit_entry"
EDITABLE_FIELDS = ("title", "answer", "examples", "source", "clause", "business", "intent", "utility")


class PublishError(ValueError):
    """Nothing to publish, or the result breaks a rule of the knowledge base (the message says which)."""


_compared: set[str] = set()   # databases whose version 1 was compared with the repository in this process


@lru_cache(maxsize=1)
def _seed() -> tuple[dict, ...]:
    return tuple(seed_records())


async def ensure_seed(session: AsyncSession) -> None:
    """Version 1 from the repository's YAML on an empty database (concurrent starts race harmlessly). While
    nothing has been published after it, version 1 follows the repository (a deploy with new YAML updates it);
    once operators have published, the repository's changes come in by `python -m gateway.manage
    import-knowledge` as a new version, so nobody's work is overwritten silently."""
    database = str(session.bind.url)
    if database in _compared and (await session.execute(
            select(KnowledgeVersion.version).where(KnowledgeVersion.version == SEED_VERSION))).first() is not None:
        return         # compared already: a check that reads no entries (the action server polls every 2 s)
    first = await session.get(KnowledgeVersion, SEED_VERSION)
    seed = list(_seed())
    if first is None:
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(insert(KnowledgeVersion).values(
            version=SEED_VERSION, entries=seed, note=SEED_NOTE, published_by="repository",
            published_at=now(), check_status=ACCEPTED, checked_at=now()).on_conflict_do_nothing(
            index_elements=[KnowledgeVersion.version]))
        await session.commit()
    elif first.entries != seed:
        later = (await session.execute(select(func.max(KnowledgeVersion.version)))).scalar()
        if later == SEED_VERSION:
            first.entries = seed
            await session.commit()
    _compared.add(database)


async def import_repository(session: AsyncSession, actor: str) -> KnowledgeVersion:
    """The repository's YAML published as a new version (after operators' versions)."""
    await ensure_seed(session)
    records = list(_seed())
    validate(records)
    version = await _next_version(session, records, actor, "导入仓库中的知识库")
    await session.commit()
    return version


async def live(session: AsyncSession) -> KnowledgeVersion:
    """The newest version not refused: what the action server serves once it has checked it."""
    await ensure_seed(session)
    row = await session.execute(select(KnowledgeVersion).where(KnowledgeVersion.check_status != REFUSED)
                                .order_by(KnowledgeVersion.version.desc()).limit(1))
    return row.scalar_one()


async def live_status(session: AsyncSession) -> tuple[int, str]:
    """(number, check status) of the live version, without reading its entries."""
    await ensure_seed(session)
    row = await session.execute(select(KnowledgeVersion.version, KnowledgeVersion.check_status)
                                .where(KnowledgeVersion.check_status != REFUSED)
                                .order_by(KnowledgeVersion.version.desc()).limit(1))
    number, status = row.one()
    return number, status


async def serving_number(session: AsyncSession) -> int:
    """The number of the version customers are answered from, without reading its entries."""
    await ensure_seed(session)
    row = await session.execute(select(KnowledgeVersion.version).where(KnowledgeVersion.check_status == ACCEPTED)
                                .order_by(KnowledgeVersion.version.desc()).limit(1))
    return row.scalar_one()


async def serving(session: AsyncSession) -> KnowledgeVersion:
    """The newest version the action server accepted: what customers are answered from now."""
    await ensure_seed(session)
    row = await session.execute(select(KnowledgeVersion).where(KnowledgeVersion.check_status == ACCEPTED)
                                .order_by(KnowledgeVersion.version.desc()).limit(1))
    return row.scalar_one()


async def versions(session: AsyncSession, limit: int = 50) -> list[KnowledgeVersion]:
    await ensure_seed(session)
    rows = await session.execute(select(KnowledgeVersion).order_by(KnowledgeVersion.version.desc()).limit(limit))
    return list(rows.scalars())


def knowledge_base_of(records: list[dict]) -> KnowledgeBase:
    return build_knowledge_base(records)


def entry_company(kb: KnowledgeBase, entry_id: str) -> str | None:
    entry = kb.by_id.get(entry_id)
    return entry.company if entry else None


# -- drafts ------------------------------------------------------------------------------------------------------

def apply_drafts(records: list[dict], drafts: list[KnowledgeDraft]) -> list[dict]:
    """The records with the drafts applied in order; an unknown entry or a duplicate id is a PublishError."""
    result = [dict(record) for record in records]
    index = {record["id"]: i for i, record in enumerate(result)}
    for draft in drafts:
        if draft.action == ADD_EXAMPLE:
            if draft.entry_id not in index:
                raise PublishError(f"条目 {draft.entry_id} 已不存在")
            record = result[index[draft.entry_id]]
            text = draft.payload["text"]
            if text not in record.get("examples", []):
                record["examples"] = [*record.get("examples", []), text]
        elif draft.action == NEW_ENTRY:
            if draft.entry_id in index:
                raise PublishError(f"条目编号 {draft.entry_id} 已被使用")
            index[draft.entry_id] = len(result)
            result.append({**draft.payload, "id": draft.entry_id})
        elif draft.action == EDIT_ENTRY:
            if draft.entry_id not in index:
                raise PublishError(f"条目 {draft.entry_id} 已不存在")
            record = result[index[draft.entry_id]]
            record.update({k: v for k, v in draft.payload.items() if k in EDITABLE_FIELDS})
    return result


async def drafts_of(session: AsyncSession, *, author: str | None = None,
                    ids: list[int] | None = None) -> list[KnowledgeDraft]:
    query = select(KnowledgeDraft).where(KnowledgeDraft.status == DRAFT).order_by(KnowledgeDraft.id)
    if author is not None:
        query = query.where(KnowledgeDraft.author == author)
    if ids is not None:
        query = query.where(KnowledgeDraft.id.in_(ids))
    return list((await session.execute(query)).scalars())


async def publish(session: AsyncSession, actor: str, drafts: list[KnowledgeDraft]) -> KnowledgeVersion:
    """The drafts applied to the live version, validated, stored as the next version (pending the action
    server's figure audit). Raises PublishError with the reason when the result breaks a rule."""
    if not drafts:
        raise PublishError("没有待发布的草稿")
    base = await live(session)
    records = apply_drafts(base.entries, drafts)
    try:
        validate(records)
    except KnowledgeError as error:
        raise PublishError(str(error)) from None
    version = await _next_version(session, records, actor,
                                  f"发布 {len(drafts)} 项修改（基于第 {base.version} 版）")
    await session.execute(update(KnowledgeDraft).where(KnowledgeDraft.id.in_([d.id for d in drafts]))
                          .values(status=PUBLISHED, published_version=version.version))
    session.add(AuditRecord(actor=actor, action="knowledge_publish", target=f"version:{version.version}",
                            detail={"drafts": [d.id for d in drafts], "based_on": base.version}))
    await session.commit()
    return version


async def rollback(session: AsyncSession, actor: str, to_version: int) -> KnowledgeVersion:
    """Version `to_version`'s content published again, as a new version."""
    earlier = await session.get(KnowledgeVersion, to_version)
    if earlier is None:
        raise LookupError(to_version)
    if earlier.check_status == REFUSED:
        raise PublishError(f"第 {to_version} 版未通过检查，不能恢复：{earlier.check_detail or ''}")
    version = await _next_version(session, earlier.entries, actor, f"恢复为第 {to_version} 版的内容")
    session.add(AuditRecord(actor=actor, action="knowledge_rollback", target=f"version:{version.version}",
                            detail={"restored": to_version}))
    await session.commit()
    return version


async def _next_version(session: AsyncSession, records: list[dict], actor: str, note: str) -> KnowledgeVersion:
    """The next version number; two publishers at once collide on the primary key and one of them retries."""
    for _ in range(5):
        latest = (await session.execute(select(func.max(KnowledgeVersion.version)))).scalar() or 0
        version = KnowledgeVersion(version=latest + 1, entries=records, note=note, published_by=actor,
                                   published_at=now(), check_status=PENDING)
        try:
            async with session.begin_nested():
                session.add(version)
            return version
        except Exception:  # noqa: BLE001 -- IntegrityError of a concurrent publish: take the next number
            continue
    raise PublishError("发布冲突，请重试")


async def record_check(session: AsyncSession, number: int, accepted: bool, detail: str | None) -> KnowledgeVersion:
    """The action server's verdict on a version (its figure audit); the first verdict stands."""
    version = await session.get(KnowledgeVersion, number)
    if version is None:
        raise LookupError(number)
    if version.check_status == PENDING:
        version.check_status = ACCEPTED if accepted else REFUSED
        version.check_detail = detail
        version.checked_at = now()
        await session.commit()
    return version


# -- diff --------------------------------------------------------------------------------------------------------

def diff(before: list[dict], after: list[dict]) -> list[dict[str, Any]]:
    """Entry by entry: added, removed, and for changed ones each field's old and new value (examples as the
    questions added and removed)."""
    old, new = {r["id"]: r for r in before}, {r["id"]: r for r in after}
    changes: list[dict[str, Any]] = []
    for entry_id in [*old, *(i for i in new if i not in old)]:
        if entry_id not in new:
            changes.append({"entry": entry_id, "change": "removed", "title": old[entry_id].get("title")})
        elif entry_id not in old:
            changes.append({"entry": entry_id, "change": "added", "title": new[entry_id].get("title"),
                            "fields": {k: {"after": new[entry_id].get(k)} for k in EDITABLE_FIELDS
                                       if new[entry_id].get(k)}})
        else:
            fields: dict[str, Any] = {}
            for key in EDITABLE_FIELDS:
                a, b = old[entry_id].get(key), new[entry_id].get(key)
                if a == b:
                    continue
                if key == "examples":
                    fields[key] = {"added": [x for x in b or [] if x not in (a or [])],
                                   "removed": [x for x in a or [] if x not in (b or [])]}
                else:
                    fields[key] = {"before": a, "after": b}
            if fields:
                changes.append({"entry": entry_id, "change": "changed", "title": new[entry_id].get("title"),
                                "fields": fields})
    return changes


# -- operators' example questions --------------------------------------------------------------------------------

_PARTICLES = re.compile(r"[\s\W_]+|[吗呢啊呀吧哈哦嘛]+$")


def normalise_question(text: str) -> str:
    """For recognising a question an operator published: width, case, spaces, punctuation, final particles."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _PARTICLES.sub("", _PARTICLES.sub("", text))


def operator_examples(seed: list[dict], current: list[dict]) -> dict[str, str]:
    """Normalised question → entry id, for the example questions operators published (not in the seed)."""
    seeded = {(r["id"], q) for r in seed for q in r.get("examples") or []}
    found: dict[str, str] = {}
    for record in current:
        for question in record.get("examples") or []:
            if (record["id"], question) not in seeded:
                found.setdefault(normalise_question(question), record["id"])
    return found


@dataclass
class _Cached:
    version: int
    examples: dict[str, str]
    intents: dict[str, str]
    checked: float


# Per engine (not by its URL: a URL hashes by rendering itself as a string, on every customer message)
_cache: weakref.WeakKeyDictionary[Any, _Cached] = weakref.WeakKeyDictionary()
CACHE_SECONDS = 2.0


async def published_example(session: AsyncSession, text: str) -> tuple[str, str] | None:
    """(entry id, the entry's intent) when the text is an example question an operator published in the
    version customers are served now; looked up in a map refreshed every CACHE_SECONDS per process."""
    database = session.bind.sync_engine
    cached = _cache.get(database)
    if cached is None or time.monotonic() - cached.checked > CACHE_SECONDS:
        number = await serving_number(session)
        if cached is None or cached.version != number:
            current = await serving(session)
            seed = await session.get(KnowledgeVersion, SEED_VERSION)
            cached = _cache[database] = _Cached(
                current.version, operator_examples(seed.entries if seed else [], current.entries),
                {r["id"]: r.get("intent", "") for r in current.entries}, time.monotonic())
        else:
            cached.checked = time.monotonic()
    entry = cached.examples.get(normalise_question(text))
    return (entry, cached.intents.get(entry, "")) if entry else None


def inbox_key(scope: str | None, question: str) -> str:
    """The key of an unanswered-question group for one company's supervisors (None: all companies)."""
    return hashlib.sha256(f"{scope or '*'}|{normalise_question(question)}".encode()).hexdigest()[:32]
