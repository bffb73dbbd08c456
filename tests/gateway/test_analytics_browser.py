"""The analytics page in headless Chromium, on a real gateway over the seeded week (tests/gateway/analytics_seed.py):
its figures, its charts drawn by the Chart.js the gateway serves (nothing from another origin, no CSP violation),
the filters, the CSV export, and what a supervisor of one company, a plain agent of one and a stranger see."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.gateway.analytics_seed import PASSWORD, prepare, running_gateway
from tests.gateway.databases import fresh_database
from tests.gateway.test_browser import browser  # noqa: F401  (the module's Chromium)

CHARTS = ("chart-daily", "chart-reasons", "chart-csat", "chart-entries", "chart-unanswered", "chart-kind",
          "chart-status", "chart-sla")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, redis_url: str) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("analytics-browser"), "gateway_analytics") as url:
        prepare(url)
        with running_gateway(url, redis_url) as base:
            yield base


class Visit:
    """One browser context: what it requested, what the console complained of."""

    def __init__(self, browser: Browser, base: str) -> None:  # noqa: F811
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.base, self.requests, self.errors = base, [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def login(self, username: str) -> Visit:
        response = self.page.request.post(self.base + "/agent/api/login",
                                          data={"username": username, "password": PASSWORD})
        assert response.ok, response.text()
        return self

    def open(self, query: str = "") -> Page:
        self.page.goto(f"{self.base}/agent/analytics{query}")
        expect(self.page.locator("body[data-loaded]")).to_be_attached(timeout=15000)
        return self.page

    def chart(self, canvas: str) -> dict:
        return self.page.evaluate("""(id) => {
            const chart = window.Chart.getChart(document.getElementById(id));
            if (!chart) return null;
            const canvas = chart.canvas, pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
            return {type: chart.config.type, labels: chart.data.labels, data: chart.data.datasets.map((d) => d.data),
                    width: canvas.width, height: canvas.height, painted};
        }""", canvas)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Browser, gateway: str) -> Iterator[Visit]:  # noqa: F811
    opened = Visit(browser, gateway)
    yield opened
    opened.close()


def test_the_page_draws_every_chart_from_the_seeded_week(visit: Visit, tmp_path: Path) -> None:
    page = visit.login("an-platform").open("?days=7")
    expect(page.locator("#kpi-conversations")).to_have_text("12")
    expect(page.locator("#kpi-contained")).to_have_text("41.7%")          # 5 / 12
    expect(page.locator("#kpi-handoff")).to_have_text("33.3%")            # 4 / 12
    expect(page.locator("#kpi-unanswered")).to_have_text("55.6%")         # 10 / 18
    expect(page.locator("#kpi-helpful")).to_have_text("66.7%")            # 4 / 6
    expect(page.locator("#kpi-csat")).to_have_text("4.00 分")             # 5, 3, 4
    expect(page.locator("#kpi-sla")).to_have_text("66.7%")                # 2 / 3
    expect(page.locator("#kpi-first-response")).to_have_text("1分45秒")   # median of 90 s and 120 s

    charts = {canvas: visit.chart(canvas) for canvas in CHARTS}
    assert all(chart and chart["width"] > 100 and chart["height"] > 100 and chart["painted"] > 500
               for chart in charts.values()), charts
    assert charts["chart-daily"]["data"] == [[2, 2, 1, 2, 3, 2, 0], [1, 1, 0, 1, 0, 2, 0], [1, 1, 0, 1, 1, 0, 0]]
    assert dict(zip(charts["chart-reasons"]["labels"], charts["chart-reasons"]["data"][0])) == {
        "客户要求人工": 2, "紧急险情": 1, "多次未能理解": 1}
    assert charts["chart-csat"]["data"] == [[0, 0, 1, 1, 1]]
    assert charts["chart-entries"]["labels"][0].startswith("燃气费在哪交") and charts["chart-entries"]["data"][0][0] == 4
    assert charts["chart-unanswered"]["data"][0][0] == 2 and charts["chart-unanswered"]["labels"][0] == "停电了 什么时候来电"
    assert dict(zip(charts["chart-kind"]["labels"], charts["chart-kind"]["data"][0])) == {
        "报修": 3, "投诉": 2, "报装": 1, "回电": 1}
    assert sum(charts["chart-status"]["data"][0]) == 7
    assert charts["chart-sla"]["data"] == [[2, 1, 2]]                    # on time, late, open past due

    expect(page.locator("#table-unanswered")).to_contain_text("燃气灶打不着火是什么原因")
    expect(page.locator("#definitions")).to_contain_text("坐席主动发起的会话")
    expect(page.locator("#definitions")).to_contain_text("从转人工发起到坐席在该会话发出第一条消息")
    assert all(url.startswith(visit.base) for url in visit.requests), visit.requests   # no CDN, nothing outside
    assert any(url.endswith("/static/vendor/chartjs/chart.umd.js") for url in visit.requests)
    assert visit.errors == []
    page.screenshot(path=str(tmp_path / "analytics.png"), full_page=True)

    with page.expect_download() as download:
        page.click('a.csv[data-table="top_unanswered"]')
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert exported.splitlines()[1].startswith("停电了 什么时候来电,2,")


def test_the_filters_change_the_figures_and_stay_in_the_address(visit: Visit) -> None:
    page = visit.login("an-platform").open()
    expect(page.locator("#f-company-label")).to_be_visible()
    page.select_option("#f-channel", "wechat")
    expect(page.locator("body")).to_have_attribute("data-loaded", "days=7&channel=wechat")
    expect(page.locator("#kpi-conversations")).to_have_text("5")           # K2 K5 K8 T2 T5
    assert "channel=wechat" in page.url
    page.select_option("#f-company", "tianfu")
    expect(page.locator("body")).to_have_attribute("data-loaded", "days=7&channel=wechat&company=tianfu")
    expect(page.locator("#kpi-conversations")).to_have_text("2")           # T2 T5
    expect(page.locator("#scope")).to_contain_text("天富热电")
    href = page.locator('a.csv[data-table="daily"]').get_attribute("href")
    assert href == "/agent/api/stats/daily.csv?days=7&channel=wechat&company=tianfu"
    page.select_option("#f-days", "1")
    expect(page.locator("#kpi-conversations")).to_have_text("0")           # nothing was seeded today


def test_a_company_supervisor_sees_only_their_company(visit: Visit) -> None:
    page = visit.login("an-tianfu-boss").open()
    expect(page.locator("#kpi-conversations")).to_have_text("5")
    expect(page.locator("#kpi-csat")).to_have_text("3.50 分")
    expect(page.locator("#f-company-label")).to_be_hidden()
    expect(page.locator("#table-unanswered")).to_contain_text("停电了 什么时候来电")
    for kunlun_only in ("燃气表不走字怎么办", "燃气灶打不着火是什么原因"):
        expect(page.locator("#content")).not_to_contain_text(kunlun_only)
    assert visit.chart("chart-daily")["data"][0] == [1, 1, 1, 0, 1, 1, 0]   # T5, T4, T3, -, T2, T1, today
    other = visit.open("?company=kunlun")
    expect(other.locator("#notice")).to_contain_text("只能查看本公司的数据")
    expect(other.locator("#content")).to_be_hidden()


def test_a_plain_agent_sees_their_companys_figures_and_a_stranger_none(visit: Visit) -> None:
    stranger = visit.open()
    expect(stranger.locator("#notice")).to_contain_text("请先登录")
    expect(stranger.locator("#notice a")).to_have_attribute("href", "/agent")
    agent = visit.login("an-kunlun-agent").open()
    expect(agent.locator("#content")).to_be_visible()
    expect(agent.locator("#kpi-conversations")).to_have_text("7")            # K1-K5, K7, K8 (K6 agent-started)
    expect(agent.locator("#f-company-label")).to_be_hidden()
    expect(agent.locator("#content")).not_to_contain_text("停电了 什么时候来电")   # tianfu's


def test_the_console_links_to_the_page(visit: Visit) -> None:
    visit.page.goto(visit.base + "/agent")
    visit.page.fill("#username", "an-platform")
    visit.page.fill("#password", PASSWORD)
    visit.page.click("#login")
    link = visit.page.locator("#analytics-link")
    expect(link).to_be_visible(timeout=15000)
    link.click()
    expect(visit.page.locator("body[data-loaded]")).to_be_attached(timeout=15000)
    assert visit.page.url.startswith(visit.base + "/agent/analytics")
    headers = visit.page.request.get(visit.base + "/agent/analytics").headers
    assert "script-src 'self'" in headers["content-security-policy"] and headers["x-frame-options"] == "DENY"
