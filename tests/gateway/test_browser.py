"""The widget and the agent console in a real browser (Debian's Chromium, headless, via Playwright)."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.gateway.conftest import agent_client

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def customer(browser: Browser, services) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")  # a phone
    page = context.new_page()
    page.goto(services.gateway + "/")
    yield page
    context.close()


@pytest.fixture
def agent_page(browser: Browser, services) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(services.gateway + "/agent")
    yield page
    context.close()


def say(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.click("#send")


def test_a_customer_asks_and_the_answer_survives_a_reload(customer: Page) -> None:
    say(customer, "燃气费在哪交")
    expect(customer.locator(".msg-bot").last).to_contain_text("依据《天然气客户标准化服务指导手册》", timeout=15000)
    customer.reload()
    expect(customer.locator(".msg-customer")).to_contain_text(["燃气费在哪交"], timeout=10000)
    expect(customer.locator(".msg-bot").first).to_contain_text("营业厅")


def test_quick_replies_are_buttons_that_send_their_payload(customer: Page) -> None:
    say(customer, "燃气坏了报修一般几个小时上门")
    expect(customer.locator(".msg-bot").last).to_contain_text("24小时", timeout=15000)
    chip = customer.locator(".chip", has_text="登记报修").first
    expect(chip).to_be_visible(timeout=15000)
    chip.click()
    # an unbound widget: whose customer is asked first, with the companies that supply gas as buttons
    expect(customer.locator(".msg-bot").last).to_contain_text("哪家公司", timeout=15000)
    customer.locator(".chip", has_text="昆仑燃气").last.click()
    expect(customer.locator(".msg-bot").last).to_contain_text("遇到了什么问题", timeout=15000)


def conversation_of(page: Page) -> str:
    token = page.evaluate("localStorage.getItem('ua_chat_token')")
    return URLSafeTimedSerializer("unused").loads_unsafe(token)[1]["c"]


def test_an_agent_takes_over_live_and_hands_back_for_a_rating(customer: Page, agent_page: Page, services) -> None:
    say(customer, "转人工")
    expect(customer.locator("#banner")).to_contain_text("人工客服", timeout=15000)
    boss = agent_client(services, "boss")
    handoff = next(h for h in boss.get("/agent/api/queue").json()["handoffs"]
                   if h["conversation_id"] == conversation_of(customer))
    boss.close()

    agent_page.fill("#username", "zhang")
    agent_page.fill("#password", "correct horse battery")
    agent_page.click("#login")
    item = agent_page.locator(f'.queue-item[data-id="{handoff["id"]}"]')
    expect(item).to_be_visible(timeout=15000)
    item.click()
    agent_page.click("#claim")
    expect(customer.locator("#banner")).to_contain_text("人工客服正在为您服务", timeout=15000)

    agent_page.fill("#reply", "您好，我是客服小张。")
    agent_page.click("#reply-send")
    expect(customer.locator(".msg-agent").last).to_contain_text("您好，我是客服小张。", timeout=15000)

    say(customer, "我家燃气表不走字")
    expect(agent_page.locator("#transcript")).to_contain_text("我家燃气表不走字", timeout=15000)
    unbroken = "表号" + "8" * 200 + "Z\u0336\u0337\u0338" * 40          # one long word and a zalgo line
    say(customer, unbroken)
    expect(agent_page.locator("#transcript")).to_contain_text("表号888", timeout=15000)
    widths = agent_page.evaluate("""() => [...document.querySelectorAll('#transcript, #transcript *')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible').length""")
    pane = agent_page.locator("#transcript").bounding_box()
    assert widths == 0 and all(box["x"] + box["width"] <= pane["x"] + pane["width"] + 1
                               for box in (m.bounding_box() for m in agent_page.locator("#transcript .msg-text").all()))

    agent_page.click("#close")
    expect(customer.locator("#rating")).to_be_visible(timeout=15000)
    customer.locator('#rating [data-score="5"]').click()
    expect(customer.locator("#rating")).to_contain_text(re.compile("感谢|谢谢"), timeout=10000)
