"""Action-server calls over kept-alive connections with orjson (bot/rasa_fixes/action_calls.py): the same request and
result as Rasa's own `EndpointConfig.request`, one connection for successive calls, errors raised the same way."""
from __future__ import annotations

import json

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_fixes import action_calls


@pytest.fixture
async def action_server():
    seen: list[dict] = []
    peers: set = set()

    async def webhook(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        body = await request.json()
        seen.append({"body": body, "content_type": request.content_type, "query": dict(request.query),
                     "auth": request.headers.get("X-Auth")})
        if body.get("next_action") == "broken":
            return web.json_response({"error": "no such action"}, status=404)
        return web.json_response({"events": [], "responses": [{"text": "好的，已为您登记。"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", seen, peers
    await runner.cleanup()


async def test_same_request_and_result_as_rasa(action_server) -> None:
    url, seen, _ = action_server
    config = EndpointConfig(url=url + "/webhook", headers={"X-Auth": "secret"}, token="t0k", token_name="token")
    body = {"next_action": "action_create_ticket", "tracker": {"sender_id": "web:1", "latest_message": {
        "text": "燃气表不走字", "intent": {"name": "report_fault", "confidence": 0.9}}}}
    expected = await config.request(json=body, method="post")          # Rasa's own
    action_calls.install()
    try:
        got = await config.request(json=body, method="post")
    finally:
        EndpointConfig.request = action_calls._rasa_request
    assert got == expected == {"events": [], "responses": [{"text": "好的，已为您登记。"}]}
    ours, rasas = seen[1], seen[0]
    assert ours["content_type"] == rasas["content_type"] == "application/json"
    assert ours["query"] == rasas["query"] == {"token": "t0k"} and ours["auth"] == rasas["auth"] == "secret"
    assert ours["body"]["tracker"]["latest_message"]["text"] == "燃气表不走字"
    assert ours["body"]["tracker"]["latest_message"]["intent"]["confidence"] == pytest.approx(0.9)


async def test_successive_calls_share_one_connection(action_server) -> None:
    url, seen, peers = action_server
    config = EndpointConfig(url=url + "/webhook")
    for n in range(5):
        await action_calls.request(config, json={"next_action": f"action_{n}"})
    assert len(seen) == 5 and len(peers) == 1


async def test_an_error_status_raises_as_in_rasa(action_server) -> None:
    url, _, _ = action_server
    with pytest.raises(ClientResponseError) as raised:
        await action_calls.request(EndpointConfig(url=url + "/webhook"), json={"next_action": "broken"})
    assert raised.value.status == 404 and json.loads(raised.value.text)["error"] == "no such action"
