"""Is the assistant helping? The figures of the analytics page and of GET /agent/api/stats, read from the stored
conversations, handoffs, ratings and tickets of a window of days, for one company (an agent's scope) or all, and
optionally one channel. Pure queries: nothing here writes.

The definitions (also on the page and in the OpenAPI description) are in DEFINITIONS; each figure below follows
its line there.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.labels import FINAL_STATUSES
from core.turns import TurnKind
from gateway.clock import CHINA, now
from gateway.models import AnswerFeedback, Conversation, Handoff, Message, Rating, Ticket, TicketEvent
from gateway.unanswered import UnansweredItem, unanswered_items
from knowledge.loader import load_knowledge_base

TOP = 20                 # rows of the "most asked" and "most frequent unanswered" tables
FINAL = {status.value for status in FINAL_STATUSES}

DEFINITIONS: dict[str, str] = {
    "window": "统计窗口：今天及之前的 N-1 天（北京时间，按自然日）；公司、渠道按会话所属的公司和渠道筛选。",
    "conversations": "会话数：窗口内有客户消息的会话；坐席主动发起的会话（第一条消息出自坐席）不计入任何会话类指标。",
    "contained_rate": "自助解决率：窗口内没有转人工、最后一条知识解答未被评为“没用”、且同一问题没有重复问（去掉空格和标点后文字相同）的会话 ÷ 会话数。",
    "handoff_rate": "转人工率：窗口内发生转人工的会话 ÷ 会话数；转人工原因按窗口内每次转人工计数。",
    "unanswered_rate": "未答率：未答问题 ÷ 客户提问。客户提问是客户发的消息（点按钮的“/”指令不算）；未答问题与知识库待办箱同一口径：知识库没有条目、没听懂、与业务无关但提到燃气电力供热、给了选项却没选、解答被评“没用”、解答后立刻要求人工。",
    "top_entries": "最常用的知识条目：窗口内知识解答引用各条目的次数，附带该条目收到的“有用”“没用”评价数。",
    "top_unanswered": "最常见的未答问题：未答问题按去掉空格和标点后的文字归并计数（手机号等已打码）。",
    "csat": "人工满意度：窗口内客户对人工服务的 1–5 分评价的平均分和条数；只算坐席实际接入过的转人工，排队未接入的不算。",
    "answer_helpful_rate": "解答有用率：窗口内对知识解答的评价中“有用”所占比例（同一条解答以最后一次评价为准）。",
    "tickets": "工单：窗口内新建的工单按类型和当前状态计数。",
    "sla_on_time_rate": "工单按时办结率：窗口内办结（已办结、已关闭或不予受理）且有承诺时限的工单中，办结时间不晚于承诺时间的比例；另列超时办结数和当前已超期未办结数（后者按当前状态统计，不受天数筛选）。",
    "median_first_response_s": "坐席首次响应时间中位数（秒）：窗口内发起的转人工，从转人工发起到坐席在该会话发出第一条消息的时间；坐席没有发过消息的不计。",
}


@dataclass(frozen=True)
class Scope:
    """The window and filters. all_companies=False limits everything to `company` (an agent's company, or the
    one a platform supervisor picked)."""
    since: datetime
    until: datetime
    company: str | None = None
    all_companies: bool = True
    channel: str | None = None


def window(days: int, at: datetime | None = None) -> tuple[datetime, datetime]:
    """Today (China time) and the days - 1 before it: from the start of the first day up to now."""
    moment = (at or now()).astimezone(CHINA)
    first = moment.date() - timedelta(days=days - 1)
    return datetime(first.year, first.month, first.day, tzinfo=CHINA), moment


_NOISE = re.compile(r"[\s\W_]+")


def normalise(text: str) -> str:
    """A question as compared for repeats and grouped in the tables: width, case, spaces and punctuation ignored."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or "").lower())


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _day(at: datetime) -> date:
    return at.astimezone(CHINA).date()


def _conversation_scope(statement: Select, scope: Scope) -> Select:
    if not scope.all_companies:
        statement = statement.where(Conversation.company == scope.company)
    if scope.channel:
        statement = statement.where(Conversation.channel == scope.channel)
    return statement


def _ticket_scope(statement: Select, scope: Scope) -> Select:
    if not scope.all_companies:
        statement = statement.where(Ticket.company == scope.company)
    if scope.channel:
        statement = statement.where(Ticket.channel == scope.channel)
    return statement


# -- conversations ---------------------------------------------------------------------------------------------

@dataclass
class ConversationFacts:
    id: str
    channel: str
    company: str | None
    day: date                                   # of its first customer message in the window
    questions: list[str] = field(default_factory=list)    # normalised customer questions, in order
    last_answer: int | None = None              # message id of the last knowledge answer
    answers: list[list[str]] = field(default_factory=list)   # entries of each knowledge answer
    handoffs: list[Handoff] = field(default_factory=list)
    last_answer_unhelpful: bool = False

    @property
    def repeated(self) -> bool:
        return len(set(self.questions)) < len(self.questions)

    @property
    def contained(self) -> bool:
        return not self.handoffs and not self.last_answer_unhelpful and not self.repeated


def _is_question(text: str) -> bool:
    return bool(text.strip()) and not text.startswith("/")


async def conversation_facts(session: AsyncSession, scope: Scope) -> list[ConversationFacts]:
    """The conversations counted in the window (a customer message in it, not started by an agent), each with
    what the figures need: its questions, its knowledge answers and the rating of the last, its handoffs."""
    query = _conversation_scope(
        select(Message.id, Message.conversation_id, Message.role, Message.text, Message.meta, Message.at,
               Conversation.channel, Conversation.company)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.at >= scope.since, Message.at <= scope.until)
        .order_by(Message.conversation_id, Message.id), scope)
    facts: dict[str, ConversationFacts] = {}
    for message_id, conversation_id, role, text, meta, at, channel, company in (await session.execute(query)).all():
        found = facts.get(conversation_id)
        if role == "customer":
            if found is None:
                found = facts[conversation_id] = ConversationFacts(conversation_id, channel, company, _day(at))
            if _is_question(text):
                found.questions.append(normalise(text))
        elif found is not None and role == "bot" and (meta or {}).get("kind") == TurnKind.ANSWER.value:
            found.last_answer = message_id
            found.answers.append([str(entry) for entry in meta.get("entries") or []])
    started_by_agent = await _started_by_agent(session, list(facts))
    for conversation_id in started_by_agent:
        facts.pop(conversation_id, None)
    await _attach_handoffs(session, scope, facts)
    await _attach_ratings(session, facts)
    return sorted(facts.values(), key=lambda item: (item.day, item.id))


async def _started_by_agent(session: AsyncSession, conversation_ids: list[str]) -> set[str]:
    if not conversation_ids:
        return set()
    first = (select(Message.conversation_id, func.min(Message.id).label("first_id"))
             .where(Message.conversation_id.in_(conversation_ids)).group_by(Message.conversation_id).subquery())
    rows = await session.execute(select(Message.conversation_id).join(first, first.c.first_id == Message.id)
                                 .where(Message.role == "agent"))
    return set(rows.scalars())


async def _attach_handoffs(session: AsyncSession, scope: Scope, facts: dict[str, ConversationFacts]) -> None:
    if not facts:
        return
    rows = await session.execute(select(Handoff).where(
        Handoff.created_at >= scope.since, Handoff.created_at <= scope.until,
        Handoff.conversation_id.in_(list(facts))).order_by(Handoff.created_at))
    for handoff in rows.scalars():
        facts[handoff.conversation_id].handoffs.append(handoff)


async def _attach_ratings(session: AsyncSession, facts: dict[str, ConversationFacts]) -> None:
    last_answers = {f.last_answer: f for f in facts.values() if f.last_answer is not None}
    if not last_answers:
        return
    rows = await session.execute(select(AnswerFeedback.message_id).where(
        AnswerFeedback.message_id.in_(list(last_answers)), AnswerFeedback.helpful.is_(False)))
    for message_id in rows.scalars():
        last_answers[message_id].last_answer_unhelpful = True


def handoff_reasons(facts: Iterable[ConversationFacts]) -> dict[str, int]:
    counts = Counter(handoff.reason for f in facts for handoff in f.handoffs)
    return dict(counts.most_common())


def top_entries(facts: Iterable[ConversationFacts], ratings: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    """Entries by the number of knowledge answers that used them, with their 有用 / 没用 counts."""
    counts = Counter(entry for f in facts for entries in f.answers for entry in dict.fromkeys(entries))
    titles = entry_titles()
    return [{"entry": entry, "title": titles.get(entry, entry), "answers": answers,
             "helpful": ratings.get(entry, (0, 0))[0], "unhelpful": ratings.get(entry, (0, 0))[1]}
            for entry, answers in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]]


@lru_cache(maxsize=1)
def entry_titles() -> dict[str, str]:
    """Entry titles of the repository's knowledge base (an entry added since shows its id)."""
    return {entry.id: entry.title for entry in load_knowledge_base().entries}


def daily(facts: list[ConversationFacts], scope: Scope) -> list[dict[str, Any]]:
    days: dict[date, dict[str, Any]] = {}
    day = scope.since.astimezone(CHINA).date()
    while day <= scope.until.astimezone(CHINA).date():
        days[day] = {"date": day.isoformat(), "conversations": 0, "contained": 0, "handoffs": 0}
        day += timedelta(days=1)
    for f in facts:
        row = days.get(f.day)
        if row is not None:
            row["conversations"] += 1
            row["contained"] += int(f.contained)
        for handoff in f.handoffs:
            if _day(handoff.created_at) in days:
                days[_day(handoff.created_at)]["handoffs"] += 1
    return list(days.values())


# -- unanswered questions --------------------------------------------------------------------------------------

async def unanswered(session: AsyncSession, scope: Scope, counted: set[str]) -> list[UnansweredItem]:
    """gateway/unanswered.py's items of the window, in the counted conversations only."""
    items = await unanswered_items(session, scope.since, company=scope.company, all_companies=scope.all_companies,
                                   channel=scope.channel)
    return [item for item in items if item.conversation_id in counted and item.at <= scope.until]


def top_unanswered(items: list[UnansweredItem]) -> list[dict[str, Any]]:
    """Unanswered questions grouped by their normalised (masked) text, most frequent first."""
    groups: dict[str, dict[str, Any]] = {}
    for item in items:          # newest first: the first text seen is the newest wording
        key = normalise(item.question)
        group = groups.setdefault(key, {"question": item.question, "count": 0, "reasons": Counter(),
                                        "last_at": item.at.isoformat()})
        group["count"] += 1
        group["reasons"][item.reason] += 1
    ordered = sorted(groups.values(), key=lambda g: (-g["count"], g["question"]))[:TOP]
    return [{**group, "reasons": dict(group["reasons"].most_common())} for group in ordered]


# -- ratings ---------------------------------------------------------------------------------------------------

async def csat(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Ratings given in the window after handoffs an agent actually claimed."""
    query = _conversation_scope(
        select(Rating.score).join(Handoff, Handoff.id == Rating.handoff_id)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Rating.at >= scope.since, Rating.at <= scope.until, Handoff.claimed_at.is_not(None)), scope)
    scores = list((await session.execute(query)).scalars())
    distribution = Counter(scores)
    return {"mean": round(statistics.fmean(scores), 2) if scores else None, "count": len(scores),
            "distribution": {str(score): distribution.get(score, 0) for score in range(1, 6)}}


async def answer_ratings(session: AsyncSession, scope: Scope) -> dict[str, tuple[int, int]]:
    """(有用, 没用) per entry, rated in the window."""
    query = select(AnswerFeedback.entry_id, AnswerFeedback.helpful, func.count()).where(
        AnswerFeedback.at >= scope.since, AnswerFeedback.at <= scope.until)
    if not scope.all_companies:
        query = query.where(AnswerFeedback.company == scope.company)
    if scope.channel:
        query = query.where(AnswerFeedback.channel == scope.channel)
    per_entry: dict[str, tuple[int, int]] = {}
    for entry, helpful, count in await session.execute(query.group_by(AnswerFeedback.entry_id,
                                                                       AnswerFeedback.helpful)):
        good, bad = per_entry.get(entry, (0, 0))
        per_entry[entry] = (good + count, bad) if helpful else (good, bad + count)
    return per_entry


# -- tickets ---------------------------------------------------------------------------------------------------

async def tickets(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Tickets created in the window by kind and by current status, and the SLA figures."""
    rows = (await session.execute(_ticket_scope(select(Ticket.type, Ticket.status).where(
        Ticket.created_at >= scope.since, Ticket.created_at <= scope.until), scope))).all()
    closed = await _closed_in_window(session, scope)
    with_due = [(closed_at, due_at) for closed_at, due_at in closed if due_at is not None]
    on_time = sum(1 for closed_at, due_at in with_due if closed_at <= due_at)
    open_past_due = (await session.execute(_ticket_scope(select(func.count()).select_from(Ticket).where(
        Ticket.status.not_in(FINAL), Ticket.due_at.is_not(None), Ticket.due_at < scope.until), scope))).scalar_one()
    return {"total": len(rows), "by_kind": dict(Counter(kind for kind, _ in rows).most_common()),
            "by_status": dict(Counter(status for _, status in rows).most_common()),
            "closed": len(closed), "closed_with_due": len(with_due), "closed_on_time": on_time,
            "closed_overdue": len(with_due) - on_time, "open_past_due": open_past_due}


async def _closed_in_window(session: AsyncSession, scope: Scope) -> list[tuple[datetime, datetime | None]]:
    """(closed at, due at) of the tickets closed in the window and final now. A ticket is closed when it
    first reaches a final status after its last non-final one (已办结 then 已关闭 closes it at 已办结; a ticket
    reopened and closed again closes at the second time)."""
    candidates = dict((await session.execute(_ticket_scope(select(Ticket.id, Ticket.due_at).where(
        Ticket.status.in_(FINAL), Ticket.updated_at >= scope.since), scope))).all())
    if not candidates:
        return []
    events = await session.execute(select(TicketEvent.ticket_id, TicketEvent.status, TicketEvent.at)
                                   .where(TicketEvent.ticket_id.in_(list(candidates)))
                                   .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id))
    closed_at: dict[int, datetime | None] = {}
    for ticket_id, status, at in events:
        if status not in FINAL:
            closed_at[ticket_id] = None
        elif closed_at.get(ticket_id) is None:
            closed_at[ticket_id] = at
    return [(at, candidates[ticket_id]) for ticket_id, at in closed_at.items()
            if at is not None and scope.since <= at <= scope.until]


# -- agents ----------------------------------------------------------------------------------------------------

async def first_responses(session: AsyncSession, facts: list[ConversationFacts], scope: Scope) -> list[float]:
    """Seconds from each handoff of the window to the agent's first message in that conversation after it
    (before it closed); handoffs no agent wrote in are left out."""
    handoffs = [handoff for f in facts for handoff in f.handoffs]
    if not handoffs:
        return []
    rows = await session.execute(select(Message.conversation_id, Message.at).where(
        Message.conversation_id.in_({handoff.conversation_id for handoff in handoffs}), Message.role == "agent",
        Message.at >= scope.since).order_by(Message.at))
    agent_messages: dict[str, list[datetime]] = {}
    for conversation_id, at in rows:
        agent_messages.setdefault(conversation_id, []).append(at)
    seconds = []
    for handoff in handoffs:
        first = next((at for at in agent_messages.get(handoff.conversation_id, []) if at >= handoff.created_at and
                      (handoff.closed_at is None or at <= handoff.closed_at)), None)
        if first is not None:
            seconds.append((first - handoff.created_at).total_seconds())
    return seconds


# -- everything ------------------------------------------------------------------------------------------------

async def stats(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """All the figures of the page, under the keys of GET /agent/api/stats."""
    facts = await conversation_facts(session, scope)
    counted = {f.id for f in facts}
    items = await unanswered(session, scope, counted)
    questions = sum(len(f.questions) for f in facts)
    per_entry = await answer_ratings(session, scope)
    helpful = sum(good for good, _ in per_entry.values())
    rated = sum(good + bad for good, bad in per_entry.values())
    ticket_figures = await tickets(session, scope)
    responses = await first_responses(session, facts, scope)
    contained = sum(1 for f in facts if f.contained)
    handed = sum(1 for f in facts if f.handoffs)
    return {
        "conversations": len(facts),
        "contained": contained,
        "contained_rate": rate(contained, len(facts)),
        "handoffs": handed,
        "handoff_rate": rate(handed, len(facts)),
        "handoff_reasons": handoff_reasons(facts),
        "questions": questions,
        "unanswered": len(items),
        "unanswered_rate": rate(len(items), questions),
        "top_entries": top_entries(facts, per_entry),
        "top_unanswered": top_unanswered(items),
        "csat": await csat(session, scope),
        "answer_ratings": {"helpful": helpful, "unhelpful": rated - helpful},
        "answer_helpful_rate": rate(helpful, rated),
        "tickets": ticket_figures,
        "sla_on_time_rate": rate(ticket_figures["closed_on_time"], ticket_figures["closed_with_due"]),
        "median_first_response_s": round(statistics.median(responses), 1) if responses else None,
        "first_responses": len(responses),
        "daily": daily(facts, scope),
    }
