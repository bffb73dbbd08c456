"""Answers questions from the handbook knowledge base, or asks which utility or topic is meant.

Every answer is an entry's text with its source; when the search is unsure the customer gets choices, and
when nothing fits the assistant says so rather than guessing.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.knowledge_base import knowledge_base, knowledge_search, utility_code
from bot.actions.tracker_view import latest_entity, latest_intent, latest_text
from knowledge.fraud import mentions_suspicious_payment
from knowledge.model import UTILITY_LABELS, Entry
from knowledge.render import answer_text, anti_fraud_reminder, fraud_warning
from knowledge.search import Decision, Outcome

PENDING_QUESTION = "kb_pending_question"
PENDING_INTENT = "kb_pending_intent"
QUESTION_INTENTS = {"ask_fee", "ask_payment", "ask_process", "ask_channel", "ask_outage",
                    "report_fault", "apply_installation", "file_complaint"}
HUMAN_BUTTON = {"title": "转人工客服", "payload": "/request_human"}


def _clear_pending() -> list[EventType]:
    return [SlotSet(PENDING_QUESTION, None), SlotSet(PENDING_INTENT, None)]


class ActionAnswerKnowledge(Action):
    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent = latest_intent(tracker)
        chosen = latest_entity(tracker, "kb_entry")
        if chosen and chosen in knowledge_base().by_id:
            return self._answer(dispatcher, knowledge_base().by_id[chosen]) + _clear_pending()

        question, question_intent = latest_text(tracker), intent
        pending = tracker.get_slot(PENDING_QUESTION)
        if intent not in QUESTION_INTENTS:
            if not pending:
                dispatcher.utter_message(response="utter_noted_ask_question")
                return []
            question, question_intent = pending, tracker.get_slot(PENDING_INTENT)

        if mentions_suspicious_payment(question):
            dispatcher.utter_message(text=fraud_warning(knowledge_base()))
            return _clear_pending()

        return self.answer(dispatcher, tracker, question, question_intent)

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str,
               intent: str | None, *, admit_ignorance: bool = True) -> list[EventType] | None:
        """Answers, clarifies or admits ignorance; with admit_ignorance=False sends nothing when nothing fits
        and returns None."""
        utility = utility_code(latest_entity(tracker, "utility") or tracker.get_slot("utility"))
        business = latest_entity(tracker, "business") or tracker.get_slot("business")
        decision = knowledge_search().decide(question, utility=utility, business=business, intent=intent)
        if decision.outcome is Outcome.NOTHING and not admit_ignorance:
            return None
        return self._respond(dispatcher, decision, question, intent)

    def _respond(self, dispatcher: CollectingDispatcher, decision: Decision, question: str,
                 intent: str | None) -> list[EventType]:
        if decision.outcome is Outcome.ANSWER:
            return self._answer(dispatcher, decision.entry) + _clear_pending()
        if decision.outcome is Outcome.ASK_UTILITY:
            buttons = [{"title": UTILITY_LABELS[u], "payload": f'/inform{{"utility": "{UTILITY_LABELS[u]}"}}'}
                       for u in decision.utilities]
            names = "、".join(UTILITY_LABELS[u] for u in decision.utilities)
            dispatcher.utter_message(text=f"这个问题{names}的规定不一样。请问您问的是哪一项？", buttons=buttons)
            return [SlotSet(PENDING_QUESTION, question), SlotSet(PENDING_INTENT, intent)]
        if decision.outcome is Outcome.ASK_ENTRY:
            buttons = [{"title": self._choice_title(h.entry), "payload": f'/inform{{"kb_entry": "{h.entry.id}"}}'}
                       for h in decision.hits]
            dispatcher.utter_message(text="您想了解的是下面哪一项？", buttons=buttons)
            return [SlotSet(PENDING_QUESTION, question), SlotSet(PENDING_INTENT, intent)]
        dispatcher.utter_message(response="utter_knowledge_not_found", buttons=[HUMAN_BUTTON])
        return _clear_pending()

    @staticmethod
    def _choice_title(entry: Entry) -> str:
        return f"{entry.utility_label}：{entry.title}" if entry.utility_label else entry.title

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, entry: Entry) -> list[EventType]:
        text = answer_text(entry)
        if entry.intent == "ask_payment":
            text += "\n" + anti_fraud_reminder(knowledge_base())
        dispatcher.utter_message(text=text)
        return [SlotSet("kb_last_entry", entry.id)]
