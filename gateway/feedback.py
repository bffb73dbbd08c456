"""Customers rate a knowledge answer 有用 / 没用: the widget's buttons under an answer, or on WeChat the words
themselves right after one. One rating per answer (rating again replaces it), kept with the entry, company,
channel and conversation. A 没用 reaches the operators' inbox of unanswered questions through gateway/unanswered.py.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import ConversationState
from core.turns import TurnKind
from gateway.clock import now
from gateway.models import AnswerFeedback, Conversation, Message

THANKS = "谢谢您的反馈！"
THANKS_UNHELPFUL = "谢谢您的反馈，我们会改进这条解答。还有问题可以继续问我，也可以回复“转人工”找人工客服。"
WORDS = {"有用": True, "没用": False}
# Spaces, punctuation and symbols around the word ("有用！", "“没用”", "没用。。") do not change it.
_NOISE = re.compile(r"[\s\W_]+")


class FeedbackError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def rating_in_words(text: str) -> bool | None:
    """True for 有用, False for 没用 (alone, punctuation tolerated); None for anything else."""
    word = _NOISE.sub("", unicodedata.normalize("NFKC", text or ""))
    return WORDS.get(word)


def entries_of(message: Message) -> list[str] | None:
    """The entries a bot message answered with; None when it is not a knowledge answer."""
    meta = message.meta or {}
    if message.role != "bot" or meta.get("kind") != TurnKind.ANSWER.value or not meta.get("entries"):
        return None
    return [str(entry) for entry in meta["entries"]]


async def rate(session: AsyncSession, conversation_id: str, message_id: int, helpful: bool) -> AnswerFeedback:
    """The rating of one answer of this conversation. An unknown id and another conversation's message are alike
    (404: no answer of yours has that id); a message that is no knowledge answer cannot be rated."""
    message = await session.get(Message, message_id)
    if message is None or message.conversation_id != conversation_id:
        raise FeedbackError(404, "消息不存在")
    if entries_of(message) is None:
        raise FeedbackError(404, "这条消息不是知识解答，不能评价")
    return await _store(session, message, helpful)


async def _store(session: AsyncSession, message: Message, helpful: bool) -> AnswerFeedback:
    conversation = await session.get(Conversation, message.conversation_id)
    entries = entries_of(message) or []
    values = {"message_id": message.id, "conversation_id": message.conversation_id,
              "channel": conversation.channel if conversation else "", "company": conversation.company if conversation
              else None, "entry_id": entries[0], "helpful": helpful, "at": now()}
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(AnswerFeedback).values(**values)
    # One row per answer, also when two clicks race: the later rating wins.
    await session.execute(statement.on_conflict_do_update(
        index_elements=[AnswerFeedback.message_id],
        set_={"helpful": statement.excluded.helpful, "at": statement.excluded.at}))
    await session.commit()
    row = await session.execute(select(AnswerFeedback).where(AnswerFeedback.message_id == message.id)
                                .execution_options(populate_existing=True))
    return row.scalar_one()


async def last_answer(session: AsyncSession, conversation_id: str) -> Message | None:
    """The conversation's last message other than the customer's, when it is a knowledge answer."""
    row = await session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                      Message.role != "customer")
                                .order_by(Message.id.desc()).limit(1))
    message = row.scalars().first()
    return message if message is not None and entries_of(message) is not None else None


async def from_words(session: AsyncSession, conversation_id: str, text: str) -> str | None:
    """A customer who answers "有用" / "没用" right after a knowledge answer, with the assistant (not in the queue
    or with an agent): the rating is stored and the thanks returned; the message goes nowhere else. None: the text
    is no rating here, and goes on to the assistant as usual."""
    helpful = rating_in_words(text)
    if helpful is None:
        return None
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or conversation.state != ConversationState.BOT.value:
        return None
    answer = await last_answer(session, conversation_id)
    if answer is None:
        return None
    await _store(session, answer, helpful)
    return THANKS if helpful else THANKS_UNHELPFUL
