"""When the assistant cannot place a message: try the handbook if it looked like a question, otherwise ask
once to rephrase, then offer a human, and at the third miss in a row hand over to one."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import annotate
from bot.actions.answer_knowledge import QUESTION_INTENTS, ActionAnswerKnowledge, answer_followup
from bot.actions.handoff import request_human
from bot.actions.tracker_view import consecutive_fallbacks, latest_text
from core.turns import UnansweredReason

# Below this the classifier's best guess says nothing about what the customer wants.
QUESTION_GUESS_CONFIDENCE = 0.3

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
        answered = answer_followup(dispatcher, tracker) or self._try_handbook(dispatcher, tracker)
        if answered is not None:
            return answered
        note = annotate.unanswered(UnansweredReason.FALLBACK)
        misunderstood = consecutive_fallbacks(tracker)
        if misunderstood >= 3:
            return await request_human(dispatcher, tracker, reason="repeated_fallback")
        if misunderstood == 2:
            dispatcher.utter_message(response="utter_fallback_offer_human",
                                     buttons=[{"title": "转人工客服", "payload": "/request_human"}], json_message=note)
            return [SlotSet("handoff_reason", "repeated_fallback")]
        dispatcher.utter_message(response="utter_ask_rephrase", buttons=TOPIC_BUTTONS, json_message=note)
        return []

    @staticmethod
    def _try_handbook(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        """A question torn between two question intents (投诉多久给答复: ask_process or file_complaint?) is
        still a question the handbook may answer; the search, not the classifier, decides."""
        ranking = [r for r in tracker.latest_message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        if not ranking or ranking[0]["name"] not in QUESTION_INTENTS or \
                ranking[0]["confidence"] < QUESTION_GUESS_CONFIDENCE:
            return None
        return ActionAnswerKnowledge().answer(dispatcher, tracker, latest_text(tracker), None, admit_ignorance=False)
