"""A message taken as unrelated to the utilities. Said as before; when it names a utility it is noted as an
unanswered question for the operators' inbox (the customer probably asked something the assistant should know)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.annotate import note_unanswered
from bot.actions.forms import utilities_in_text
from bot.actions.knowledge_base import utility_code
from bot.actions.tracker_view import latest_text
from core.turns import UnansweredReason


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_out_of_scope")
        named = utilities_in_text(latest_text(tracker))
        if named:
            note_unanswered(dispatcher, UnansweredReason.OUT_OF_SCOPE, utility=utility_code(named[0]))
        return []
