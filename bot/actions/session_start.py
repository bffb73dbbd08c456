"""action_session_start: Rasa's own session start, plus one plain sentence when the conversation was cut off.

With every message the gateway sends when this customer's previous message arrived (metadata
`previous_message_at`, seconds since the epoch). A brand-new tracker for a customer who wrote minutes ago means
the assistant's memory of the conversation was lost (Redis restarted without its data, or failed over to an
empty replica): the customer is told so and asked to say again what they need, instead of meeting an assistant
that silently forgot the form they were filling in."""
from __future__ import annotations

import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

METADATA_SLOT = "session_started_metadata"


def conversation_was_lost(tracker: Tracker, domain: dict[str, Any], now: float) -> bool:
    """The customer wrote within the session's lifetime, yet the tracker holds none of their messages. An
    expired session keeps its earlier messages, so a customer returning the next day is not told anything."""
    metadata = tracker.get_slot(METADATA_SLOT) or {}
    previous = metadata.get("previous_message_at") if isinstance(metadata, dict) else None
    if isinstance(previous, bool) or not isinstance(previous, (int, float)):
        return False
    if any(event.get("event") == "user" for event in tracker.events):
        return False
    lifetime_minutes = (domain.get("session_config") or {}).get("session_expiration_time") or 60
    return 0 <= now - previous < lifetime_minutes * 60


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            events += [SlotSet(name, value) for name, value in tracker.current_slot_values().items()
                       if value is not None]
        else:
            events.append(SlotSet(METADATA_SLOT, tracker.get_slot(METADATA_SLOT)))
        if conversation_was_lost(tracker, domain, time.time()):
            dispatcher.utter_message(response="utter_conversation_lost")
        events.append(ActionExecuted("action_listen"))
        return events
