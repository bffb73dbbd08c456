"""Operators keep the knowledge base right: the unanswered-question inbox, drafts, preview, publishing with
review, versions, diff, rollback and export (agent API); the published versions for the action server (internal).

Who may do what: supervisors and reviewers draft; a supervisor publishes their own drafts, a reviewer anyone's;
agents only read answers in the console. A company's editors change their company's entries; entries from
documents that bind no company (regulations, general rules) are changed by the platform's own editors.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from gateway import knowledge_store as store
from gateway.api.deps import AgentDep, AgentIdentity, EditorDep, ServiceDep, SessionDep, SettingsDep
from gateway.clock import now
from gateway.models import InboxDismissal, KnowledgeDraft, KnowledgeVersion
from gateway.strict_json import StrictJSONRoute
from gateway.text import CleanStr
from gateway.unanswered import group, unanswered_items
from knowledge.export import to_yaml_files
from knowledge.model import UTILITY_LABELS, Entry

router = APIRouter(prefix="/agent/api", tags=["knowledge"], route_class=StrictJSONRoute)
internal = APIRouter(prefix="/internal/knowledge", tags=["internal"], route_class=StrictJSONRoute)

ENTRY_ID = r"^[a-z]+(\.[a-z0-9_]+){1,4}$"
EntryId = Annotated[str, Path(pattern=ENTRY_ID, max_length=120)]
MAX_ID = 2**31 - 1    # the database's integer: a larger number is no version or draft, not a database error
VersionNo = Annotated[int, Path(ge=1, le=MAX_ID)]
DraftId = Annotated[int, Path(ge=1, le=MAX_ID)]
InboxKey = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]   # gateway.knowledge_store.inbox_key
Intent = Literal["ask_fee", "ask_payment", "ask_process", "ask_channel", "ask_outage", "report_fault",
                 "apply_installation", "file_complaint"]
Utility = Literal["gas", "electricity", "heat", "all"]


class ExampleIn(BaseModel):
    text: CleanStr = Field(min_length=2, max_length=200)
    inbox_key: InboxKey | None = None


class EntryFields(BaseModel):
    title: CleanStr | None = Field(default=None, min_length=2, max_length=60)
    answer: CleanStr | None = Field(default=None, min_length=5, max_length=400)
    examples: list[CleanStr] | None = Field(default=None, max_length=200)
    source: CleanStr | None = Field(default=None, max_length=60)
    clause: CleanStr | None = Field(default=None, max_length=60)
    business: CleanStr | None = Field(default=None, max_length=20)
    intent: Intent | None = None
    utility: Utility | None = None


class NewEntry(EntryFields):
    id: str = Field(pattern=ENTRY_ID, max_length=120)
    title: CleanStr = Field(min_length=2, max_length=60)
    answer: CleanStr = Field(min_length=5, max_length=400)
    examples: list[CleanStr] = Field(min_length=3, max_length=200)
    source: CleanStr = Field(min_length=1, max_length=60)
    clause: CleanStr = Field(min_length=1, max_length=60)
    intent: Intent
    utility: Utility
    inbox_key: InboxKey | None = None


class PublishIn(BaseModel):
    drafts: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(default=None, max_length=500)   # a reviewer's choice; default: my drafts


class RollbackIn(BaseModel):
    version: int = Field(ge=1, le=MAX_ID)


class PreviewIn(BaseModel):
    question: CleanStr = Field(min_length=1, max_length=200)
    with_drafts: bool = True


class DismissIn(BaseModel):
    keys: list[InboxKey] = Field(min_length=1, max_length=200)


# -- scope -------------------------------------------------------------------------------------------------------

def _may_edit(editor: AgentIdentity, company: str | None) -> bool:
    """A company's editors change that company's entries; platform editors (company None) change any."""
    return editor.company is None or (company is not None and company == editor.company)


def _visible(editor: AgentIdentity, company: str) -> bool:
    return editor.company is None or company in (editor.company, "none")


def _draft_company(kb, draft: KnowledgeDraft) -> str | None:
    """The company of the entry a draft changes (a new entry: of the document it cites)."""
    company = store.entry_company(kb, draft.entry_id)
    if company is None and draft.payload.get("source") in kb.sources:
        company = kb.sources[draft.payload["source"]].company
    return company


def _entry_seen(kb, editor: AgentIdentity, entry_id: str) -> Entry:
    """The entry, when the caller may see it; 404 alike for an unknown entry and another company's."""
    entry = kb.by_id.get(entry_id)
    if entry is None or not _visible(editor, entry.company):
        raise HTTPException(404, "没有这个条目")
    return entry


def _editable(editor: AgentIdentity, entry: Entry) -> Entry:
    if not _may_edit(editor, entry.company):
        raise HTTPException(403, "这个条目不属于您所在的公司")
    return entry


async def _live_kb(session):
    version = await store.live(session)
    return version, store.knowledge_base_of(version.entries)


def _draft_dict(draft: KnowledgeDraft) -> dict[str, Any]:
    return {"id": draft.id, "author": draft.author, "action": draft.action, "entry": draft.entry_id,
            "payload": draft.payload, "status": draft.status, "created_at": draft.created_at.isoformat(),
            "published_version": draft.published_version}


def _version_dict(version) -> dict[str, Any]:
    return {"version": version.version, "note": version.note, "published_by": version.published_by,
            "published_at": version.published_at.isoformat(), "status": version.check_status,
            "detail": version.check_detail, "entries": len(version.entries)}


# -- entries and drafts -------------------------------------------------------------------------------------------

@router.get("/knowledge/entries")
async def list_entries(session: SessionDep, editor: EditorDep) -> list[dict[str, Any]]:
    """The live entries the caller may see: [{"id", "title", "utility", "company", "answer"}]."""
    _, kb = await _live_kb(session)
    return [{"id": e.id, "title": e.title, "utility": e.utility, "company": e.company, "answer": e.answer}
            for e in kb.entries if _visible(editor, e.company)]


@router.get("/knowledge/entries/{entry_id}")
async def get_entry(entry_id: EntryId, session: SessionDep, editor: EditorDep) -> dict[str, Any]:
    version, kb = await _live_kb(session)
    entry = _entry_seen(kb, editor, entry_id)
    record = next(r for r in version.entries if r["id"] == entry_id)
    return {**{k: record.get(k) for k in ("id", "utility", "intent", "title", "answer", "examples", "source",
                                          "clause", "business")},
            "company": entry.company, "citation": entry.citation, "editable": _may_edit(editor, entry.company)}


@router.get("/knowledge/sources")
async def list_sources(session: SessionDep, editor: EditorDep) -> list[dict[str, Any]]:
    """The documents an entry may cite (research documents never)."""
    _, kb = await _live_kb(session)
    return [{"id": s.id, "title": s.title, "company": s.company, "utility": s.utility, "cite_as": s.cite_as}
            for s in kb.sources.values() if s.authority.value != "research" and _visible(editor, s.company)]


async def _add_draft(session, editor: AgentIdentity, action: str, entry_id: str, payload: dict,
                     inbox_key: str | None) -> dict[str, Any]:
    draft = KnowledgeDraft(author=editor.username, action=action, entry_id=entry_id, payload=payload,
                           status=store.DRAFT, created_at=now(), inbox_key=inbox_key)
    session.add(draft)
    await session.commit()
    return _draft_dict(draft)


@router.post("/knowledge/entries/{entry_id}/examples", status_code=201)
async def add_example(entry_id: EntryId, body: ExampleIn, session: SessionDep, editor: EditorDep) -> dict[str, Any]:
    """An example question for an entry, as a draft (customers are answered from it once it is published)."""
    _, kb = await _live_kb(session)
    _editable(editor, _entry_seen(kb, editor, entry_id))
    return await _add_draft(session, editor, store.ADD_EXAMPLE, entry_id, {"text": body.text}, body.inbox_key)


@router.post("/knowledge/entries", status_code=201)
async def new_entry(body: NewEntry, session: SessionDep, editor: EditorDep) -> dict[str, Any]:
    """A new entry, as a draft: utility, topic, answer, and the source document and clause it comes from."""
    _, kb = await _live_kb(session)
    source = kb.sources.get(body.source)
    if source is None:
        raise HTTPException(422, f"没有这个来源文件：{body.source}")
    if not _may_edit(editor, source.company):
        raise HTTPException(403, "只能引用您所在公司的文件")
    if body.id in kb.by_id:
        raise HTTPException(409, "条目编号已被使用")
    payload = body.model_dump(exclude={"id", "inbox_key"}, exclude_none=True)
    return await _add_draft(session, editor, store.NEW_ENTRY, body.id, payload, body.inbox_key)


@router.patch("/knowledge/entries/{entry_id}", status_code=201)
async def edit_entry(entry_id: EntryId, body: EntryFields, session: SessionDep, editor: EditorDep) -> dict[str, Any]:
    _, kb = await _live_kb(session)
    _editable(editor, _entry_seen(kb, editor, entry_id))
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise HTTPException(422, "没有修改")
    if "source" in changes and (changes["source"] not in kb.sources
                                or not _may_edit(editor, kb.sources[changes["source"]].company)):
        raise HTTPException(422, "不能引用这个来源文件")
    return await _add_draft(session, editor, store.EDIT_ENTRY, entry_id, changes, None)


@router.get("/knowledge/drafts")
async def list_drafts(session: SessionDep, editor: EditorDep) -> list[dict[str, Any]]:
    """My drafts; a reviewer sees every draft of the entries they may edit."""
    if editor.role != "reviewer":
        return [_draft_dict(d) for d in await store.drafts_of(session, author=editor.username)]
    _, kb = await _live_kb(session)
    drafts = [d for d in await store.drafts_of(session) if _may_edit(editor, _draft_company(kb, d))]
    return [_draft_dict(d) for d in drafts]


@router.delete("/knowledge/drafts/{draft_id}", status_code=204)
async def discard_draft(draft_id: DraftId, session: SessionDep, editor: EditorDep) -> Response:
    draft = await session.get(KnowledgeDraft, draft_id)
    if draft is None or draft.status != store.DRAFT or (draft.author != editor.username and editor.role != "reviewer"):
        raise HTTPException(404, "没有这个草稿")
    draft.status = store.DISCARDED
    await session.commit()
    return Response(status_code=204)


@router.post("/knowledge/preview")
async def preview(body: PreviewIn, session: SessionDep, settings: SettingsDep, editor: EditorDep) -> dict[str, Any]:
    """The reply a customer would get from the live knowledge base with my drafts applied (drafts never reach
    customers: the action server answers this one request from them and forgets them)."""
    version = await store.live(session)
    records = version.entries
    if body.with_drafts:
        try:
            records = store.apply_drafts(records, await store.drafts_of(session, author=editor.username))
        except store.PublishError as error:
            raise HTTPException(422, str(error)) from None
    try:
        async with httpx.AsyncClient(timeout=20) as client:
            response = await client.post(f"{settings.action_server_url.rstrip('/')}/knowledge/preview",
                                         headers={"Authorization": f"Bearer {settings.gateway_service_token}"},
                                         json={"entries": records, "question": body.question,
                                               "company": editor.company})
    except httpx.HTTPError as error:
        raise HTTPException(503, "预览暂时不可用（助手服务未响应）") from error
    if response.status_code == 422:
        raise HTTPException(422, response.json().get("detail", "草稿没有通过检查"))
    if response.status_code != 200:
        raise HTTPException(503, "预览暂时不可用")
    return response.json()


@router.post("/knowledge/publish")
async def publish(session: SessionDep, editor: EditorDep, body: PublishIn | None = None) -> dict[str, Any]:
    """Validates and publishes my drafts (a reviewer: the drafts named) as the next version: {"version": n}.
    The action server audits its figures and serves it within seconds, or refuses it with the reason."""
    if body is not None and body.drafts is not None:
        if editor.role != "reviewer":
            drafts = await store.drafts_of(session, author=editor.username, ids=body.drafts)
        else:
            drafts = await store.drafts_of(session, ids=body.drafts)
        if len(drafts) != len(set(body.drafts)):
            raise HTTPException(404, "有的草稿不存在、已发布，或不能由您发布")
    else:
        drafts = await store.drafts_of(session, author=editor.username)
    _, kb = await _live_kb(session)
    for draft in drafts:
        if not _may_edit(editor, _draft_company(kb, draft)):
            raise HTTPException(403, f"不能发布条目 {draft.entry_id}：不属于您所在的公司")
    try:
        version = await store.publish(session, editor.username, drafts)
    except store.PublishError as error:
        raise HTTPException(422, str(error)) from None
    await _dismiss(session, [d.inbox_key for d in drafts if d.inbox_key], editor.username)
    return {"version": version.version, "status": version.check_status}


@router.post("/knowledge/rollback")
async def rollback(body: RollbackIn, session: SessionDep, editor: EditorDep) -> dict[str, Any]:
    """Makes version n's content live again (as a new version). Platform supervisors and reviewers only: a
    version holds every company's entries."""
    if editor.company is not None:
        raise HTTPException(403, "恢复版本会影响所有公司的条目，需要平台的主管或审核员")
    try:
        version = await store.rollback(session, editor.username, body.version)
    except LookupError:
        raise HTTPException(404, "没有这个版本") from None
    except store.PublishError as error:
        raise HTTPException(422, str(error)) from None
    return {"version": version.version, "restored": body.version, "status": version.check_status}


@router.get("/knowledge/versions")
async def list_versions(session: SessionDep, editor: EditorDep) -> list[dict[str, Any]]:
    serving = await store.serving(session)
    return [{**_version_dict(v), "serving": v.version == serving.version} for v in await store.versions(session)]


@router.get("/knowledge/versions/{number}/diff")
async def version_diff(number: VersionNo, session: SessionDep, editor: EditorDep,
                       against: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> dict[str, Any]:
    """What version `number` changed against `against` (default: the version before it)."""
    after = await session.get(KnowledgeVersion, number)
    before = await session.get(KnowledgeVersion, against or number - 1) if (against or number > 1) else None
    if after is None or (against is not None and before is None):
        raise HTTPException(404, "没有这个版本")
    return {"version": number, "against": before.version if before else None,
            "changes": store.diff(before.entries if before else [], after.entries)}


@router.get("/knowledge/export", response_class=PlainTextResponse)
async def export(session: SessionDep, editor: EditorDep,
                 version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> PlainTextResponse:
    """The live version (or the one named) as the repository's YAML files, one after another."""
    chosen = await session.get(KnowledgeVersion, version) if version else await store.serving(session)
    if chosen is None:
        raise HTTPException(404, "没有这个版本")
    files = to_yaml_files(chosen.entries)
    text = "\n".join(f"# ---- knowledge/entries/{name} (第 {chosen.version} 版)\n{body}" for name, body in files.items())
    return PlainTextResponse(text, media_type="application/yaml; charset=utf-8")


# -- the unanswered inbox -----------------------------------------------------------------------------------------

@router.get("/unanswered")
async def inbox(session: SessionDep, editor: EditorDep,
                days: Annotated[int, Query(ge=1, le=90)] = 30) -> list[dict[str, Any]]:
    """Questions the assistant could not answer, grouped by similar wording, counted, newest first, masked."""
    items = await unanswered_items(session, now() - timedelta(days=days), company=editor.company,
                                   all_companies=editor.company is None)
    dismissed = set((await session.execute(select(InboxDismissal.key))).scalars())
    groups = group(items, lambda q: store.inbox_key(editor.company, q), store.normalise_question)
    return [g.as_dict() for g in groups if not set(g.keys) <= dismissed]


@router.post("/unanswered/dismiss", status_code=204)
async def dismiss(body: DismissIn, session: SessionDep, editor: EditorDep) -> Response:
    await _dismiss(session, body.keys, editor.username)
    return Response(status_code=204)


async def _dismiss(session, keys: list[str], actor: str) -> None:
    for key in dict.fromkeys(keys):
        if await session.get(InboxDismissal, key) is None:
            session.add(InboxDismissal(key=key, by=actor, at=now()))
    await session.commit()


@router.get("/knowledge/me")
async def me(agent: AgentDep) -> dict[str, Any]:
    """Who is logged in, and whether they may draft (the page shows what they may do)."""
    return {"username": agent.username, "role": agent.role, "company": agent.company, "editor": agent.editor,
            "utilities": {**UTILITY_LABELS, "all": "通用"}}


# -- the action server --------------------------------------------------------------------------------------------

class CheckIn(BaseModel):
    accepted: bool
    detail: CleanStr | None = Field(default=None, max_length=4000)


@internal.get("/live")
async def live_version(session: SessionDep, _: ServiceDep) -> dict[str, Any]:
    """The newest version not refused: the action server loads it, audits it if pending, and serves it."""
    number, status = await store.live_status(session)
    return {"version": number, "status": status}


@internal.get("/versions/{number}")
async def version_content(number: VersionNo, session: SessionDep, _: ServiceDep) -> dict[str, Any]:
    await store.ensure_seed(session)
    version = await session.get(KnowledgeVersion, number)
    if version is None:
        raise HTTPException(404, "no such version")
    return {"version": version.version, "status": version.check_status, "entries": version.entries}


@internal.post("/versions/{number}/check")
async def version_check(number: VersionNo, body: CheckIn, session: SessionDep, _: ServiceDep) -> dict[str, Any]:
    """The action server's verdict (its figure audit); the first verdict stands."""
    try:
        version = await store.record_check(session, number, body.accepted, body.detail)
    except LookupError:
        raise HTTPException(404, "no such version") from None
    return {"version": version.version, "status": version.check_status}

