"""Small, typed reads of the tracker that several actions need."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from knowledge.companies import companies, company_in_text
from knowledge.model import UTILITY_BY_LABEL

COMPANY_SLOT = "company"


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entity(tracker: Tracker, name: str) -> Any:
    """The latest message's first value of the entity; for utility only 燃气, 电力 or 供热 (the extractor sometimes
    tags the 热电 of 天富热电, a company's name, as a utility)."""
    values = tracker.get_latest_entity_values(name)
    if name == "utility":
        values = (value for value in values if value in UTILITY_BY_LABEL)
    return next(values, None)


def latest_kind(tracker: Tracker) -> str | None:
    """question | request | both | followup | statement (bot/components/message_kind.py)."""
    return tracker.latest_message.get("message_kind")


def latest_topic(tracker: Tracker) -> str | None:
    """The form intent a question was about (燃气坏了报修一般几个小时上门 → report_fault), or None."""
    return tracker.latest_message.get("asked_about")


def conversation_company(tracker: Tracker) -> str | None:
    """The company whose promises this customer gets: named in this message, named earlier in the conversation,
    or bound by the channel (the message metadata {"company": id} that started the session)."""
    return company_in_text(latest_text(tracker)) or bound_company(tracker)


def bound_company(tracker: Tracker) -> str | None:
    """The company this conversation is bound to: named earlier (the company slot) or by the channel."""
    if tracker.get_slot(COMPANY_SLOT):
        return tracker.get_slot(COMPANY_SLOT)
    metadata = tracker.get_slot("session_started_metadata") or {}
    bound = metadata.get("company") if isinstance(metadata, dict) else None
    return bound if isinstance(bound, str) and bound in companies() else None


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the customer's latest messages in a row the NLU could not place."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


def answered_just_before(tracker: Tracker) -> bool:
    """The assistant's last action before the customer's latest message was a handbook answer."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name") == "action_answer_knowledge"
    return False

