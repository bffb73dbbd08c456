"""Outages behind the gateway: the customer is told plainly, nothing they sent is lost, and a retry neither
asks the bot twice nor stores anything twice. PostgreSQL is reached through a TCP proxy the tests cut, as a
crashed or unreachable database cuts its clients."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from gateway.chat import UNAVAILABLE_NOTICE, BotUnavailable, Inbound, handle
from gateway.db import make_engine, make_sessionmaker
from gateway.models import Message
from gateway.rasa_client import RasaClient
from scripts.stack import ROOT, Stack, free_port
from scripts.tcp_proxy import TcpProxy
from tests.gateway.conftest import (
    SERVICE_TOKEN,
    VOICE_TOKEN,
    WECHAT_AES_KEY,
    WECHAT_APP_ID,
    WECHAT_TOKEN,
    trained_model,
)
from tests.gateway.test_wechat import openid, reply_text, signed, text_xml


@pytest.fixture(scope="module")
def database_proxy(services) -> Iterator[tuple[TcpProxy, str]]:
    """(proxy, the database URL through it)."""
    parsed = urlparse(services.database_url)
    if parsed.scheme != "postgresql":
        pytest.skip("the outage tests cut a PostgreSQL connection")
    with TcpProxy(parsed.hostname, parsed.port or 5432) as proxy:
        yield proxy, services.database_url.replace(parsed.netloc.split("@")[-1], f"127.0.0.1:{proxy.port}")


@pytest.fixture(scope="module")
def proxied_gateway(services, database_proxy) -> Iterator[httpx.Client]:
    """A second gateway process on the same Rasa and Redis whose database connection goes through the proxy."""
    _, url = database_proxy
    stack = Stack(model=trained_model(), redis_url=services.redis_url, rasa_port=urlparse(services.rasa).port,
                  gateway_port=free_port(), log_dir=ROOT / ".run" / "gateway-test-logs",
                  extra_env={"DATABASE_URL": url, "GATEWAY_SERVICE_TOKEN": SERVICE_TOKEN,
                             "SESSION_SECRET": "outage-test-secret-0123456789abcdef",
                             "WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APP_ID": WECHAT_APP_ID,
                             "WECHAT_APP_SECRET": "wechat-test-secret", "WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
                             "WECHAT_API_BASE_URL": services.wechat.base_url, "VOICE_TOKEN": VOICE_TOKEN})
    stack.start_gateway()
    try:
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as http:
            yield http
    finally:
        stack.stop()


def test_a_database_outage_is_a_clear_503_and_the_retry_is_answered_once(proxied_gateway, database_proxy) -> None:
    proxy, _ = database_proxy
    token = proxied_gateway.post("/api/widget/session").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    message = {"text": "燃气费在哪交", "client_id": "m-1"}
    proxy.cut()
    try:
        refused = proxied_gateway.post("/api/widget/messages", json=message, headers=headers)
    finally:
        proxy.restore()
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
    assert refused.json()["detail"] == "系统繁忙，请稍后再试。"
    answered = proxied_gateway.post("/api/widget/messages", json=message, headers=headers)
    assert answered.status_code == 200 and "营业厅" in answered.json()["messages"][0]["text"]
    again = proxied_gateway.post("/api/widget/messages", json=message, headers=headers)
    assert again.json() == answered.json(), "the same client id is the same turn"
    history = proxied_gateway.get("/api/widget/messages", headers=headers).json()["messages"]
    assert [m["role"] for m in history] == ["customer"] + ["bot"] * len(answered.json()["messages"])


def test_a_wechat_message_refused_during_an_outage_is_answered_when_wechat_sends_it_again(
        services, proxied_gateway, database_proxy) -> None:
    """WeChat sends a message again (same MsgId) when it gets no answer; that copy must not be dropped as a
    duplicate of the one the outage refused."""
    proxy, _ = database_proxy
    user = openid()
    xml = text_xml(user, "燃气费在哪交", msg_id=uuid.uuid4().int % 10**18).encode()
    proxy.cut()
    try:
        refused = proxied_gateway.post("/wechat", params=signed(), content=xml)
    finally:
        proxy.restore()
    assert refused.status_code == 503
    answered = proxied_gateway.post("/wechat", params=signed(), content=xml)
    assert "营业厅" in reply_text(answered)
    duplicate = proxied_gateway.post("/wechat", params=signed(), content=xml)
    assert duplicate.status_code == 200 and duplicate.text == "success"
    stored = asyncio.run(_messages(services.database_url, f"wechat:{user}"))
    assert [role for role, _ in stored].count("customer") == 1, stored
    assert stored[0] == ("customer", "燃气费在哪交") and all(role == "bot" for role, _ in stored[1:]) and stored[1:]


def test_a_voice_turn_refused_during_an_outage_is_answered_when_the_platform_sends_it_again(
        proxied_gateway, database_proxy) -> None:
    proxy, _ = database_proxy
    headers = {"Authorization": f"Bearer {VOICE_TOKEN}"}
    call_id = f"call-{uuid.uuid4().hex[:12]}"
    started = proxied_gateway.post("/voice/v1/calls", headers=headers,
                                   json={"call_id": call_id, "caller": "13900001111", "called": "95000"})
    assert started.status_code == 201
    turn = {"turn_id": "t1", "type": "speech", "text": "燃气费在哪交", "confidence": 0.93}
    proxy.cut()
    try:
        refused = proxied_gateway.post(f"/voice/v1/calls/{call_id}/turns", headers=headers, json=turn)
    finally:
        proxy.restore()
    assert refused.status_code == 503
    answered = proxied_gateway.post(f"/voice/v1/calls/{call_id}/turns", headers=headers, json=turn)
    assert answered.status_code == 200 and "营业厅" in answered.json()["say"]["text"]
    again = proxied_gateway.post(f"/voice/v1/calls/{call_id}/turns", headers=headers, json=turn)
    assert again.json() == answered.json(), "the same turn id is the same reply"


class CountingRasa(RasaClient):
    """The real Rasa; counts the turns it was asked for and can run something right after it answered."""

    def __init__(self, url: str, after_answer=None) -> None:
        super().__init__(url, 30)
        self.calls = 0
        self.after_answer = after_answer

    async def send(self, conversation_id, text, metadata=None):
        replies = await super().send(conversation_id, text, metadata)
        self.calls += 1
        if self.after_answer:
            self.after_answer()
        return replies


async def _messages(url: str, conversation_id: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(select(Message).where(Message.conversation_id == conversation_id)
                                     .order_by(Message.id))
        messages = [(m.role, m.text) for m in rows.scalars()]
    await engine.dispose()
    return messages


async def test_replies_the_database_missed_are_stored_on_the_retry_without_asking_the_bot_again(
        services, database_proxy) -> None:
    proxy, url = database_proxy
    conversation = f"web:outage-{uuid.uuid4().hex[:8]}"
    rasa = CountingRasa(services.rasa, after_answer=proxy.cut)   # the database goes away as the bot answers
    redis = Redis.from_url(services.redis_url)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    try:
        with pytest.raises(DBAPIError):
            async with maker() as session:
                await handle(session, redis, rasa, Inbound(conversation, "web", "燃气费在哪交", client_id="m-1"))
        proxy.restore()
        rasa.after_answer = None
        async with maker() as session:
            turn = await handle(session, redis, rasa, Inbound(conversation, "web", "燃气费在哪交", client_id="m-1"))
    finally:
        proxy.restore()
        await rasa.close()
        await redis.aclose()
        await engine.dispose()
    assert rasa.calls == 1, "the bot was not asked a second time"
    assert "营业厅" in turn.messages[0]["text"]
    stored = await _messages(services.database_url, conversation)
    assert stored == [("customer", "燃气费在哪交")] + [("bot", m["text"]) for m in turn.messages]


class SilentRasa(RasaClient):
    """Rasa's REST channel answers 200 with no messages when its tracker store or the action server fails."""

    async def send(self, conversation_id, text, metadata=None):
        return []


async def test_silence_from_rasa_is_an_outage_the_customer_is_told_about(services) -> None:
    conversation = f"web:silent-{uuid.uuid4().hex[:8]}"
    rasa = SilentRasa(services.rasa, 5)
    redis = Redis.from_url(services.redis_url)
    engine = make_engine(services.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(BotUnavailable):
                await handle(session, redis, rasa, Inbound(conversation, "web", "燃气费在哪交", client_id="m-1"))
            assert await redis.get(f"ua:dedupe:{conversation}:m-1") is None, "a retry runs the turn again"
    finally:
        await rasa.close()
        await redis.aclose()
        await engine.dispose()
    assert await _messages(services.database_url, conversation) == [
        ("customer", "燃气费在哪交"), ("system", UNAVAILABLE_NOTICE)]
