"""The operators' preview: the reply a customer would read to a question, answered from a draft knowledge base.

The gateway sends the live version with the operator's drafts applied; this builds a search of its own for it
(cached by content, so asking several questions of one draft is quick), runs the same answer action customers
get inside `using(...)` so no customer's turn can see the draft, and returns the reply's text and buttons. The
classifier is not asked (the draft lives outside the Rasa model): the utility comes from the question's words and
the company from the operator's own.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.answer_knowledge import ActionAnswerKnowledge
from bot.actions.knowledge_base import LiveKnowledge, live, using
from bot.actions.knowledge_sync import build
from core.turns import KEY as TURN_KEY

DOMAIN_DIR = Path(__file__).resolve().parent.parent / "domain"
_built: OrderedDict[str, LiveKnowledge] = OrderedDict()
KEEP = 4


@lru_cache(maxsize=1)
def _responses() -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        for name, variants in ((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}).items():
            if variants and variants[0].get("text"):
                texts[name] = variants[0]["text"]
    return texts


async def _knowledge(records: list[dict]) -> LiveKnowledge:
    digest = hashlib.sha256(json.dumps(records, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    if digest not in _built:
        _built[digest] = await asyncio.to_thread(build, 0, records, live(), refit=False)
        while len(_built) > KEEP:
            _built.popitem(last=False)
    return _built[digest]


def _tracker(question: str, company: str | None) -> Tracker:
    return Tracker(sender_id="preview", slots={"company": company} if company else {},
                   latest_message={"text": question, "intent": {}, "entities": []}, events=[], paused=False,
                   followup_action=None, active_loop={}, latest_action_name=None)


async def preview(records: list[dict], question: str, company: str | None) -> dict[str, Any]:
    """{"reply", "buttons", "entries", "kind"}; KnowledgeError when the draft breaks a rule."""
    knowledge = await _knowledge(records)
    dispatcher = CollectingDispatcher()
    with using(knowledge):
        ActionAnswerKnowledge().answer(dispatcher, _tracker(question, company), question, None)
    texts: list[str] = []
    buttons: list[str] = []
    turn: dict[str, Any] = {}
    for message in dispatcher.messages:
        turn = (message.get("custom") or {}).get(TURN_KEY) or turn
        text = message.get("text") or _responses().get(message.get("response") or "", "")
        if text:
            texts.append(text)
        buttons += [b.get("title") for b in message.get("buttons") or []]
    return {"reply": "\n\n".join(texts), "buttons": buttons, "kind": turn.get("kind"),
            "entries": turn.get("entries") or []}
