"""The analytics figures against a hand count of the seeded week (tests/gateway/analytics_seed.py: conversations
K1–K8 of 昆仑燃气 and T1–T5 of 天富热电 on web, WeChat and the phone, their handoffs, ratings and tickets), through
GET /agent/api/stats as supervisors of one company and of all see them, and the CSV tables."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from gateway.analytics import normalise, window
from gateway.api.stats import as_csv
from gateway.clock import CHINA
from gateway.config import Settings
from gateway.main import create_app
from tests.gateway.analytics_seed import PASSWORD, prepare
from tests.gateway.databases import fresh_database

KEYS = {"conversations", "contained_rate", "handoff_rate", "handoff_reasons", "unanswered_rate", "top_entries",
        "top_unanswered", "csat", "answer_helpful_rate", "tickets", "sla_on_time_rate", "median_first_response_s"}

# -- the hand count, conversation by conversation (see the seed for what each one is) ---------------------------
# kunlun: K1 K2 K3 K4 K5 K7 K8 counted (K6 was started by an agent); contained K1 K5 K7; handoffs K4 (request_human)
# and K8 (emergency); questions 1+1+2+1+1+2+1 = 9 (K7's menu pick is a tapped button); unanswered K2 (rated 没用),
# K5 (no entry), K7 (first answer rated 没用) = 3; ratings 有用 K1, K7 (last) / 没用 K2, K7 (first); CSAT only K4's 5
# (K8's 1 rates a handoff nobody claimed); first response K4 90 s.
KUNLUN = {"conversations": 7, "contained": 3, "contained_rate": round(3 / 7, 4), "handoffs": 2,
          "handoff_rate": round(2 / 7, 4), "handoff_reasons": {"request_human": 1, "emergency": 1}, "questions": 9,
          "unanswered": 3, "unanswered_rate": round(3 / 9, 4), "answer_ratings": {"helpful": 2, "unhelpful": 2},
          "answer_helpful_rate": 0.5, "csat": {"mean": 5.0, "count": 1,
                                               "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}},
          "median_first_response_s": 90.0, "first_responses": 1, "sla_on_time_rate": 0.5}
KUNLUN_TICKETS = {"total": 4, "by_kind": {"repair": 2, "complaint": 1, "installation": 1},
                  "by_status": {"已办结": 1, "已关闭": 1, "处理中": 1, "已受理": 1}, "closed": 2, "closed_with_due": 2,
                  "closed_on_time": 1, "closed_overdue": 1, "open_past_due": 2}
KUNLUN_ENTRIES = [("gas.hall.payment", 4, 1, 1), ("gas.hall.hours", 1, 1, 0), ("gas.repair.indoor", 1, 0, 1)]
KUNLUN_UNANSWERED = {("燃气表不走字怎么办", 1), ("燃气灶打不着火是什么原因", 1), ("燃气费在哪交", 1)}

# tianfu: T1–T5 counted; contained T1 T5; handoffs T2 (request_human) and T4 (repeated_fallback); questions
# 1+2+2+2+2 = 9; unanswered T2 (a human right after an answer), T3 ×2, T4 ×2, T5 (menu unpicked, then not
# understood) = 7; ratings 有用 T1, T2; CSAT T2's 3 and T4's 4; first response T2 120 s (T4's agent never wrote).
TIANFU = {"conversations": 5, "contained": 2, "contained_rate": 0.4, "handoffs": 2, "handoff_rate": 0.4,
          "handoff_reasons": {"request_human": 1, "repeated_fallback": 1}, "questions": 9, "unanswered": 7,
          "unanswered_rate": round(7 / 9, 4), "answer_ratings": {"helpful": 2, "unhelpful": 0},
          "answer_helpful_rate": 1.0, "csat": {"mean": 3.5, "count": 2,
                                               "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 0}},
          "median_first_response_s": 120.0, "first_responses": 1, "sla_on_time_rate": 1.0}
TIANFU_TICKETS = {"total": 3, "by_kind": {"complaint": 1, "repair": 1, "callback": 1},
                  "by_status": {"已关闭": 1, "已派单": 1, "已受理": 1}, "closed": 1, "closed_with_due": 1,
                  "closed_on_time": 1, "closed_overdue": 0, "open_past_due": 0}
TIANFU_UNANSWERED = {("停电了 什么时候来电", 2), ("暖气营业厅在哪", 1), ("我那个事怎么样了", 1), ("就是那个事啊", 1),
                     ("电表箱的门坏了", 1), ("都不是", 1)}

# both companies together
ALL = {"conversations": 12, "contained": 5, "contained_rate": round(5 / 12, 4), "handoffs": 4,
       "handoff_rate": round(4 / 12, 4), "handoff_reasons": {"request_human": 2, "emergency": 1, "repeated_fallback": 1},
       "questions": 18, "unanswered": 10, "unanswered_rate": round(10 / 18, 4),
       "answer_ratings": {"helpful": 4, "unhelpful": 2}, "answer_helpful_rate": round(4 / 6, 4),
       "csat": {"mean": 4.0, "count": 3, "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}},
       "median_first_response_s": 105.0, "first_responses": 2, "sla_on_time_rate": round(2 / 3, 4)}


@pytest.fixture(scope="module")
def analytics_database(tmp_path_factory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("analytics"), "gateway_analytics") as url:
        prepare(url)
        yield url


@pytest.fixture(scope="module")
def as_user(analytics_database: str, redis_url: str) -> Iterator[Callable[[str | None], TestClient]]:
    """as_user(username) -> a client logged in as that agent (None: not logged in), on the seeded database."""
    opened: dict[str | None, TestClient] = {}

    def build(username: str | None) -> TestClient:
        if username not in opened:
            settings = Settings(database_url=analytics_database, redis_url=redis_url, rasa_url="http://127.0.0.1:9",
                                session_secret="analytics-session-secret-0123456789abcdef",
                                login_failures_per_address=1_000_000)
            client = TestClient(create_app(settings))
            client.__enter__()
            if username:
                response = client.post("/agent/api/login", json={"username": username, "password": PASSWORD})
                assert response.status_code == 200, response.text
            opened[username] = client
        return opened[username]

    yield build
    for client in opened.values():
        client.__exit__(None, None, None)


def stats(client: TestClient, **params) -> dict:
    response = client.get("/agent/api/stats", params={"days": 7, **params})
    assert response.status_code == 200, response.text
    return response.json()


def figures(body: dict, expected: dict) -> dict:
    return {key: body[key] for key in expected}


def test_a_company_supervisor_sees_the_hand_count_of_their_company(as_user) -> None:
    body = stats(as_user("an-kunlun-boss"))
    assert KEYS <= set(body)
    assert figures(body, KUNLUN) == KUNLUN
    assert body["tickets"] == KUNLUN_TICKETS
    assert [(e["entry"], e["answers"], e["helpful"], e["unhelpful"]) for e in body["top_entries"]] == KUNLUN_ENTRIES
    assert body["top_entries"][0]["title"] == "燃气费在哪交、怎么缴费充值、官方缴费渠道"   # the entry's own title
    assert {(u["question"], u["count"]) for u in body["top_unanswered"]} == KUNLUN_UNANSWERED
    assert body["filters"]["company"] == "kunlun" and body["filters"]["company_fixed"] is True

    tianfu = stats(as_user("an-tianfu-boss"))
    assert figures(tianfu, TIANFU) == TIANFU
    assert tianfu["tickets"] == TIANFU_TICKETS
    assert {(u["question"], u["count"]) for u in tianfu["top_unanswered"]} == TIANFU_UNANSWERED
    assert tianfu["top_unanswered"][0] == {"question": "停电了 什么时候来电", "count": 2, "reasons": {"fallback": 2},
                                           "last_at": tianfu["top_unanswered"][0]["last_at"]}
    assert {e["entry"] for e in tianfu["top_entries"]} == {"electricity.payment", "heat.hall.hours"}


def test_nothing_of_another_company_reaches_a_company_supervisor(as_user) -> None:
    kunlun = as_user("an-kunlun-boss")
    assert kunlun.get("/agent/api/stats", params={"company": "tianfu"}).status_code == 403
    assert kunlun.get("/agent/api/stats/top_unanswered.csv", params={"company": "tianfu"}).status_code == 403
    assert figures(stats(kunlun, company="kunlun"), KUNLUN) == KUNLUN
    text = kunlun.get("/agent/api/stats/top_unanswered.csv").text + kunlun.get("/agent/api/stats/top_entries.csv").text
    assert "燃气表不走字怎么办" in text and "停电了" not in text and "electricity.payment" not in text


def test_a_platform_supervisor_sees_everything_and_can_pick_a_company(as_user) -> None:
    platform = as_user("an-platform")
    body = stats(platform)
    assert figures(body, ALL) == ALL
    assert body["tickets"]["total"] == 7 and body["tickets"]["by_kind"] == {"repair": 3, "complaint": 2,
                                                                             "installation": 1, "callback": 1}
    assert body["tickets"]["open_past_due"] == 2 and body["tickets"]["closed_overdue"] == 1
    assert body["filters"]["company_fixed"] is False and body["filters"]["company"] is None
    assert figures(stats(platform, company="tianfu"), TIANFU) == TIANFU
    assert figures(stats(platform, company="kunlun"), KUNLUN) == KUNLUN


def test_the_channel_and_days_filters(as_user) -> None:
    platform = as_user("an-platform")
    # WeChat: K2 K5 K8 T2 T5; contained K5 T5; handoffs K8 T2; questions 1+1+1+2+2; unanswered K2 K5 T2 T5×2;
    # ratings K2 没用, T2 有用; tickets the two kunlun repairs (one closed on time, one open past due).
    wechat = stats(platform, channel="wechat")
    assert figures(wechat, {"conversations": 0, "contained": 0, "handoffs": 0, "questions": 0, "unanswered": 0,
                            "answer_helpful_rate": 0}) == {"conversations": 5, "contained": 2, "handoffs": 2,
                                                           "questions": 7, "unanswered": 5, "answer_helpful_rate": 0.5}
    assert wechat["tickets"]["by_kind"] == {"repair": 2} and wechat["tickets"]["open_past_due"] == 1
    assert wechat["sla_on_time_rate"] == 1.0
    # The last 3 days (today, 1 and 2 days ago): K1 K2 K3 T1 T2; contained K1 T1; T2's handoff; questions
    # 1+1+2+1+2; unanswered K2 T2. Closed in the window: the kunlun repair (on time) and complaint (late); the
    # tianfu complaint closed for good 3 days ago (its 已关闭 of yesterday does not close it again). CSAT: T2's 3.
    recent = stats(platform, days=3)
    assert figures(recent, {"conversations": 0, "contained": 0, "handoffs": 0, "questions": 0, "unanswered": 0}) == {
        "conversations": 5, "contained": 2, "handoffs": 1, "questions": 7, "unanswered": 2}
    assert (recent["tickets"]["total"], recent["tickets"]["closed_with_due"], recent["tickets"]["closed_on_time"]) == \
        (2, 2, 1)
    assert recent["csat"]["mean"] == 3.0 and recent["csat"]["count"] == 1
    assert recent["median_first_response_s"] == 120.0
    assert [d["date"] for d in recent["daily"]] == [(datetime.now(CHINA).date() - timedelta(days=k)).isoformat()
                                                    for k in (2, 1, 0)]


def test_the_daily_series_counts_each_conversation_on_its_day(as_user) -> None:
    daily = stats(as_user("an-platform"))["daily"]
    assert [(d["conversations"], d["contained"], d["handoffs"]) for d in daily] == [
        (2, 1, 1),    # 6 days ago: K8 (handoff), T5 (contained)
        (2, 1, 1),    # 5 days ago: K7 (contained), T4 (handoff)
        (1, 0, 0),    # 4 days ago: T3 (repeat); K6 not counted
        (2, 1, 1),    # 3 days ago: K4 (handoff), K5 (contained)
        (3, 0, 1),    # 2 days ago: K2 (没用), K3 (repeat), T2 (handoff)
        (2, 2, 0),    # yesterday: K1, T1
        (0, 0, 0)]    # today


def test_an_agent_sees_their_companys_figures_and_a_stranger_none(as_user) -> None:
    assert as_user(None).get("/agent/api/stats").status_code == 401
    agent, boss_of_kunlun = as_user("an-kunlun-agent"), as_user("an-kunlun-boss")
    mine, theirs = stats(agent), stats(boss_of_kunlun)
    assert mine.pop("filters")["company"] == theirs.pop("filters")["company"] == "kunlun"
    assert mine == theirs, "the same figures as the company's supervisor"
    assert agent.get("/agent/api/stats", params={"company": "tianfu"}).status_code == 403
    assert agent.get("/agent/api/stats/summary.csv").status_code == 200
    boss = as_user("an-platform")
    assert boss.get("/agent/api/stats", params={"days": 0}).status_code == 422
    assert boss.get("/agent/api/stats", params={"company": "nobody"}).status_code == 422
    assert boss.get("/agent/api/stats", params={"channel": "fax"}).status_code == 422
    assert boss.get("/agent/api/stats/secrets.csv").status_code == 422


def test_every_table_exports_as_csv_with_the_page_figures(as_user) -> None:
    boss = as_user("an-tianfu-boss")
    tables = {}
    for table in ("summary", "daily", "handoff_reasons", "top_entries", "top_unanswered", "tickets_by_kind",
                  "tickets_by_status", "csat"):
        response = boss.get(f"/agent/api/stats/{table}.csv")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.text.startswith("\ufeff") and "attachment" in response.headers["content-disposition"]
        tables[table] = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
    summary = dict(row for row in tables["summary"][1:])
    assert summary["会话数"] == "5" and summary["未答问题"] == "7" and summary["自助解决率"] == "40.0%"
    assert ["停电了 什么时候来电", "2", "没听懂 2"] == tables["top_unanswered"][1][:3]
    assert {row[1]: row[2] for row in tables["handoff_reasons"][1:]} == {"request_human": "1", "repeated_fallback": "1"}
    assert tables["csat"][1:] == [["1", "0"], ["2", "0"], ["3", "1"], ["4", "1"], ["5", "0"]]
    assert sum(int(row[1]) for row in tables["daily"][1:]) == 5


def test_a_customers_words_cannot_become_a_spreadsheet_formula() -> None:
    rows = list(csv.reader(io.StringIO(as_csv([["=HYPERLINK(\"http://x\")", "+1", "-2", "@a", "燃气费", 3]])
                                       .removeprefix("\ufeff"))))
    assert rows == [["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@a", "燃气费", "3"]]


def test_the_schema_documents_the_contract(as_user) -> None:
    schema = as_user(None).get("/openapi.json").json()
    operation = schema["paths"]["/agent/api/stats"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"days", "channel", "company"}
    assert "自助解决率" in operation["description"] and "坐席首次响应" in operation["description"]
    model = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert KEYS <= set(schema["components"]["schemas"][model]["properties"])


def test_repeats_ignore_spaces_width_and_punctuation_and_the_window_counts_calendar_days() -> None:
    assert normalise("燃气费 在哪交？") == normalise("燃气费在哪交") == normalise("燃气费在哪交!!")
    assert normalise("ＡＢＣ电费") == normalise("abc电费") and normalise("电费") != normalise("燃气费")
    since, until = window(1, datetime(2026, 11, 30, 0, 30, tzinfo=CHINA))
    assert since == datetime(2026, 11, 30, tzinfo=CHINA) and until.hour == 0
    assert window(7, datetime(2026, 11, 30, 23, 0, tzinfo=CHINA))[0] == datetime(2026, 11, 24, tzinfo=CHINA)
