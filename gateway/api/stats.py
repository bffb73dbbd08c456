"""Analytics: GET /agent/api/stats (the figures as JSON, for the page and for supervisors' scripts) and each table
of the page as CSV. Scoped like the rest of the console: anyone of one company (agent or supervisor) sees that
company's figures only; the platform's own (no company) may pick one."""
from __future__ import annotations

import csv
import io
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from core.ids import Channel
from core.labels import LABELS
from gateway import analytics
from gateway.api.deps import AgentDep, AgentIdentity, SessionDep
from gateway.text import CompanyId

router = APIRouter(prefix="/agent/api/stats", tags=["analytics"])

UNANSWERED_REASONS = {"no_entry": "知识库没有条目", "fallback": "没听懂", "out_of_scope": "被当作无关问题",
                      "menu_unpicked": "给了选项没选", "rated_unhelpful": "解答被评“没用”",
                      "handoff_after_answer": "解答后要求人工"}

Days = Annotated[int, Query(ge=1, le=366, description="今天及之前的 N-1 天（北京时间自然日）")]
ChannelFilter = Annotated[Channel | None, Query(description="只看一个渠道")]
CompanyFilter = Annotated[CompanyId | None, Query(description="只看一家公司（全平台账号可选；公司账号只能是本公司）")]


class Filters(BaseModel):
    days: int
    since: str
    until: str
    company: str | None = Field(description="统计的公司；None: 全部公司")
    company_fixed: bool = Field(description="True: 账号属于一家公司，只能看本公司")
    channel: str | None


class EntryRow(BaseModel):
    entry: str
    title: str
    answers: int
    helpful: int
    unhelpful: int


class UnansweredRow(BaseModel):
    question: str = Field(description="客户的问题（个人号码已打码），同类问题中最新的说法")
    count: int
    reasons: dict[str, int]
    last_at: str


class Csat(BaseModel):
    mean: float | None
    count: int
    distribution: dict[str, int] = Field(description="各分数（1–5）的条数")


class AnswerRatings(BaseModel):
    helpful: int
    unhelpful: int


class Tickets(BaseModel):
    total: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    closed: int
    closed_with_due: int
    closed_on_time: int
    closed_overdue: int
    open_past_due: int = Field(description="当前已超期未办结（按当前状态，不受天数筛选）")


class Day(BaseModel):
    date: str
    conversations: int
    contained: int
    handoffs: int


class Stats(BaseModel):
    filters: Filters
    conversations: int
    contained: int
    contained_rate: float | None
    handoffs: int
    handoff_rate: float | None
    handoff_reasons: dict[str, int]
    questions: int
    unanswered: int
    unanswered_rate: float | None
    top_entries: list[EntryRow]
    top_unanswered: list[UnansweredRow]
    csat: Csat
    answer_ratings: AnswerRatings
    answer_helpful_rate: float | None
    tickets: Tickets
    sla_on_time_rate: float | None
    median_first_response_s: float | None
    first_responses: int
    daily: list[Day]
    definitions: dict[str, str]
    labels: dict[str, dict[str, str]]


def _scope(agent: AgentIdentity, days: int, channel: Channel | None, company: str | None) -> analytics.Scope:
    if agent.company is not None and company not in (None, agent.company):
        raise HTTPException(403, "只能查看本公司的数据")
    chosen = agent.company or company
    since, until = analytics.window(days)
    return analytics.Scope(since=since, until=until, company=chosen, all_companies=chosen is None,
                           channel=channel.value if channel else None)


async def _figures(session: SessionDep, agent: AgentIdentity, days: int, channel: Channel | None,
                   company: str | None) -> dict[str, Any]:
    scope = _scope(agent, days, channel, company)
    figures = await analytics.stats(session, scope)
    figures["filters"] = {"days": days, "since": scope.since.isoformat(), "until": scope.until.isoformat(),
                          "company": scope.company, "company_fixed": agent.company is not None,
                          "channel": scope.channel}
    return figures


_DESCRIPTION = "Figures of the analytics page (a console session: supervisors for scripts; everyone of one company " \
               "sees that company's figures only, the platform's own may pick a company). Definitions:\n\n" + "\n".join(f"- `{key}`: {text}" for key, text in
                                                        analytics.DEFINITIONS.items())


@router.get("", response_model=Stats, description=_DESCRIPTION,
            responses={403: {"description": "查看了别家公司的数据"}})
async def stats(session: SessionDep, agent: AgentDep, days: Days = 7, channel: ChannelFilter = None,
                company: CompanyFilter = None) -> dict[str, Any]:
    figures = await _figures(session, agent, days, channel, company)
    return {**figures, "definitions": analytics.DEFINITIONS, "labels": {"unanswered_reason": UNANSWERED_REASONS}}


class Table(str, Enum):
    SUMMARY = "summary"
    DAILY = "daily"
    HANDOFF_REASONS = "handoff_reasons"
    TOP_ENTRIES = "top_entries"
    TOP_UNANSWERED = "top_unanswered"
    TICKETS_BY_KIND = "tickets_by_kind"
    TICKETS_BY_STATUS = "tickets_by_status"
    CSAT = "csat"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _summary(f: dict[str, Any]) -> list[list[Any]]:
    t = f["tickets"]
    return [["指标", "数值"], ["会话数", f["conversations"]], ["自助解决会话", f["contained"]],
            ["自助解决率", _percent(f["contained_rate"])], ["转人工会话", f["handoffs"]],
            ["转人工率", _percent(f["handoff_rate"])], ["客户提问", f["questions"]], ["未答问题", f["unanswered"]],
            ["未答率", _percent(f["unanswered_rate"])], ["人工满意度（平均分）", f["csat"]["mean"] or ""],
            ["人工满意度（评价数）", f["csat"]["count"]], ["解答有用率", _percent(f["answer_helpful_rate"])],
            ["解答评价（有用）", f["answer_ratings"]["helpful"]], ["解答评价（没用）", f["answer_ratings"]["unhelpful"]],
            ["新建工单", t["total"]], ["按时办结率", _percent(f["sla_on_time_rate"])],
            ["按时办结", t["closed_on_time"]], ["超时办结", t["closed_overdue"]], ["当前超期未办结", t["open_past_due"]],
            ["坐席首次响应中位数（秒）", "" if f["median_first_response_s"] is None else f["median_first_response_s"]]]


def _rows(table: Table, f: dict[str, Any]) -> list[list[Any]]:
    label = LABELS
    if table is Table.SUMMARY:
        return _summary(f)
    if table is Table.DAILY:
        return [["日期", "会话数", "自助解决", "转人工"]] + [
            [d["date"], d["conversations"], d["contained"], d["handoffs"]] for d in f["daily"]]
    if table is Table.HANDOFF_REASONS:
        return [["原因", "代码", "次数"]] + [[label["reason"].get(r, r), r, n] for r, n in f["handoff_reasons"].items()]
    if table is Table.TOP_ENTRIES:
        return [["条目", "标题", "解答次数", "有用", "没用"]] + [
            [e["entry"], e["title"], e["answers"], e["helpful"], e["unhelpful"]] for e in f["top_entries"]]
    if table is Table.TOP_UNANSWERED:
        return [["问题", "次数", "原因", "最近一次"]] + [
            [u["question"], u["count"], "；".join(f"{UNANSWERED_REASONS.get(r, r)} {n}" for r, n in u["reasons"].items()),
             u["last_at"]] for u in f["top_unanswered"]]
    if table is Table.TICKETS_BY_KIND:
        return [["类型", "代码", "工单数"]] + [
            [label["ticketType"].get(k, k), k, n] for k, n in f["tickets"]["by_kind"].items()]
    if table is Table.TICKETS_BY_STATUS:
        return [["状态", "工单数"]] + [[s, n] for s, n in f["tickets"]["by_status"].items()]
    return [["分数", "评价数"]] + [[s, n] for s, n in f["csat"]["distribution"].items()]


def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (customers' questions are in these tables)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return "\ufeff" + out.getvalue()      # the BOM lets Excel read the Chinese as UTF-8


@router.get("/{table}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "该表格的 CSV（UTF-8，带 BOM）"},
                       403: {"description": "查看了别家公司的数据"}})
async def table_csv(table: Table, session: SessionDep, agent: AgentDep, days: Days = 7,
                    channel: ChannelFilter = None, company: CompanyFilter = None) -> Response:
    """One table of the analytics page, with the same filters as the JSON."""
    figures = await _figures(session, agent, days, channel, company)
    scope = figures["filters"]["company"] or "all"
    name = f"{table.value}_{scope}_{figures['filters']['channel'] or 'all'}_{days}d.csv"
    return Response(as_csv(_rows(table, figures)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
