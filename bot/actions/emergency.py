"""Safety first: a danger report gets instructions at once, whatever the conversation was about."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.tracker_view import latest_entity, latest_text
from bot.components.hazard_patterns import Hazard, detect_hazard

SAFETY_RESPONSES = {
    Hazard.GAS_LEAK: "utter_safety_gas_leak",
    Hazard.POISONING: "utter_safety_poisoning",
    Hazard.FIRE: "utter_safety_fire",
    Hazard.LIVE_WIRE: "utter_safety_live_wire",
    Hazard.HOT_WATER: "utter_safety_hot_water",
}
DEFAULT_BY_UTILITY = {"电力": Hazard.LIVE_WIRE, "供热": Hazard.HOT_WATER}
NEXT_STEPS = {
    Hazard.LIVE_WIRE: "utter_emergency_next_electricity",
    Hazard.HOT_WATER: "utter_emergency_next_heat",
}


def hazard_of(text: str, utility: str | None) -> Hazard:
    """The hazard the customer describes; a gas leak when they only said it is urgent."""
    return detect_hazard(text) or DEFAULT_BY_UTILITY.get(utility or "", Hazard.GAS_LEAK)


class ActionReportEmergency(Action):
    def name(self) -> str:
        return "action_report_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        hazard = hazard_of(latest_text(tracker), latest_entity(tracker, "utility"))
        dispatcher.utter_message(response=SAFETY_RESPONSES[hazard])
        dispatcher.utter_message(response=NEXT_STEPS.get(hazard, "utter_emergency_next_gas"))
        # Whatever was being clarified before is moot now.
        return [SlotSet("hazard", hazard.value), SlotSet("handoff_requested", True), SlotSet("kb_pending_question", None),
                SlotSet("kb_pending_intent", None)]
