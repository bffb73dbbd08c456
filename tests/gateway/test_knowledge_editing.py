"""Operators keep the knowledge base right (issue 19), the gateway's part, fast: drafts that never reach
customers, publishing with the knowledge base's rules and roles, versions, diff, rollback, export, the action
server's verdict, the unanswered inbox, and a published example question reaching the bot as its entry.

Each test gets a database of its own: publishing changes what every customer is answered from."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from core.turns import TurnKind, UnansweredReason, annotation
from gateway import knowledge_store
from gateway.chat import with_annotations
from gateway.clock import now
from gateway.manage import create_agent
from gateway.migrate import upgrade
from gateway.models import Conversation, Message
from tests.gateway.databases import fresh_database
from tests.gateway.fast_app import PASSWORD, SERVICE_TOKEN, logged_in, open_client, run

pytestmark = pytest.mark.fast

ENTRY = "gas.hall.payment"              # 昆仑燃气 payment at its halls and online: a kunlun entry
TIANFU_ENTRY = "heat.price"
QUESTION = "用手机上的云闪付能不能交天然气的钱"


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    with fresh_database(tmp_path, "knowledge_test") as url:
        upgrade(url)
        asyncio.run(_agents(url))
        yield url


async def _agents(url: str) -> None:
    for username, role, company in (("k-agent", "agent", None), ("k-boss", "supervisor", None),
                                    ("k-reviewer", "reviewer", None), ("k-tianfu-boss", "supervisor", "tianfu"),
                                    ("k-kunlun-boss", "supervisor", "kunlun")):
        await create_agent(username, PASSWORD, role, url, company=company)


@pytest.fixture
def gateway(database: str, redis_url: str) -> Iterator[Callable[..., TestClient]]:
    """gateway() -> a client of the gateway on this test's database (the preview's action server unreachable)."""
    opened: list[TestClient] = []

    def build() -> TestClient:
        opened.append(open_client(database, redis_url, action_server_url="http://127.0.0.1:9"))
        return opened[-1]

    yield build
    for client in opened:
        client.__exit__(None, None, None)


SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def _entry(client: TestClient, entry_id: str) -> dict[str, Any]:
    response = client.get(f"/agent/api/knowledge/entries/{entry_id}")
    assert response.status_code == 200, response.text
    return response.json()


def _accept(client: TestClient, version: int) -> None:
    """The action server's verdict, as bot/actions/knowledge_sync.py sends it."""
    response = client.post(f"/internal/knowledge/versions/{version}/check", json={"accepted": True}, headers=SERVICE)
    assert response.json()["status"] == "accepted"


def test_agents_cannot_edit_or_publish(gateway) -> None:
    agent = logged_in(gateway(), "k-agent")
    assert agent.get("/agent/api/knowledge/entries").status_code == 403
    assert agent.post(f"/agent/api/knowledge/entries/{ENTRY}/examples", json={"text": QUESTION}).status_code == 403
    assert agent.post("/agent/api/knowledge/publish").status_code == 403
    assert agent.post("/agent/api/knowledge/rollback", json={"version": 1}).status_code == 403
    assert agent.get("/agent/api/unanswered").status_code == 403


def test_a_draft_reaches_customers_only_once_published_and_rollback_removes_it(gateway) -> None:
    boss = logged_in(gateway(), "k-boss")
    entries = boss.get("/agent/api/knowledge/entries").json()
    assert {"id", "title", "utility", "company", "answer"} <= set(entries[0])
    assert ENTRY in {e["id"] for e in entries}

    draft = boss.post(f"/agent/api/knowledge/entries/{ENTRY}/examples", json={"text": QUESTION})
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    assert QUESTION not in _entry(boss, ENTRY)["examples"], "a draft is not in the live knowledge base"
    live = boss.get("/internal/knowledge/live", headers=SERVICE).json()
    assert live["version"] == 1

    published = boss.post("/agent/api/knowledge/publish")
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 2, "the seed is version 1, so the first publish is 2"
    assert QUESTION in _entry(boss, ENTRY)["examples"]
    assert boss.post("/agent/api/knowledge/publish").status_code == 422, "nothing left to publish"

    diff = boss.get("/agent/api/knowledge/versions/2/diff").json()
    assert diff["changes"] == [{"entry": ENTRY, "change": "changed", "title": _entry(boss, ENTRY)["title"],
                                "fields": {"examples": {"added": [QUESTION], "removed": []}}}]
    versions = boss.get("/agent/api/knowledge/versions").json()
    assert [(v["version"], v["status"], v["published_by"]) for v in versions] == [
        (2, "pending", "k-boss"), (1, "accepted", "repository")]
    assert QUESTION not in boss.get("/agent/api/knowledge/export").text, "exported: what customers are served"
    assert QUESTION in boss.get("/agent/api/knowledge/export?version=2").text

    rolled = boss.post("/agent/api/knowledge/rollback", json={"version": 1}).json()
    assert rolled == {"version": 3, "restored": 1, "status": "pending"}
    assert QUESTION not in _entry(boss, ENTRY)["examples"]
    assert boss.get("/agent/api/knowledge/versions/3/diff").json()["changes"][0]["fields"]["examples"] == {
        "added": [], "removed": [QUESTION]}


def test_publishing_applies_the_knowledge_base_rules_and_says_why(gateway) -> None:
    boss = logged_in(gateway(), "k-boss")
    research = boss.get("/agent/api/knowledge/sources").json()
    assert research and all(s["id"] for s in research)
    new = {"id": "gas.test.quarantined", "utility": "gas", "intent": "ask_payment", "title": "测试条目",
           "answer": "昆仑燃气缴费，需要先办理一个以960873开头的银行卡。", "examples": ["一", "二二", "三三三"],
           "source": "kunlun_gas_handbook", "clause": "第15条"}
    assert boss.post("/agent/api/knowledge/entries", json=new).status_code == 201
    refused = boss.post("/agent/api/knowledge/publish")
    assert refused.status_code == 422 and "隔离" in refused.json()["detail"]
    assert boss.get("/internal/knowledge/live", headers=SERVICE).json()["version"] == 1, "nothing was published"

    no_clause = {**new, "id": "gas.test.noclause", "answer": "请通过官方渠道缴费。", "clause": ""}
    assert boss.post("/agent/api/knowledge/entries", json=no_clause).status_code == 422
    unknown_source = {**new, "id": "gas.test.unknown", "answer": "请通过官方渠道缴费。", "source": "no_such_doc"}
    assert boss.post("/agent/api/knowledge/entries", json=unknown_source).status_code == 422
    assert boss.post("/agent/api/knowledge/entries", json={**new, "id": ENTRY}).status_code == 409


def test_the_action_servers_refusal_is_shown_and_the_last_good_version_stays_live(gateway) -> None:
    boss = logged_in(gateway(), "k-boss")
    boss.post(f"/agent/api/knowledge/entries/{ENTRY}/examples", json={"text": QUESTION})
    assert boss.post("/agent/api/knowledge/publish").json()["version"] == 2
    assert boss.post("/internal/knowledge/versions/2/check", json={"accepted": False}).status_code == 401
    verdict = boss.post("/internal/knowledge/versions/2/check", headers=SERVICE,
                        json={"accepted": False, "detail": "gas.hall.payment：答案中的数字（5 days）在来源文件里找不到"})
    assert verdict.json()["status"] == "refused"
    assert boss.get("/internal/knowledge/live", headers=SERVICE).json() == {"version": 1, "status": "accepted"}
    refused = boss.get("/agent/api/knowledge/versions").json()[0]
    assert refused["status"] == "refused" and "找不到" in refused["detail"] and not refused["serving"]
    again = boss.post("/internal/knowledge/versions/2/check", headers=SERVICE, json={"accepted": True})
    assert again.json()["status"] == "refused", "the first verdict stands"
    assert boss.post("/agent/api/knowledge/rollback", json={"version": 2}).status_code == 422


def test_company_editors_change_only_their_companys_entries_and_reviewers_publish_others_drafts(gateway) -> None:
    tianfu = logged_in(gateway(), "k-tianfu-boss")
    listed = {e["company"] for e in tianfu.get("/agent/api/knowledge/entries").json()}
    assert listed <= {"tianfu", "none"}
    assert tianfu.post(f"/agent/api/knowledge/entries/{ENTRY}/examples", json={"text": QUESTION}).status_code == 404
    own = tianfu.post(f"/agent/api/knowledge/entries/{TIANFU_ENTRY}/examples", json={"text": "暖气费按面积怎么算的"})
    assert own.status_code == 201
    assert tianfu.post("/agent/api/knowledge/rollback", json={"version": 1}).status_code == 403

    kunlun = logged_in(gateway(), "k-kunlun-boss")
    kunlun_draft = kunlun.post(f"/agent/api/knowledge/entries/{ENTRY}/examples", json={"text": QUESTION}).json()
    # a supervisor publishes their own drafts only
    assert kunlun.post("/agent/api/knowledge/publish", json={"drafts": [own.json()["id"]]}).status_code == 404
    reviewer = logged_in(gateway(), "k-reviewer")
    assert {d["id"] for d in reviewer.get("/agent/api/knowledge/drafts").json()} == {own.json()["id"],
                                                                                      kunlun_draft["id"]}
    published = reviewer.post("/agent/api/knowledge/publish", json={"drafts": [kunlun_draft["id"]]})
    assert published.json()["version"] == 2
    assert QUESTION in _entry(reviewer, ENTRY)["examples"]
    assert "暖气费按面积怎么算的" not in _entry(reviewer, TIANFU_ENTRY)["examples"], "only the drafts named"


def test_a_published_example_question_reaches_the_bot_as_its_entry_once_the_action_server_accepted_it(
        gateway) -> None:
    client = gateway()
    boss = logged_in(gateway(), "k-boss")
    token = client.post("/api/widget/session").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def sent_for(text: str) -> str:
        client.post("/api/widget/messages", headers=headers, json={"text": text})
        return client.app.state.rasa.sent[-1][1]

    boss.post(f"/agent/api/knowledge/entries/{ENTRY}/examples", json={"text": QUESTION})
    assert sent_for(QUESTION) == QUESTION, "a draft changes nothing"
    version = boss.post("/agent/api/knowledge/publish").json()["version"]
    knowledge_store._cache.clear()
    assert sent_for(QUESTION) == QUESTION, "not before the action server accepted the version"
    _accept(boss, version)
    knowledge_store._cache.clear()
    intent = _entry(boss, ENTRY)["intent"]
    assert sent_for(QUESTION) == f'/{intent}{{"kb_entry": "{ENTRY}"}}'
    assert sent_for(" 用手机上的云闪付，能不能交天然气的钱？ ") == f'/{intent}{{"kb_entry": "{ENTRY}"}}'
    assert sent_for("用手机上的云闪付能不能交电费") == "用手机上的云闪付能不能交电费"
    history = client.get("/api/widget/messages", headers=headers).json()["messages"]
    assert QUESTION in [m["text"] for m in history], "the transcript keeps the customer's words"


def test_a_danger_is_never_rerouted_to_an_answer(gateway) -> None:
    client = gateway()
    boss = logged_in(gateway(), "k-boss")
    danger = "厨房有燃气味怎么交燃气费"
    boss.post(f"/agent/api/knowledge/entries/{ENTRY}/examples", json={"text": danger})
    _accept(boss, boss.post("/agent/api/knowledge/publish").json()["version"])
    knowledge_store._cache.clear()
    token = client.post("/api/widget/session").json()["token"]
    client.post("/api/widget/messages", headers={"Authorization": f"Bearer {token}"}, json={"text": danger})
    assert client.app.state.rasa.sent[-1][1] == danger


def test_the_bots_turn_notes_are_kept_with_the_reply_and_never_shown_as_text() -> None:
    raw = [{"recipient_id": "x", "text": "答案", "buttons": [{"title": "登记报修", "payload": "/report_fault"}]},
           {"recipient_id": "x", "custom": annotation(TurnKind.ANSWER, entries=["gas.repair.time"])},
           {"recipient_id": "x", "text": "您已有的工单：…"}]
    replies = with_annotations(raw)
    assert [r["text"] for r in replies] == ["答案", "您已有的工单：…"]
    assert replies[0]["meta"] == {"kind": "answer", "entries": ["gas.repair.time"]}
    assert "meta" not in replies[1] and all("custom" not in r for r in replies)


def _conversation(session, conversation_id: str, company: str | None, turns: list[tuple[str, str, dict | None]],
                  start) -> None:
    session.add(Conversation(id=conversation_id, channel=conversation_id.split(":")[0], customer_key=conversation_id,
                             state="bot", company=company, created_at=start))
    for i, (role, text, meta) in enumerate(turns):
        session.add(Message(conversation_id=conversation_id, role=role, text=text, meta=meta,
                            at=start + timedelta(seconds=i)))


def test_the_inbox_groups_similar_unanswered_questions_masked_and_scoped_and_dismissed(gateway, database) -> None:
    no_entry = annotation(TurnKind.UNANSWERED, reason=UnansweredReason.NO_ENTRY)["turn"]
    menu = annotation(TurnKind.MENU, entries=["a.b", "c.d"])["turn"]

    async def seed(session) -> None:
        start = now() - timedelta(hours=2)
        _conversation(session, "web:inbox-1", "kunlun", [
            ("customer", "燃气表装在阳台外面可以挪吗 我电话13812345678", None), ("bot", "抱歉……", no_entry)], start)
        _conversation(session, "wechat:inbox-2", "kunlun", [
            ("customer", "燃气表装在阳台外面可以挪吗？", None), ("bot", "抱歉……", no_entry)], start + timedelta(minutes=5))
        _conversation(session, "web:inbox-3", "tianfu", [
            ("customer", "暖气片能不能自己换位置", None), ("bot", "您想了解的是下面哪一项？", menu),
            ("customer", "算了", None)], start + timedelta(minutes=9))
        _conversation(session, "web:inbox-4", "kunlun", [
            ("customer", "燃气费怎么交", None), ("bot", "您想了解的是下面哪一项？", menu),
            ("customer", '/inform{"kb_entry": "a.b"}', None)], start)
        await session.commit()

    run(database, seed)
    boss = logged_in(gateway(), "k-boss")
    groups = boss.get("/agent/api/unanswered").json()
    assert [(g["count"], g["reasons"]) for g in groups] == [(1, {"menu_unpicked": 1}), (2, {"no_entry": 2})]
    moved = groups[1]
    assert "13812345678" not in str(moved) and "138****5678" in str(moved["wordings"])
    assert set(moved["channels"]) == {"web", "wechat"}

    tianfu = logged_in(gateway(), "k-tianfu-boss")
    assert [g["question"] for g in tianfu.get("/agent/api/unanswered").json()] == ["暖气片能不能自己换位置"]
    assert boss.post("/agent/api/unanswered/dismiss", json={"keys": ["x" * 100]}).status_code == 422
    assert boss.post("/agent/api/unanswered/dismiss", json={"keys": moved["keys"]}).status_code == 204
    assert [g["count"] for g in boss.get("/agent/api/unanswered").json()] == [1]
