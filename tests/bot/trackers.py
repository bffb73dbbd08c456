"""Offline trackers for action tests: the shape rasa-sdk receives from Rasa, without a running Rasa."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def user_event(text: str, intent: str, entities: list[dict[str, Any]] | None = None,
               **parsed: Any) -> dict[str, Any]:
    """parsed: further properties of the parse, e.g. message_kind="followup" (bot/components/message_kind.py)."""
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [],
             "intent_ranking": [{"name": intent, "confidence": 0.99}], **parsed}
    return {"event": "user", "text": text, "parse_data": parse, "timestamp": 0}


def make_tracker(text: str, intent: str, entities: list[dict[str, Any]] | None = None,
                 slots: dict[str, Any] | None = None, history: list[dict[str, Any]] | None = None,
                 **parsed: Any) -> Tracker:
    latest = user_event(text, intent, entities, **parsed)
    return Tracker(sender_id="test-customer", slots=slots or {}, latest_message=latest["parse_data"],
                   events=[*(history or []), latest], paused=False, followup_action=None,
                   active_loop={}, latest_action_name="action_listen")


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0}




def texts(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> list[str]:
    """What the customer reads: literal texts and the text of each named response."""
    out = []
    for message in dispatcher.messages:
        if message.get("text"):
            out.append(message["text"])
        elif message.get("response"):
            out.append(domain["responses"][message["response"]][0]["text"])
    return out
