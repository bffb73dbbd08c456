"""Ticket status for the customer of this conversation. The gateway only returns the customer's own tickets;
a number that is not theirs gets the same answer as a number that does not exist."""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.create_ticket import KINDS
from bot.actions.forms import HUMAN_BUTTON
from bot.actions.gateway_client import GatewayClient, GatewayError
from bot.actions.identity import FORM as IDENTITY_FORM
from bot.actions.identity import OTHER_CHANNEL, identity_prompt_events, ticket_no_in
from bot.actions.tracker_view import latest_entity, latest_text

logger = logging.getLogger(__name__)
# 抢修进展在哪能看到？ 报装进度怎么查？: a question about where progress is published, not only a lookup of one ticket
ASKS_WHERE_PROGRESS = re.compile(r"(?:哪里?|哪儿|怎么|如何|什么地方|啥地方|能不能|可不可以|能否).{0,4}(?:看|查|知道)"
                                 r"|(?:看|查)(?:得到|得着)|在哪")
PROGRESS = re.compile(r"进度|进展|到哪一?步|办到哪")

def describe(ticket: dict[str, Any]) -> str:
    due = f"，承诺{ticket['due_text']}处理" if ticket.get("due_text") else ""
    return f"{ticket['ticket_no']}（{KINDS.get(ticket.get('type') or '', '工单')}）：{ticket.get('status') or '状态未知'}{due}"


def latest_note(ticket: dict[str, Any]) -> str | None:
    notes = [h.get("note") for h in ticket.get("history") or [] if h.get("note")]
    return notes[-1] if notes else None


class ActionCheckTicket(Action):
    def name(self) -> str:
        return "action_check_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        number = ticket_no_in(latest_entity(tracker, "ticket_no"), latest_text(tracker))
        try:
            tickets = await GatewayClient().tickets_for(tracker.sender_id, number)
        except GatewayError as error:
            logger.warning("ticket lookup for %s failed: %s", tracker.sender_id, error)
            dispatcher.utter_message(response="utter_ticket_lookup_failed", buttons=[HUMAN_BUTTON])
            return []
        if number:
            mine = [t for t in tickets if t.get("ticket_no") == number]
            if not mine:  # not this customer's here; it may be theirs from a phone call: prove it
                dispatcher.utter_message(response="utter_ticket_not_found", ticket_no=number)
                return [*identity_prompt_events(f"ticket_no:{number}"), FollowupAction(IDENTITY_FORM)]
            note = latest_note(mine[0])
            dispatcher.utter_message(text="工单" + describe(mine[0]) + (f"。\n最新进展：{note}" if note else "。"))
            return []
        if not tickets:  # 我在电话里报的修: the ticket belongs to another channel's identity
            answered = self._where_progress_is_published(dispatcher, tracker)
            dispatcher.utter_message(response="utter_no_tickets_here")
            return [*answered, *identity_prompt_events(), FollowupAction(IDENTITY_FORM)]
        lines = [f"{i}. {describe(t)}" for i, t in enumerate(tickets[:5], start=1)]
        elsewhere = "\n如果要查在电话里或其他渠道登记的工单，请说“验证身份”。" if OTHER_CHANNEL.search(
            latest_text(tracker)) else ""
        dispatcher.utter_message(text="您最近的工单：\n" + "\n".join(lines) + elsewhere)
        return []

    @staticmethod
    def _where_progress_is_published(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """A customer with no ticket here who asks where progress can be seen (抢修进展在哪能看到？) first reads where
        the handbook says it is published (SMS, the website…), then how to find a ticket registered elsewhere."""
        text = latest_text(tracker)
        if not (PROGRESS.search(text) and ASKS_WHERE_PROGRESS.search(text)):   # 能不能查一下我的工单: a lookup only
            return []
        from bot.actions.answer_knowledge import ActionAnswerKnowledge  # it imports this module's describe

        return ActionAnswerKnowledge(offer_forms=False).answer(dispatcher, tracker, text, "ask_process",
                                                               admit_ignorance=False) or []
