"""The gateway's small parts on their own, fast: numbered option memory, the channel step, widget tokens, the
WeChat renderer and the ticket status rules."""
from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from core.ids import TicketStatus as S
from gateway.channels import options
from gateway.channels.wechat_render import MAX_REPLY_BYTES, as_text, chunks
from gateway.security import WidgetTokens
from gateway.tickets import FINAL, TRANSITIONS


def test_a_number_picks_the_option_last_offered_and_anything_else_passes(redis_url) -> None:
    async def go() -> list[str]:
        redis, conversation = Redis.from_url(redis_url), f"wechat:o_{uuid.uuid4().hex[:8]}"
        try:
            before = await options.resolve(redis, conversation, "1")
            await options.remember(redis, conversation, [{"title": "登记报修", "payload": "/report_fault"},
                                                         {"title": "转人工", "payload": "/request_human"}])
            return [before, await options.resolve(redis, conversation, " 2 "),
                    await options.resolve(redis, conversation, "3"), await options.resolve(redis, conversation, "燃气费")]
        finally:
            await redis.aclose()
    assert asyncio.run(go()) == ["1", "/request_human", "3", "燃气费"]


def test_the_channel_step_resolves_hands_over_and_remembers(redis_url, migrated_database) -> None:
    from gateway.channels.step import ChannelContext, converse
    from gateway.chat import Inbound
    from gateway.config import Settings
    from gateway.db import make_engine, make_sessionmaker

    class Rasa:
        sent: list[str] = []

        async def send(self, conversation_id: str, text: str, metadata: dict | None = None) -> list[dict[str, Any]]:
            self.sent.append(text)
            return [{"text": "请选择", "buttons": [{"title": "燃气", "payload": "/inform_gas"}]}]

    async def go() -> list[str]:
        engine, redis = make_engine(migrated_database), Redis.from_url(redis_url)
        ctx = ChannelContext(make_sessionmaker(engine), redis, Rasa(), Settings(redis_url=redis_url))  # type: ignore[arg-type]
        conversation = f"wechat:o_{uuid.uuid4().hex[:8]}"
        try:
            await converse(ctx, Inbound(conversation, "wechat", "我要报修"), numbered_options=True)
            await converse(ctx, Inbound(conversation, "wechat", "1"), numbered_options=True)
            await converse(ctx, Inbound(f"web:{uuid.uuid4().hex}", "web", "1"))      # the widget has real buttons
            return ctx.rasa.sent  # type: ignore[attr-defined]
        finally:
            await redis.aclose()
            await engine.dispose()
    assert asyncio.run(go()) == ["我要报修", "/inform_gas", "1"]


def test_widget_tokens_carry_their_conversation_and_refuse_tampering_and_age() -> None:
    tokens = WidgetTokens("a-test-secret-0123456789abcdef", max_age_days=30)
    token, conversation = tokens.issue()
    assert conversation.startswith("web:") and tokens.conversation_of(token) == conversation
    assert tokens.conversation_of(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert WidgetTokens("another-secret-0123456789abcdef", 30).conversation_of(token) is None
    expired = WidgetTokens("a-test-secret-0123456789abcdef", max_age_days=0)
    time.sleep(1.1)
    assert expired.conversation_of(token) is None


def test_a_remembered_widget_token_still_expires_and_a_tampered_one_is_still_refused(monkeypatch) -> None:
    tokens = WidgetTokens("a-test-secret-0123456789abcdef", max_age_days=1)
    token, conversation = tokens.issue()
    assert tokens.conversation_of(token) == conversation == tokens.conversation_of(token)   # checked, then remembered
    assert tokens.conversation_of(token + "x") is None
    a_day_later = time.time() + 86400 + 5
    monkeypatch.setattr(time, "time", lambda: a_day_later)
    assert tokens.conversation_of(token) is None


def test_wechat_text_numbers_the_options_and_splits_long_answers() -> None:
    text = as_text([{"text": "燃气费可以在营业厅交。"}, {"text": "还需要什么？", "buttons": [
        {"title": "登记报修", "payload": "/report_fault"}, {"title": "转人工", "payload": "/request_human"}]}])
    assert text.endswith("请回复数字：\n1. 登记报修\n2. 转人工") and text.startswith("燃气费可以在营业厅交。")
    long = "\n".join(["燃气安全检查每两年一次。" * 20] * 8)
    pieces = chunks(long)
    assert len(pieces) > 1 and all(len(p.encode()) <= MAX_REPLY_BYTES for p in pieces)
    assert "\n".join(pieces) == long


def test_ticket_status_rules() -> None:
    assert S.READY in TRANSITIONS[S.ACCEPTED] and S.DISPATCHED in TRANSITIONS[S.READY]
    assert S.READY not in TRANSITIONS[S.DISPATCHED], "具备施工条件 comes before dispatch, never after"
    assert S.READY in TRANSITIONS[S.READY], "set again to correct the day"
    for final in (S.CLOSED, S.REFUSED):
        assert TRANSITIONS[final] == set()
    assert FINAL == {S.CLOSED.value, S.REFUSED.value, S.DONE.value}
    assert set(TRANSITIONS) == set(S), "every status has its rules"


def test_the_console_reads_its_labels_from_the_server(make_client) -> None:
    from tests.gateway.fast_app import logged_in

    client = make_client()
    assert client.get("/agent/api/labels").status_code == 401
    labels = logged_in(client, "fast-agent").get("/agent/api/labels").json()
    assert labels["statuses"][:3] == ["已受理", "具备施工条件", "已派单"] and "不予受理" in labels["final_statuses"]
    assert labels["company"]["tianfu"] == "天富热电" and labels["channel"]["wechat"] == "微信"
    script = client.get("/static/agent.js").text
    assert "'已办结'" not in script and "客户要求人工" not in script, "no copy of the labels in the script"


def test_metrics_need_the_service_token_and_count_what_operators_watch(make_client) -> None:
    from tests.gateway.fast_app import SERVICE_TOKEN

    client = make_client()
    token = client.post("/api/widget/session").json()["token"]
    client.post("/api/widget/messages", json={"text": "燃气费在哪交"}, headers={"Authorization": f"Bearer {token}"})
    conversation = f"web:{uuid.uuid4().hex}"
    internal = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    client.post("/internal/handoffs", headers=internal, json={"conversation_id": conversation, "channel": "web",
                                                              "reason": "request_human", "summary": "转人工"})
    assert client.get("/metrics").status_code == 401
    text = client.get("/metrics", headers=internal).text
    web = next(line for line in text.splitlines() if line.startswith('gateway_customer_messages_total{channel="web"}'))
    assert float(web.split()[-1]) >= 1
    queue = next(line for line in text.splitlines() if line.startswith("gateway_handoff_queue_length"))
    assert float(queue.split()[-1]) >= 1
    assert 'gateway_request_seconds_count{route="/api/widget/messages",status_class="2xx"}' in text
    assert "gateway_wechat_outbox_pending" in text and "gateway_handoff_longest_wait_seconds" in text
