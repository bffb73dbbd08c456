"""A message taken as unrelated to the utilities. Said as before; when it names a utility or a thing of the
service (a meter, a card, a bill, a fee…) it is noted as an unanswered question for the operators' inbox: the
customer probably asked something the assistant should know ("预付费卡丢了咋办")."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import annotate
from bot.actions.answer_knowledge import answer_followup
from bot.actions.forms import utilities_in_text
from bot.actions.knowledge_base import utility_code
from bot.actions.tracker_view import latest_text
from core.turns import UnansweredReason

SERVICE_WORDS = re.compile(r"表|卡|费|账单|户号|缴|充值|抄|阀|管道|营业厅|热线|师傅|上门")


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        followup = answer_followup(dispatcher, tracker)  # 农村的话多久, after an answer: about that answer
        if followup is not None:
            return followup
        text = latest_text(tracker)
        named = utilities_in_text(text)
        note = annotate.unanswered(UnansweredReason.OUT_OF_SCOPE, utility=utility_code(named[0]) if named else None) \
            if named or SERVICE_WORDS.search(text) else None
        dispatcher.utter_message(response="utter_out_of_scope", json_message=note)
        return []
