"""The outage notices in a real browser (Debian's Chromium, headless): a supervisor publishes a late planned notice,
sees it flagged, changes its end, marks it restored and withdraws it, each change in the history; a plain agent only
reads; the agent's handoff view shows the active notice where the customer lives; the widget's 停电停气提醒 button
subscribes an address."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from gateway.clock import now
from tests.gateway.conftest import AGENT_PASSWORD, SERVICE_TOKEN, agent_client
from tests.gateway.test_browser import agent_page, browser, conversation_of, customer, say  # noqa: F401
from tests.gateway.test_notices_api import estate

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def local(hours: float) -> str:
    """A datetime-local value, China time."""
    return (now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def log_in(page: Page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", AGENT_PASSWORD)
    page.click("#login")
    expect(page.locator("#user-name")).to_have_text(username, timeout=15000)


@pytest.fixture
def errors(agent_page: Page) -> Iterator[list[str]]:  # noqa: F811
    seen: list[str] = []
    agent_page.on("console", lambda message: seen.append(message.text) if message.type == "error" else None)
    agent_page.on("pageerror", lambda error: seen.append(str(error)))
    yield seen


def test_a_supervisor_publishes_flags_changes_restores_and_withdraws(agent_page: Page, errors: list[str],  # noqa: F811
                                                                      services) -> None:
    agent_page.goto(services.gateway + "/agent/notices")
    expect(agent_page.locator("#notice")).to_contain_text("请先登录坐席工作台")
    agent_page.goto(services.gateway + "/agent")
    log_in(agent_page, "boss")
    errors.clear()                                  # the 401s of the visit before logging in were expected
    agent_page.click("#notices-link")
    expect(agent_page.locator("#publish-pane")).to_be_visible(timeout=15000)

    area = estate()
    agent_page.select_option("#p-utility", "gas")
    agent_page.select_option("#p-kind", "planned")
    agent_page.select_option("#p-company", "kunlun")
    agent_page.fill("#p-areas", f"{area}1-5号楼\n{area}8号楼")
    agent_page.fill("#p-starts", local(10))
    agent_page.fill("#p-ends", local(18))
    agent_page.fill("#p-reason", "燃气管道改造")
    agent_page.click("#publish")
    expect(agent_page.locator("#publish-ok")).to_contain_text("注意", timeout=15000)
    expect(agent_page.locator("#publish-ok")).to_contain_text("48小时")
    card = agent_page.locator(".card", has_text=f"{area}1-5号楼")
    expect(card).to_contain_text("通知不足时限")
    expect(agent_page.locator("#short-banner")).to_be_visible()
    expect(agent_page.locator("#detail-summary")).to_contain_text(f"【计划停气】{area}1-5号楼、{area}8号楼")
    expect(agent_page.locator("#history")).to_contain_text("v1 发布 · boss")

    agent_page.fill("#c-ends", local(20))
    agent_page.click("#c-save")
    expect(agent_page.locator("#change-ok")).to_contain_text("已保存", timeout=15000)
    expect(agent_page.locator("#history")).to_contain_text("v2 修改 · boss")
    expect(agent_page.locator("#history")).to_contain_text("预计结束")
    agent_page.click("#c-restored")
    expect(agent_page.locator("#history")).to_contain_text("v3 标记已恢复", timeout=15000)
    expect(agent_page.locator("#detail-summary")).to_contain_text("【已恢复供气】")
    agent_page.once("dialog", lambda dialog: dialog.accept())
    agent_page.click("#c-withdraw")
    expect(agent_page.locator("#change-ok")).to_contain_text("通知已撤回", timeout=15000)
    expect(agent_page.locator("#history")).to_contain_text("v4 撤回")
    expect(agent_page.locator("#change-form")).to_be_hidden()

    agent_page.select_option("#show", "all")
    expect(agent_page.locator(".card.withdrawn", has_text=f"{area}1-5号楼")).to_be_visible(timeout=15000)
    # the page's own checks: a notice that ends before it starts is refused before anything is sent
    agent_page.fill("#p-areas", area)
    agent_page.fill("#p-starts", local(30))
    agent_page.fill("#p-ends", local(29))
    agent_page.fill("#p-reason", "检修")
    agent_page.click("#publish")
    expect(agent_page.locator("#publish-error")).to_have_text("结束时间必须晚于开始时间")
    assert errors == [], errors


def test_an_agent_reads_notices_and_sees_them_next_to_a_handoff(customer: Page, agent_page: Page,  # noqa: F811
                                                                 services, client) -> None:
    area = estate()
    starts = (now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    notice = client.post("/agent/api/notices", headers=SERVICE, json={
        "utility": "gas", "company": "kunlun", "kind": "fault", "areas": [area], "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=6)).isoformat(), "reason": "中压管道抢修"}).json()

    say(customer, "燃气费在哪交")
    expect(customer.locator(".msg-bot").last).to_be_visible(timeout=15000)
    conversation = conversation_of(customer)
    created = client.post("/internal/tickets", headers={**SERVICE, "Idempotency-Key": uuid.uuid4().hex}, json={
        "type": "repair", "utility": "gas", "conversation_id": conversation, "channel": "web",
        "contact_phone": "13812345678", "address": f"{area}3号楼1单元201", "description": "燃气灶打不着火"})
    assert created.status_code == 201
    say(customer, "转人工")
    expect(customer.locator("#banner")).to_contain_text("人工客服", timeout=15000)
    boss = agent_client(services, "boss")
    handoff = next(h for h in boss.get("/agent/api/queue").json()["handoffs"] if h["conversation_id"] == conversation)
    boss.close()

    log_in(agent_page, "zhang")
    agent_page.locator(f'.queue-item[data-id="{handoff["id"]}"]').click()
    box = agent_page.locator("#handoff-notices")
    expect(box).to_be_visible(timeout=15000)
    expect(box).to_contain_text(f"【故障停气】{area}")
    expect(box).to_contain_text("进行中")
    expect(box).to_contain_text(f"客户地址：{area}3号楼1单元201")

    agent_page.click("#notices-link")
    expect(agent_page.locator(f'.card[data-id="{notice["id"]}"]')).to_be_visible(timeout=15000)
    expect(agent_page.locator("#publish-pane")).to_be_hidden()
    agent_page.locator(f'.card[data-id="{notice["id"]}"]').click()
    expect(agent_page.locator("#detail")).to_contain_text("中压管道抢修")
    expect(agent_page.locator("#change-form")).to_be_hidden()


def test_the_widget_button_subscribes_an_address(customer: Page, client) -> None:  # noqa: F811
    area = estate()
    starts = (now() + timedelta(hours=60)).replace(second=0, microsecond=0)
    client.post("/agent/api/notices", headers=SERVICE, json={
        "utility": "electricity", "company": "grid", "kind": "planned", "areas": [f"{area}1-5号楼"],
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=4)).isoformat(), "reason": "线路检修"})
    customer.locator("#quick .chip", has_text="停电停气提醒").click()
    expect(customer.locator(".msg-bot").last).to_contain_text("请发给我要接收提醒的地址", timeout=15000)
    say(customer, f"{area}2号楼")
    last = customer.locator(".msg-bot").last
    expect(last).to_contain_text(f"已为您开通停电停气提醒：{area}2号楼", timeout=15000)
    expect(last).to_contain_text("【计划停电】")
    expect(last).to_contain_text("线路检修")
    customer.reload()
    expect(customer.locator(".msg-bot").last).to_contain_text("下次打开对话时就能看到", timeout=15000)
