"""Ticket status for the customer of this conversation. The gateway only returns the customer's own tickets;
a number that is not theirs gets the same answer as a number that does not exist."""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.create_ticket import KINDS
from bot.actions.forms import HUMAN_BUTTON
from bot.actions.gateway_client import GatewayClient, GatewayError
from bot.actions.tracker_view import latest_entity, latest_text

logger = logging.getLogger(__name__)

# Also as typed or transcribed with spaces: bx 2026 1123 0007.
_TICKET_NO = re.compile(r"(?<![A-Za-z])(BX|BZ|TS|HD)\s*-?\s*(\d{4})\s*(\d{4})\s*-?\s*(\d{4})(?!\d)", re.IGNORECASE)


def ticket_no_in(*texts: str | None) -> str | None:
    """The canonical number (BX20261123-0007) from the entity or the text."""
    for text in texts:
        match = _TICKET_NO.search(text or "")
        if match:
            prefix, *digits = match.groups()
            return f"{prefix.upper()}{digits[0]}{digits[1]}-{digits[2]}"
    return None


def describe(ticket: dict[str, Any]) -> str:
    due = f"，承诺{ticket['due_text']}处理" if ticket.get("due_text") else ""
    return f"{ticket['ticket_no']}（{KINDS.get(ticket.get('type'), '工单')}）：{ticket.get('status') or '状态未知'}{due}"


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
            if not mine:
                dispatcher.utter_message(response="utter_ticket_not_found", ticket_no=number, buttons=[HUMAN_BUTTON])
                return []
            note = latest_note(mine[0])
            dispatcher.utter_message(text="工单" + describe(mine[0]) + (f"。\n最新进展：{note}" if note else "。"))
            return []
        if not tickets:
            dispatcher.utter_message(response="utter_no_tickets", buttons=[HUMAN_BUTTON])
            return []
        lines = [f"{i}. {describe(t)}" for i, t in enumerate(tickets[:5], start=1)]
        dispatcher.utter_message(text="您最近的工单：\n" + "\n".join(lines))
        return []
