"""action_ask_ticket_company: in a conversation no channel bound to a company, a ticket for a utility that several
companies serve (燃气: 昆仑燃气 and 天富热电; 电力: 国家电网 and 天富热电) asks whose customer this is, since
each company promises its own time limits. "不清楚" is an answer too: the ticket then promises no time limit."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import companies_serving
from knowledge.companies import companies

DONT_KNOW = {"title": "不清楚", "payload": "不清楚"}


class ActionAskTicketCompany(Action):
    def name(self) -> str:
        return "action_ask_ticket_company"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        utility = tracker.get_slot("utility") or ""
        names = [companies()[company].name for company in companies_serving(utility)]
        dispatcher.utter_message(
            text=f"请问您的{utility}是哪家公司供应的？{'、'.join(names)}的办理时限不一样，我按您所在公司的规定登记。"
                 "不清楚也没关系。",
            buttons=[*({"title": name, "payload": name} for name in names), DONT_KNOW])
        return []
