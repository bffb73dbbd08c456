"""Questions the assistant could not answer, read from the transcript: the bot's own notes (core/turns.py: no
entry, not understood, out of scope though a utility is named), a menu nobody picked, an answer rated 没用, a human
asked for right after an answer. The operators' inbox groups them; the analytics page counts them.

The question is the customer message the reply answered, masked; a tapped button (a "/payload") is no question.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.masking import mask_text
from core.turns import TurnKind, UnansweredReason
from gateway.clock import now
from gateway.models import AnswerFeedback, Conversation, Handoff, Message

MENU_PICK = '/inform{"kb_entry"'
MENU_PATIENCE = timedelta(minutes=10)   # a menu left this long without a pick was not what they asked
HUMAN_REQUEST_REASONS = {"request_human"}


@dataclass(frozen=True)
class UnansweredItem:
    question: str              # masked
    reason: str                # core.turns.UnansweredReason
    conversation_id: str
    channel: str
    company: str | None
    at: datetime
    entry: str | None = None   # the entry that answered, when the answer itself fell short


async def unanswered_items(session: AsyncSession, since: datetime, *, company: str | None = None,
                           all_companies: bool = True, channel: str | None = None) -> list[UnansweredItem]:
    """Every unanswered question asked since `since`, newest first. all_companies=False limits them to
    `company` (an agent's scope)."""
    query = (select(Message, Conversation.channel, Conversation.company)
             .join(Conversation, Conversation.id == Message.conversation_id)
             .where(Message.at >= since).order_by(Message.conversation_id, Message.id))
    if not all_companies:
        query = query.where(Conversation.company == company)
    if channel:
        query = query.where(Conversation.channel == channel)
    rows = (await session.execute(query)).all()
    unhelpful = set((await session.execute(select(AnswerFeedback.message_id).where(
        AnswerFeedback.helpful.is_(False), AnswerFeedback.at >= since))).scalars())
    handed = await _human_requests(session, since)
    items: list[UnansweredItem] = []
    for conversation_id, messages in _by_conversation(rows):
        items.extend(_walk(conversation_id, messages, unhelpful, handed.get(conversation_id, [])))
    return sorted(items, key=lambda item: item.at, reverse=True)


async def _human_requests(session: AsyncSession, since: datetime) -> dict[str, list[datetime]]:
    rows = await session.execute(select(Handoff.conversation_id, Handoff.created_at).where(
        Handoff.created_at >= since, Handoff.reason.in_(HUMAN_REQUEST_REASONS)))
    found: dict[str, list[datetime]] = {}
    for conversation_id, at in rows:
        found.setdefault(conversation_id, []).append(at)
    return found


def _by_conversation(rows: Iterable) -> Iterable[tuple[str, list[tuple[Message, str, str | None]]]]:
    current: str | None = None
    batch: list[tuple[Message, str, str | None]] = []
    for message, channel, company in rows:
        if message.conversation_id != current:
            if batch:
                yield current, batch  # type: ignore[misc]
            current, batch = message.conversation_id, []
        batch.append((message, channel, company))
    if batch:
        yield current, batch  # type: ignore[misc]


def _is_question(text: str) -> bool:
    return bool(text.strip()) and not text.startswith("/")


def _walk(conversation_id: str, messages: list[tuple[Message, str, str | None]], unhelpful: set[int],
          handoffs: list[datetime]) -> list[UnansweredItem]:
    items: list[UnansweredItem] = []
    question: Message | None = None          # the customer's last real question
    last_answer: tuple[Message, Message | None] | None = None   # (answer, its question) of the last bot turn
    menu_for: Message | None = None           # a menu is open for this question

    def item(asked: Message | None, reason: UnansweredReason, at: datetime, entry: str | None = None) -> None:
        if asked is not None and _is_question(asked.text):
            channel, company = messages[0][1], messages[0][2]
            items.append(UnansweredItem(mask_text(asked.text), reason.value, conversation_id, channel, company, at,
                                        entry))

    for message, _, _ in messages:
        if message.role == "customer":
            if menu_for is not None and not message.text.startswith(MENU_PICK):
                item(menu_for, UnansweredReason.MENU_UNPICKED, message.at)
            menu_for = None
            if any(abs((at - message.at).total_seconds()) < 120 and at >= message.at for at in handoffs) \
                    and last_answer is not None:
                answer, asked = last_answer
                item(asked, UnansweredReason.HANDOFF_AFTER_ANSWER, message.at, _first_entry(answer))
                handoffs = [at for at in handoffs if not (at >= message.at and (at - message.at).total_seconds() < 120)]
            last_answer = None
            if _is_question(message.text):
                question = message
            continue
        if message.role != "bot" or not message.meta:
            continue
        kind = message.meta.get("kind")
        if kind == TurnKind.UNANSWERED.value:
            item(question, UnansweredReason(message.meta.get("reason", UnansweredReason.NO_ENTRY.value)), message.at)
        elif kind == TurnKind.MENU.value:
            menu_for = question
        elif kind == TurnKind.ANSWER.value:
            last_answer = (message, question)
            if message.id in unhelpful:
                item(question, UnansweredReason.RATED_UNHELPFUL, message.at, _first_entry(message))
    if menu_for is not None and now() - messages[-1][0].at > MENU_PATIENCE:   # not while they may still pick
        item(menu_for, UnansweredReason.MENU_UNPICKED, messages[-1][0].at)
    return items


def _first_entry(message: Message) -> str | None:
    entries = (message.meta or {}).get("entries") or []
    return entries[0] if entries else None


# -- the operators' inbox: similar wordings grouped ---------------------------------------------------------------

SIMILAR = 0.6   # Dice overlap of character pairs above which two wordings count as one question


@dataclass
class InboxGroup:
    question: str                       # the newest wording, masked
    keys: list[str]                     # one per distinct wording (dismissing the group dismisses them all)
    count: int
    latest_at: datetime
    reasons: dict[str, int]
    channels: list[str]
    entries: list[str]                  # entries that answered when the answer fell short
    wordings: list[str]

    def as_dict(self) -> dict:
        return {"key": self.keys[0], "keys": self.keys, "question": self.question, "count": self.count,
                "latest_at": self.latest_at.isoformat(), "reasons": self.reasons, "channels": self.channels,
                "entries": self.entries, "wordings": self.wordings[:5]}


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def group(items: list[UnansweredItem], key_of, normalise) -> list[InboxGroup]:
    """Items (newest first) grouped by similar wording, groups newest first. key_of(question) names a wording."""
    groups: list[tuple[set[str], InboxGroup]] = []
    for item in items:
        text = normalise(item.question)
        if not text:
            continue
        pairs = _pairs(text)
        home = next((g for p, g in groups if 2 * len(p & pairs) / (len(p) + len(pairs)) >= SIMILAR), None)
        if home is None:
            home = InboxGroup(item.question, [], 0, item.at, {}, [], [], [])
            groups.append((pairs, home))
        key = key_of(item.question)
        if key not in home.keys:
            home.keys.append(key)
            home.wordings.append(item.question)
        home.count += 1
        home.reasons[item.reason] = home.reasons.get(item.reason, 0) + 1
        if item.channel not in home.channels:
            home.channels.append(item.channel)
        if item.entry and item.entry not in home.entries:
            home.entries.append(item.entry)
    return [g for _, g in groups]
