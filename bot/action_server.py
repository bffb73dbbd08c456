"""What the action server runs besides the actions (attached through rasa-sdk's plugin hook, rasa_sdk_plugins/):
the loop that keeps the published knowledge version served (bot/actions/knowledge_sync.py), and the operators'
preview, `POST /knowledge/preview` with the gateway's service token."""
from __future__ import annotations

import hmac
import logging
import os

import pluggy
from sanic import Sanic, response
from sanic.request import Request

from bot.actions.gateway_client import GatewayClient
from bot.actions.knowledge_preview import preview
from bot.actions.knowledge_sync import KnowledgeSync
from bot.actions.settings import gateway_settings
from knowledge.loader import KnowledgeError

hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)
MAX_PREVIEW_ENTRIES = 2000


def _authorised(request: Request) -> bool:
    presented = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
    return bool(presented) and hmac.compare_digest(presented, gateway_settings().service_token)


async def knowledge_preview(request: Request) -> response.HTTPResponse:
    if not _authorised(request):
        return response.json({"detail": "invalid service token"}, status=401)
    body = request.json if isinstance(request.json, dict) else {}
    entries, question = body.get("entries"), body.get("question")
    if not isinstance(entries, list) or not isinstance(question, str) or not question.strip() \
            or len(entries) > MAX_PREVIEW_ENTRIES:
        return response.json({"detail": "entries (a list) and question (text) are required"}, status=400)
    company = body.get("company") if isinstance(body.get("company"), str) else None
    try:
        return response.json(await preview(entries, question.strip()[:200], company))
    except KnowledgeError as error:
        return response.json({"detail": str(error)}, status=422)


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    app.add_route(knowledge_preview, "/knowledge/preview", methods=["POST"])
    if os.environ.get("KNOWLEDGE_SYNC", "1") == "0":   # a test of the actions alone, with no gateway
        return

    async def start_sync(app: Sanic, _loop: object = None) -> None:
        app.add_task(KnowledgeSync(GatewayClient(timeout_seconds=10)).run_forever())

    app.register_listener(start_sync, "after_server_start")
