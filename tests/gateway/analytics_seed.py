"""A week of conversations for the analytics tests, small enough to count by hand: two companies (昆仑燃气 kunlun,
天富热电 tianfu), three channels (web, wechat, voice), written straight into a database of their own so that no other
test's conversations change the counts. Every conversation lies 1 to 6 days before today (China time), at 10:00
plus a few minutes, so "the last 7 days" holds all of it whatever the hour the tests run, and "the last 3 days"
exactly the conversations of 1 and 2 days ago.

What each conversation is for is written beside it; the hand counts are in tests/gateway/test_analytics.py.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from core.turns import TurnKind, UnansweredReason
from gateway.clock import CHINA, now
from gateway.db import make_engine, make_sessionmaker
from gateway.manage import create_agent
from gateway.migrate import upgrade
from gateway.models import AnswerFeedback, Conversation, Handoff, Message, Rating, Ticket, TicketEvent
from scripts.stack import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
AGENTS = (("an-platform", "supervisor", None), ("an-kunlun-boss", "supervisor", "kunlun"),
          ("an-tianfu-boss", "supervisor", "tianfu"), ("an-kunlun-agent", "agent", "kunlun"))


@contextmanager
def running_gateway(database_url: str, redis_url: str, rasa_url: str = "http://127.0.0.1:9") -> Iterator[str]:
    """A real gateway (uvicorn, its own process) on that database, for the browser; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "RASA_URL": rasa_url, "GATEWAY_SERVICE_TOKEN": "analytics-service-token-0123456789abcdef",
           "SESSION_SECRET": "analytics-session-secret-0123456789abcdef", "LOGIN_FAILURES_PER_ADDRESS": "1000000",
           "WIDGET_SESSIONS_PER_MINUTE": "1000000"}
    process = subprocess.Popen([str(ROOT / ".venv/gateway/bin/python"), "-m", "uvicorn", "gateway.app:app", "--host",
                                "127.0.0.1", "--port", str(port), "--no-access-log"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", 60, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def prepare(database_url: str) -> None:
    """Schema, the analytics agents, and the week; in a thread of its own, as a browser's event loop may be
    running in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_prepare, database_url).result()


def _prepare(database_url: str) -> None:
    upgrade(database_url)

    async def go() -> None:
        for username, role, company in AGENTS:
            await create_agent(username, PASSWORD, role, database_url, company=company)
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await Week(session).write()
        finally:
            await engine.dispose()
    asyncio.run(go())


def answer(*entries: str) -> dict[str, Any]:
    return {"kind": TurnKind.ANSWER.value, "entries": list(entries)}


def menu(*entries: str) -> dict[str, Any]:
    return {"kind": TurnKind.MENU.value, "entries": list(entries)}


def unanswered(reason: UnansweredReason) -> dict[str, Any]:
    return {"kind": TurnKind.UNANSWERED.value, "reason": reason.value}


PICK_HALL_HOURS = '/inform{"kb_entry": "gas.hall.hours"}'


class Week:
    def __init__(self, session) -> None:
        self.session = session
        self.today = datetime.combine(now().date(), time(), tzinfo=CHINA)

    def at(self, days_ago: int, seconds: float = 0, minute: int = 0) -> datetime:
        return self.today - timedelta(days=days_ago) + timedelta(hours=10, minutes=minute, seconds=seconds)

    async def conversation(self, name: str, channel: str, company: str | None, days_ago: int, minute: int,
                           turns: list[tuple[float, str, str, dict | None]]) -> list[Message]:
        """turns: (seconds after the start, role, text, meta)."""
        conversation_id = f"{channel}:analytics-{name}"
        self.session.add(Conversation(id=conversation_id, channel=channel, customer_key=conversation_id,
                                      company=company, created_at=self.at(days_ago, 0, minute)))
        messages = []
        for seconds, role, text, meta in turns:
            message = Message(conversation_id=conversation_id, role=role, text=text, meta=meta,
                              author="zhang" if role == "agent" else None, at=self.at(days_ago, seconds, minute))
            self.session.add(message)
            await self.session.flush()          # ids follow the order of the turns
            messages.append(message)
        return messages

    def rate(self, message: Message, channel: str, company: str, helpful: bool) -> None:
        self.session.add(AnswerFeedback(message_id=message.id, conversation_id=message.conversation_id, channel=channel,
                                        company=company, entry_id=message.meta["entries"][0], helpful=helpful,
                                        at=message.at + timedelta(seconds=5)))

    def handoff(self, conversation: str, channel: str, reason: str, created: datetime, *, claimed: float | None = None,
                closed: float | None = None, score: int | None = None) -> None:
        handoff_id = str(uuid.uuid4())
        status = "closed" if closed is not None else "active" if claimed is not None else "waiting"
        self.session.add(Handoff(
            id=handoff_id, conversation_id=conversation, channel=channel, reason=reason, status=status,
            agent="zhang" if claimed is not None else None, packet={"summary": ""}, created_at=created,
            claimed_at=created + timedelta(seconds=claimed) if claimed is not None else None,
            closed_at=created + timedelta(seconds=closed) if closed is not None else None))
        if score is not None:
            self.session.add(Rating(conversation_id=conversation, handoff_id=handoff_id, score=score,
                                    at=created + timedelta(seconds=(closed or 0) + 30)))

    def ticket(self, number: str, kind: str, company: str, channel: str, created: datetime,
               history: list[tuple[str, datetime]], due: datetime | None = None) -> None:
        ticket = Ticket(ticket_no=number, type=kind, company=company, utility="gas", contact_phone="13812345678",
                        description="分析测试", channel=channel, conversation_id=f"{channel}:analytics-ticket-{number}",
                        customer_key="analytics", status=history[-1][0], due_at=due, created_at=created,
                        updated_at=history[-1][1])
        self.session.add(ticket)
        for status, at in history:
            ticket.history.append(TicketEvent(status=status, by="zhang", at=at))

    async def write(self) -> None:
        await self.kunlun()
        await self.tianfu()
        await self.tickets()
        await self.session.commit()

    async def kunlun(self) -> None:
        at = self.at
        # K1 web, 1 day ago: answered and rated 有用. Contained.
        k1 = await self.conversation("k1", "web", "kunlun", 1, 0, [
            (0, "customer", "燃气费在哪交", None), (2, "bot", "可以在营业厅……", answer("gas.hall.payment"))])
        self.rate(k1[1], "web", "kunlun", True)
        # K2 wechat, 2 days ago: the answer rated 没用. Not contained; unanswered (rated 没用).
        k2 = await self.conversation("k2", "wechat", "kunlun", 2, 0, [
            (0, "customer", "燃气表不走字怎么办", None), (2, "bot", "户内燃气表故障……", answer("gas.repair.indoor"))])
        self.rate(k2[1], "wechat", "kunlun", False)
        # K3 web, 2 days ago: the same question twice (punctuation aside). Not contained.
        await self.conversation("k3", "web", "kunlun", 2, 10, [
            (0, "customer", "燃气费在哪交", None), (2, "bot", "可以在营业厅……", answer("gas.hall.payment")),
            (40, "customer", "燃气费 在哪交？", None), (42, "bot", "可以在营业厅……", answer("gas.hall.payment"))])
        # K4 voice, 3 days ago: asks for a human at once; claimed after 60 s, first agent words 90 s after the
        # handoff, rated 5. Not contained; no unanswered question (no answer before the request).
        await self.conversation("k4", "voice", "kunlun", 3, 0, [
            (0, "customer", "我要转人工", None), (2, "bot", "正在为您转接人工客服", None),
            (62, "system", "人工客服已接入", None), (92, "agent", "您好，我是客服小张", None)])
        self.handoff("voice:analytics-k4", "voice", "request_human", at(3, 2), claimed=60, closed=300, score=5)
        # K5 wechat, 3 days ago: nothing in the handbook. Contained (the definition counts it), one unanswered.
        await self.conversation("k5", "wechat", "kunlun", 3, 10, [
            (0, "customer", "燃气灶打不着火是什么原因", None),
            (2, "bot", "抱歉，这个问题我暂时回答不了", unanswered(UnansweredReason.NO_ENTRY))])
        # K6 web, 4 days ago: started by an agent (a follow-up call). Left out of everything.
        await self.conversation("k6", "web", "kunlun", 4, 0, [
            (0, "agent", "您好，这里是昆仑燃气回访", None), (30, "customer", "好的谢谢", None)])
        # K7 web, 5 days ago: first answer rated 没用, then a menu, a pick, and that answer rated 有用. Contained
        # (the last answer was useful); one unanswered (the first answer, rated 没用).
        k7 = await self.conversation("k7", "web", "kunlun", 5, 0, [
            (0, "customer", "燃气费在哪交", None), (2, "bot", "可以在营业厅……", answer("gas.hall.payment")),
            (30, "customer", "营业厅几点开门", None),
            (32, "bot", "您想问哪一个？", menu("gas.hall.hours", "gas.hall.services")),
            (50, "customer", PICK_HALL_HOURS, None), (52, "bot", "营业厅……", answer("gas.hall.hours"))])
        self.rate(k7[1], "web", "kunlun", False)
        self.rate(k7[5], "web", "kunlun", True)
        # K8 wechat, 6 days ago: a gas leak; the handoff is never claimed and the customer leaves. A rating stored
        # for it anyway does not count (nobody served them). Not contained.
        await self.conversation("k8", "wechat", "kunlun", 6, 0, [
            (0, "customer", "家里有煤气味", None), (2, "bot", "请立即开窗通风……", None)])
        self.handoff("wechat:analytics-k8", "wechat", "emergency", at(6, 3), closed=600, score=1)

    async def tianfu(self) -> None:
        at = self.at
        # T1 web, 1 day ago: answered, rated 有用. Contained.
        t1 = await self.conversation("t1", "web", "tianfu", 1, 30, [
            (0, "customer", "电费怎么交", None), (2, "bot", "电费可以……", answer("electricity.payment"))])
        self.rate(t1[1], "web", "tianfu", True)
        # T2 wechat, 2 days ago: answered (rated 有用), then a human asked for at once: handoff 10 s later, claimed
        # after 30 s, first agent words 120 s after the handoff, rated 3. Not contained; unanswered (handoff after
        # an answer).
        t2 = await self.conversation("t2", "wechat", "tianfu", 2, 30, [
            (0, "customer", "暖气营业厅在哪", None), (2, "bot", "供热营业厅……", answer("heat.hall.hours")),
            (40, "customer", "转人工", None), (42, "bot", "正在为您转接人工客服", None),
            (80, "system", "人工客服已接入", None), (170, "agent", "您好，请讲", None)])
        self.rate(t2[1], "wechat", "tianfu", True)
        self.handoff("wechat:analytics-t2", "wechat", "request_human", at(2, 50, 30), claimed=30, closed=400, score=3)
        # T3 voice, 4 days ago: not understood, twice the same words. Not contained (a repeat); two unanswered.
        await self.conversation("t3", "voice", "tianfu", 4, 30, [
            (0, "customer", "停电了什么时候来电", None),
            (2, "bot", "抱歉，我没听明白", unanswered(UnansweredReason.FALLBACK)),
            (20, "customer", "停电了 什么时候来电", None),
            (22, "bot", "抱歉，我还是没听明白", unanswered(UnansweredReason.FALLBACK))])
        # T4 web, 5 days ago: not understood twice (different words), then a handoff; claimed, closed without an
        # agent message, rated 4. Not contained; two unanswered; no first response.
        await self.conversation("t4", "web", "tianfu", 5, 30, [
            (0, "customer", "我那个事怎么样了", None),
            (2, "bot", "抱歉，我没听明白", unanswered(UnansweredReason.FALLBACK)),
            (20, "customer", "就是那个事啊", None),
            (22, "bot", "抱歉，我还是没听明白", unanswered(UnansweredReason.FALLBACK)),
            (24, "bot", "正在为您转接人工客服", None)])
        self.handoff("web:analytics-t4", "web", "repeated_fallback", at(5, 24, 30), claimed=20, closed=200, score=4)
        # T5 wechat, 6 days ago: a menu nobody picked, then not understood. Contained; two unanswered.
        await self.conversation("t5", "wechat", "tianfu", 6, 30, [
            (0, "customer", "电表箱的门坏了", None),
            (2, "bot", "您想问哪一个？", menu("electricity.facility_protection", "electricity.repair.arrival")),
            (20, "customer", "都不是", None), (22, "bot", "抱歉，我没听明白", unanswered(UnansweredReason.FALLBACK))])

    async def tickets(self) -> None:
        at = self.at
        # kunlun: a repair closed on time, a complaint closed late, an emergency repair open past its due time,
        # an installation waiting for its conditions (no due time), and a complaint of 10 days ago still open
        # past due (outside the window: counted only as open past due, which is the state now).
        self.ticket("BX00000001-0001", "repair", "kunlun", "wechat", at(2, 60),
                    [("已受理", at(2, 60)), ("已派单", at(2, 600)), ("已办结", at(2, 3600))], due=at(1, 60))
        self.ticket("TS00000001-0001", "complaint", "kunlun", "web", at(5, 60),
                    [("已受理", at(5, 60)), ("处理中", at(4, 0)), ("已关闭", at(2, 0))], due=at(3, 60))
        self.ticket("BX00000001-0002", "repair", "kunlun", "wechat", at(6, 10),
                    [("已受理", at(6, 10)), ("处理中", at(6, 600))], due=at(6, 10 + 7200))
        self.ticket("BZ00000001-0001", "installation", "kunlun", "web", at(4, 60), [("已受理", at(4, 60))])
        self.ticket("TS00000001-0002", "complaint", "kunlun", "web", at(10, 0), [("已受理", at(10, 0))], due=at(8, 0))
        # tianfu: a complaint closed on time (已办结, reopened, 已办结 again before the due time, then 已关闭), a repair
        # without a published time, a callback.
        self.ticket("TS00000001-0003", "complaint", "tianfu", "web", at(6, 120),
                    [("已受理", at(6, 120)), ("已办结", at(5, 0)), ("处理中", at(4, 0)), ("已办结", at(3, 0)),
                     ("已关闭", at(1, 0))], due=at(6, 120) + timedelta(days=5))
        self.ticket("BX00000001-0003", "repair", "tianfu", "voice", at(5, 60),
                    [("已受理", at(5, 60)), ("已派单", at(5, 600))])
        self.ticket("HD00000001-0001", "callback", "tianfu", "voice", at(2, 90), [("已受理", at(2, 90))])
