"""The WeChat endpoint, driven the way WeChat's servers drive it (wechatpy builds and encrypts the XML)."""
from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import uuid

import httpx
import pytest
import redis
import xmltodict
from wechatpy.crypto import WeChatCrypto

from tests.gateway.conftest import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN, agent_client
from tests.gateway.wechat_server import OUTSIDE_WINDOW_OPENID

CRYPTO = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID)


def signed(timestamp: int | None = None, nonce: str | None = None, token: str = WECHAT_TOKEN) -> dict[str, str]:
    timestamp = str(timestamp or int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:10]
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def text_xml(openid: str, content: str, msg_id: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_utility]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or uuid.uuid4().int % 10**18}</MsgId></xml>")


def voice_xml(openid: str, recognition: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_utility]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            f"<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>"
            f"<Recognition><![CDATA[{recognition}]]></Recognition><MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")


def event_xml(openid: str, event: str, key: str = "") -> str:
    return (f"<xml><ToUserName><![CDATA[gh_utility]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>")


def image_xml(openid: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_utility]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"
            f"<MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")


def reply_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return xmltodict.parse(response.text)["xml"]["Content"]


def openid() -> str:
    return f"o_{uuid.uuid4().hex[:20]}"


def post(client: httpx.Client, xml: str, **params) -> httpx.Response:
    return client.post("/wechat", params={**signed(), **params}, content=xml.encode())


def test_server_url_verification(client) -> None:
    good = client.get("/wechat", params={**signed(), "echostr": "echo-123"})
    assert good.status_code == 200 and good.text == "echo-123"
    bad = client.get("/wechat", params={**signed(token="wrong"), "echostr": "echo-123"})
    assert bad.status_code == 403


def test_a_text_message_gets_a_passive_reply_with_the_handbook_answer(client) -> None:
    answer = reply_text(post(client, text_xml(openid(), "燃气费在哪交")))
    assert "营业厅" in answer and "依据《天然气客户标准化服务指导手册》" in answer


def test_a_voice_message_is_understood_from_its_recognition(client) -> None:
    answer = reply_text(post(client, voice_xml(openid(), "燃气费在哪交")))
    assert "营业厅" in answer


def test_encrypted_messages_are_decrypted_and_answered_encrypted(client) -> None:
    params = signed()
    encrypted = CRYPTO.encrypt_message(text_xml(openid(), "燃气费在哪交"), params["nonce"], params["timestamp"])
    msg_signature = xmltodict.parse(encrypted)["xml"]["MsgSignature"]
    response = client.post("/wechat", params={**params, "encrypt_type": "aes", "msg_signature": msg_signature},
                           content=encrypted.encode())
    assert response.status_code == 200 and "<Encrypt>" in response.text
    reply = xmltodict.parse(response.text)["xml"]
    plain = CRYPTO.decrypt_message(response.text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
    assert "营业厅" in xmltodict.parse(plain)["xml"]["Content"]


def test_buttons_become_numbered_options_and_a_number_chooses(client) -> None:
    user = openid()
    answer = reply_text(post(client, text_xml(user, "燃气坏了报修一般几个小时上门")))
    assert "24小时" in answer and "请回复数字" in answer and "1. 登记报修" in answer
    chosen = reply_text(post(client, text_xml(user, "1")))
    if "哪家公司" in chosen:             # unbound: the form first asks whose customer this is, as numbered options
        assert "1. 昆仑燃气" in chosen and "2. 天富热电" in chosen
        chosen = reply_text(post(client, text_xml(user, "1")))
    assert "遇到了什么问题" in chosen, "the number chose the repair form"


def test_subscribe_menu_and_unsupported_messages(client) -> None:
    user = openid()
    assert "智能客服" in reply_text(post(client, event_xml(user, "subscribe")))
    assert post(client, event_xml(user, "unsubscribe")).text == "success"
    assert "文字和语音" in reply_text(post(client, image_xml(user)))
    started = reply_text(post(client, event_xml(user, "CLICK", "REPAIR")))
    assert "？" in started or "?" in started  # the repair form asks its first question


@pytest.mark.parametrize("case", ["stale", "replayed", "bad_signature", "too_large", "doctype", "bad_msg_signature"])
def test_requests_that_did_not_come_from_wechat_are_rejected(client, services, case) -> None:
    user = openid()
    xml = text_xml(user, "燃气费在哪交")
    if case == "stale":
        response = client.post("/wechat", params=signed(timestamp=int(time.time()) - 400), content=xml.encode())
        expected = 403
    elif case == "replayed":
        params = signed()
        assert client.post("/wechat", params=params, content=xml.encode()).status_code == 200
        response = client.post("/wechat", params=params, content=text_xml(user, "再来一次").encode())
        expected = 403
    elif case == "bad_signature":
        response = client.post("/wechat", params=signed(token="attacker"), content=xml.encode())
        expected = 403
    elif case == "too_large":
        response = client.post("/wechat", params=signed(), content=text_xml(user, "燃" * 30000).encode())
        expected = 413
    elif case == "doctype":
        evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml
        response = client.post("/wechat", params=signed(), content=evil.encode())
        expected = 400
    else:
        params = signed()
        encrypted = CRYPTO.encrypt_message(xml, params["nonce"], params["timestamp"])
        response = client.post("/wechat", params={**params, "encrypt_type": "aes", "msg_signature": "0" * 40},
                               content=encrypted.encode())
        expected = 403
    assert response.status_code == expected
    if case != "replayed":
        store = redis.Redis.from_url(services.redis_url)
        assert not store.exists(f"ua:options:wechat:{user}")


def test_three_concurrent_copies_of_a_message_make_one_turn_and_one_ticket(services, internal) -> None:
    user = openid()
    xml = text_xml(user, "厨房里有很浓的煤气味", msg_id=uuid.uuid4().int % 10**18)

    async def copies() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=services.gateway, timeout=30) as http:
            return await asyncio.gather(*(http.post("/wechat", params=signed(), content=xml.encode()) for _ in range(3)))

    responses = asyncio.run(copies())
    assert sorted(r.text == "success" for r in responses) == [False, True, True]
    answered = next(r for r in responses if r.text != "success")
    assert "燃气泄漏" in xmltodict.parse(answered.text)["xml"]["Content"]
    tickets = internal.get(f"/internal/conversations/wechat:{user}/tickets").json()["tickets"]
    assert len(tickets) == 1 and tickets[0]["priority"] == "emergency"


def test_a_slow_answer_comes_through_the_customer_service_api(client, services) -> None:
    user = openid()
    store = redis.Redis.from_url(services.redis_url)
    lock = store.lock(f"ua:lock:conversation:wechat:{user}", timeout=30, thread_local=False)
    lock.acquire()
    threading.Timer(6, lock.release).start()     # the assistant is busy past WeChat's 5 seconds
    started = time.monotonic()
    response = post(client, text_xml(user, "燃气费在哪交"))
    assert response.text == "success" and time.monotonic() - started < 5.5
    deadline = time.monotonic() + 20
    while not services.wechat.texts_to(user) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert any("营业厅" in t for t in services.wechat.texts_to(user))


def test_agent_replies_reach_wechat_and_expired_tokens_are_renewed(client, services) -> None:
    user = openid()
    post(client, text_xml(user, "转人工"))
    boss = agent_client(services, "boss")
    handoff = next(h for h in boss.get("/agent/api/queue").json()["handoffs"] if h["conversation_id"] == f"wechat:{user}")
    assert boss.post(f"/agent/api/handoffs/{handoff['id']}/claim").status_code == 200
    services.wechat.expire_next_token = True
    boss.post(f"/agent/api/handoffs/{handoff['id']}/messages", json={"text": "您好，我是人工客服。"})
    deadline = time.monotonic() + 15
    while "您好，我是人工客服。" not in services.wechat.texts_to(user) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "您好，我是人工客服。" in services.wechat.texts_to(user)
    assert services.wechat.token_requests >= 2, "the expired token was fetched again"


def test_a_closed_reply_window_does_not_break_the_conversation(client, services) -> None:
    post(client, text_xml(OUTSIDE_WINDOW_OPENID, "转人工"))
    boss = agent_client(services, "boss")
    handoff = next(h for h in boss.get("/agent/api/queue").json()["handoffs"]
                   if h["conversation_id"] == f"wechat:{OUTSIDE_WINDOW_OPENID}")
    boss.post(f"/agent/api/handoffs/{handoff['id']}/claim")
    sent = boss.post(f"/agent/api/handoffs/{handoff['id']}/messages", json={"text": "还在吗？"})
    assert sent.status_code == 200
    assert boss.post(f"/agent/api/handoffs/{handoff['id']}/close").status_code == 204


def test_ticket_status_changes_are_pushed_as_template_messages(services, internal) -> None:
    user = openid()
    ticket = internal.post("/internal/tickets", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
        "type": "repair", "utility": "gas", "conversation_id": f"wechat:{user}", "channel": "wechat",
        "contact_phone": "13812345678", "address": "幸福小区8栋", "description": "燃气表不走字"}).json()
    boss = agent_client(services, "boss")
    assert boss.post(f"/agent/api/tickets/{ticket['ticket_no']}/status", json={"status": "已派单"}).status_code == 200
    pushed = [t for t in services.wechat.templates if t["touser"] == user]
    assert pushed and pushed[0]["template_id"] == "TEMPLATE_TICKET_STATUS"
    assert pushed[0]["data"]["keyword1"]["value"] == ticket["ticket_no"]


async def test_a_late_answer_that_failed_asks_the_customer_to_send_again() -> None:
    """WeChat already had its "success" for a message answered late, so it will not send it again: when that
    answer fails (the database went away, say), the customer is asked to send it again."""

    from sqlalchemy.exc import DBAPIError

    from gateway.channels import wechat

    sent = []

    class RecordingApi:
        async def send_text(self, openid: str, text: str) -> None:
            sent.append((openid, text))

    class Apis:
        def for_conversation(self, conversation_id: str):
            return RecordingApi(), conversation_id.removeprefix("wechat:")

    async def failing_answer() -> str:
        raise DBAPIError("INSERT INTO messages", {}, ConnectionError("connection refused"))

    task = asyncio.ensure_future(failing_answer())
    await asyncio.wait([task])
    await wechat._deliver_late(Apis(), "wechat:o_late", task)
    assert sent == [("o_late", wechat.LATE_FAILURE)]


def test_a_signed_empty_body_is_400_and_an_overlong_text_gets_a_polite_note(client) -> None:
    assert client.post("/wechat", params=signed(), content=b"").status_code == 400
    note = reply_text(post(client, text_xml(openid(), "燃" * 501)))
    assert "500字以内" in note


def test_no_log_line_carries_the_app_secret(client) -> None:
    from tests.gateway.conftest import ROOT

    post(client, text_xml(openid(), "燃气费在哪交"))
    logs = "\n".join(p.read_text(errors="replace") for p in (ROOT / ".run" / "gateway-test-logs").glob("*.log"))
    assert logs and "wechat-test-secret" not in logs


def test_a_second_official_account_has_its_own_path_token_company_and_outbound_api(client, services) -> None:
    from tests.gateway.conftest import SECOND_ACCOUNT, SECOND_APP_ID, SECOND_TOKEN

    user = openid()
    path = f"/wechat/{SECOND_ACCOUNT}"
    assert client.post(path, params=signed(), content=text_xml(user, "你好").encode()).status_code == 403  # not its token
    assert client.post("/wechat/nosuchaccount", params=signed(token=SECOND_TOKEN),
                       content=text_xml(user, "你好").encode()).status_code == 404
    echo = client.get(path, params={**signed(token=SECOND_TOKEN), "echostr": "hello"})
    assert echo.status_code == 200 and echo.text == "hello"
    answer = reply_text(client.post(path, params=signed(token=SECOND_TOKEN), content=text_xml(user, "转人工").encode()))
    assert answer
    boss = agent_client(services, "boss")
    handoff = next(h for h in boss.get("/agent/api/queue").json()["handoffs"]
                   if h["conversation_id"] == f"wechat:{SECOND_ACCOUNT}:{user}")
    assert handoff["company"] == "tianfu" and handoff["company_name"] == "天富热电"   # the account binds its company
    assert boss.post(f"/agent/api/handoffs/{handoff['id']}/claim").status_code == 200
    boss.post(f"/agent/api/handoffs/{handoff['id']}/messages", json={"text": "天富热电客服为您服务。"})
    deadline = time.monotonic() + 15
    while "天富热电客服为您服务。" not in services.wechat.texts_to(user) and time.monotonic() < deadline:
        time.sleep(0.3)
    sent = [m for m in services.wechat.sent if m["touser"] == user]
    assert sent and {m["_appid"] for m in sent} == {SECOND_APP_ID}   # through the account the customer wrote to

