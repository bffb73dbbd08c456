"""When the assistant cannot place a message: ask once to rephrase, then offer a human."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.tracker_view import consecutive_fallbacks

TOPIC_BUTTONS = [
    {"title": "怎么缴费", "payload": "/ask_payment"},
    {"title": "报修", "payload": "/report_fault"},
    {"title": "营业厅和热线", "payload": "/ask_channel"},
    {"title": "转人工客服", "payload": "/request_human"},
]


class ActionHandleFallback(Action):
    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(response="utter_fallback_offer_human",
                                     buttons=[{"title": "转人工客服", "payload": "/request_human"}])
            return []
        dispatcher.utter_message(response="utter_ask_rephrase", buttons=TOPIC_BUTTONS)
        return []
