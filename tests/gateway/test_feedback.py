"""有用 / 没用 on knowledge answers: the widget's buttons (API and in Chromium), WeChat's words after an answer (never
sent to the assistant), none on the phone; one rating per answer, kept with entry, company, channel and
conversation, and a 没用 in the operators' inbox of unanswered questions."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import xmltodict
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from core.turns import UnansweredReason
from gateway.channels.voice_render import speech
from gateway.channels.wechat_render import FEEDBACK_PROMPT, as_text
from gateway.clock import now
from gateway.feedback import THANKS_UNHELPFUL, rating_in_words
from gateway.models import AnswerFeedback, Conversation
from gateway.unanswered import unanswered_items
from tests.gateway.analytics_seed import running_gateway
from tests.gateway.fast_app import run
from tests.gateway.test_browser import browser  # noqa: F401  (the module's Chromium)
from tests.gateway.test_wechat import openid, signed, text_xml

ENTRY = "gas.hall.payment"
ANSWER_TEXT = "燃气费可以在营业厅、官方APP缴纳。（依据《天然气客户标准化服务指导手册》第5条）"


def bot_replies(conversation_id: str, text: str) -> list[dict[str, Any]]:
    """What Rasa's REST channel answers: a knowledge answer with its turn note for a fee question, a plain reply
    otherwise."""
    if "燃气费" in text:
        return [{"recipient_id": conversation_id, "text": ANSWER_TEXT},
                {"recipient_id": conversation_id, "custom": {"turn": {"kind": "answer", "entries": [ENTRY]}}}]
    return [{"recipient_id": conversation_id, "text": "您好，请问有什么可以帮您？"}]


class AnsweringRasa:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict]:
        self.sent.append(text)
        return bot_replies(conversation_id, text)

    async def close(self) -> None:
        return None


def with_rasa(client) -> AnsweringRasa:
    rasa = AnsweringRasa()
    client.app.state.rasa = rasa
    client.app.state.channel = replace(client.app.state.channel, rasa=rasa)
    return rasa


def widget(client, company: str | None = None) -> tuple[dict[str, str], str]:
    body = client.post("/api/widget/session", json={"company": company} if company else None).json()
    return {"Authorization": f"Bearer {body['token']}"}, body["conversation_id"]


def ratings(database_url: str, conversation_id: str) -> list[AnswerFeedback]:
    async def work(session) -> list[AnswerFeedback]:
        rows = await session.execute(select(AnswerFeedback).where(AnswerFeedback.conversation_id == conversation_id))
        return list(rows.scalars())
    return run(database_url, work)


def test_a_widget_customer_rates_an_answer_and_rating_again_replaces_it(make_client, migrated_database) -> None:
    client = make_client()
    with_rasa(client)
    headers, conversation = widget(client, company="tianfu")
    messages = client.post("/api/widget/messages", json={"text": "燃气费在哪交"}, headers=headers).json()["messages"]
    answer = next(m for m in messages if m.get("answer"))
    assert answer["answer"] == {"entries": [ENTRY]} and answer["text"] == ANSWER_TEXT

    url = f"/api/widget/messages/{answer['id']}/feedback"
    first = client.post(url, json={"helpful": False}, headers=headers)
    assert first.status_code == 200 and first.json()["helpful"] is False and "谢谢" in first.json()["thanks"]
    [stored] = ratings(migrated_database, conversation)
    assert (stored.message_id, stored.entry_id, stored.helpful, stored.company, stored.channel) == \
        (answer["id"], ENTRY, False, "tianfu", "web")

    assert client.post(url, json={"helpful": True}, headers=headers).status_code == 200
    [again] = ratings(migrated_database, conversation)
    assert again.id == stored.id and again.helpful is True


def test_a_widget_session_rates_only_its_own_answers(make_client, migrated_database) -> None:
    client = make_client()
    with_rasa(client)
    alice, alice_conversation = widget(client)
    bob, _ = widget(client)
    answer = next(m for m in client.post("/api/widget/messages", json={"text": "燃气费在哪交"}, headers=alice)
                  .json()["messages"] if m.get("answer"))
    plain = client.post("/api/widget/messages", json={"text": "你好"}, headers=alice).json()["messages"][0]
    assert "answer" not in plain

    others = client.post(f"/api/widget/messages/{answer['id']}/feedback", json={"helpful": False}, headers=bob)
    unknown = client.post(f"/api/widget/messages/{2**31 - 1}/feedback", json={"helpful": False}, headers=alice)
    assert others.status_code == unknown.status_code == 404 and others.json() == unknown.json()
    not_an_answer = client.post(f"/api/widget/messages/{plain['id']}/feedback", json={"helpful": True}, headers=alice)
    assert not_an_answer.status_code == 404 and "不是知识解答" in not_an_answer.json()["detail"]
    assert client.post(f"/api/widget/messages/{answer['id']}/feedback", json={"helpful": "没用"},
                       headers=alice).status_code == 422
    assert client.post(f"/api/widget/messages/{2**40}/feedback", json={"helpful": True}, headers=alice).status_code == 422
    assert client.post(f"/api/widget/messages/{answer['id']}/feedback", json={"helpful": True}).status_code == 401
    assert ratings(migrated_database, alice_conversation) == []


def test_an_answer_rated_useless_reaches_the_inbox_of_unanswered_questions(make_client, migrated_database) -> None:
    client = make_client()
    with_rasa(client)
    headers, conversation = widget(client)
    answer = next(m for m in client.post("/api/widget/messages", json={"text": "燃气费在哪交呀"}, headers=headers)
                  .json()["messages"] if m.get("answer"))
    client.post(f"/api/widget/messages/{answer['id']}/feedback", json={"helpful": False}, headers=headers)

    async def inbox(session) -> list:
        return [item for item in await unanswered_items(session, now() - timedelta(minutes=5))
                if item.conversation_id == conversation]
    [item] = run(migrated_database, inbox)
    assert (item.question, item.reason, item.entry) == ("燃气费在哪交呀", UnansweredReason.RATED_UNHELPFUL.value, ENTRY)


WECHAT = {"wechat_token": "feedback-wechat-token", "wechat_app_id": "wx00000000feedback"}


def wechat_says(client, user: str, text: str) -> str:
    params = signed(token=WECHAT["wechat_token"])
    response = client.post("/wechat", params=params, content=text_xml(user, text).encode())
    assert response.status_code == 200, response.text
    return xmltodict.parse(response.text)["xml"]["Content"]


def test_on_wechat_the_words_after_an_answer_are_its_rating_and_never_reach_the_assistant(
        make_client, migrated_database) -> None:
    client = make_client(**WECHAT)
    rasa = with_rasa(client)
    user = openid()
    conversation = f"wechat:{user}"
    first = wechat_says(client, user, "燃气费在哪交")
    assert first.startswith(ANSWER_TEXT) and first.endswith(FEEDBACK_PROMPT)

    assert wechat_says(client, user, " 没用！") == THANKS_UNHELPFUL
    assert [r.helpful for r in ratings(migrated_database, conversation)] == [False]
    assert "谢谢" in wechat_says(client, user, "“有用”")
    assert [(r.helpful, r.entry_id, r.channel) for r in ratings(migrated_database, conversation)] == \
        [(True, ENTRY, "wechat")]
    assert rasa.sent == ["燃气费在哪交"]

    plain = wechat_says(client, user, "你好")                 # the last reply is no answer now: words are words
    assert FEEDBACK_PROMPT not in plain
    wechat_says(client, user, "有用")
    assert rasa.sent == ["燃气费在哪交", "你好", "有用"]
    assert len(ratings(migrated_database, conversation)) == 1


def test_on_wechat_with_an_agent_the_words_go_to_the_conversation(make_client, migrated_database) -> None:
    client = make_client(**WECHAT)
    rasa = with_rasa(client)
    user = openid()
    wechat_says(client, user, "燃气费在哪交")

    async def with_agent(session) -> None:
        conversation = await session.get(Conversation, f"wechat:{user}")
        conversation.state = "agent"
        await session.commit()
    run(migrated_database, with_agent)
    wechat_says(client, user, "没用")
    assert rasa.sent[-1] == "没用" and ratings(migrated_database, f"wechat:{user}") == []


def test_the_words_are_read_loosely_and_the_phone_asks_nothing() -> None:
    assert [rating_in_words(t) for t in ("有用", " 有用！", "“没用”", "没用。。", "ｙｏｕ", "没用的东西", "1", "")] == \
        [True, True, False, False, None, None, None, None]
    assert FEEDBACK_PROMPT not in as_text([{"text": "您好"}])
    assert as_text([{"text": ANSWER_TEXT, "answer": {"entries": [ENTRY]},
                     "buttons": [{"title": "登记报修", "payload": "/report_fault"}]}]).endswith(
        "1. 登记报修\n\n" + FEEDBACK_PROMPT)
    text, ssml = speech([{"text": ANSWER_TEXT, "answer": {"entries": [ENTRY]}}])
    assert "有用" not in text and "有用" not in ssml


def test_rating_is_idempotent_per_message_under_concurrent_clicks(make_client, migrated_database) -> None:
    client = make_client()
    with_rasa(client)
    headers, conversation = widget(client)
    answer = next(m for m in client.post("/api/widget/messages", json={"text": "燃气费怎么交"}, headers=headers)
                  .json()["messages"] if m.get("answer"))
    results: list[int] = []

    def click(helpful: bool) -> None:
        results.append(client.post(f"/api/widget/messages/{answer['id']}/feedback", json={"helpful": helpful},
                                   headers=headers).status_code)
    threads = [threading.Thread(target=click, args=(i % 2 == 0,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 6 and len(ratings(migrated_database, conversation)) == 1


# -- the widget's buttons in Chromium (last: from here on the browser's event loop runs in this thread) -------------

class RasaServer(ThreadingHTTPServer):
    """Rasa's REST channel on a local port, answering as bot_replies says."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reply = json.dumps(bot_replies(body["sender"], body["message"])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                return None

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def widget_gateway(migrated_database: str, redis_url: str) -> Iterator[str]:
    rasa = RasaServer()
    try:
        with running_gateway(migrated_database, redis_url, rasa.url) as base:
            yield base
    finally:
        rasa.shutdown()


def test_the_widget_shows_the_buttons_under_answers_only_and_thanks_after_a_click(
        browser: Browser, widget_gateway: str, migrated_database: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(widget_gateway + "/")
        page.fill("#input", "你好")
        page.click("#send")
        expect(page.locator(".msg-bot")).to_have_count(1, timeout=15000)
        page.fill("#input", "燃气费在哪交")
        page.click("#send")
        answer = page.locator(".msg-bot", has_text="营业厅")
        expect(answer).to_be_visible(timeout=15000)
        expect(page.locator(".msg-bot").first.locator(".feedback")).to_have_count(0)   # a plain reply: no buttons
        answer.locator(".feedback-btn", has_text="没用").click()
        expect(answer.locator(".feedback-note")).to_have_text("谢谢您的反馈", timeout=10000)
        expect(answer.locator(".feedback-btn")).to_have_count(0)

        message_id = int(answer.get_attribute("data-id") or 0)      # the thanks came after the gateway stored it
        found = [r for r in _all_ratings(migrated_database) if r.message_id == message_id]
        assert [(r.helpful, r.entry_id, r.channel) for r in found] == [(False, ENTRY, "web")]

        page.reload()                                   # rated already: the buttons do not come back
        expect(page.locator(".msg-bot", has_text="营业厅")).to_be_visible(timeout=15000)
        expect(page.locator(".feedback-btn")).to_have_count(0)
    finally:
        context.close()


def _all_ratings(database_url: str) -> list[AnswerFeedback]:
    """Read in a thread of its own: Playwright's event loop runs in this one."""
    async def work(session) -> list[AnswerFeedback]:
        return list((await session.execute(select(AnswerFeedback).order_by(AnswerFeedback.id.desc()).limit(50)))
                    .scalars())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run, database_url, work).result()
