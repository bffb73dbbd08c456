"""Registers the ticket of a confirmed form with the gateway and tells the customer its number, the promised
date with its source, and what happens next. A ticket the gateway did not confirm is never announced."""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import FORM_SLOTS, FORM_TYPES, NO_ACCOUNT, recent_form
from bot.actions.gateway_client import GatewayClient, GatewayError, channel_of
from bot.actions.handoff import request_human
from bot.actions.knowledge_base import utility_code

logger = logging.getLogger(__name__)

KINDS = {"repair": "报修", "installation": "报装申请", "complaint": "投诉"}
NEXT_STEPS = {"repair": "utter_ticket_next_repair", "installation": "utter_ticket_next_installation",
              "complaint": "utter_ticket_next_complaint"}
CUSTOMER_TYPES = {"residential": "居民", "non_residential": "非居民"}
_CN_DIGITS = dict(zip("0123456789", "零一二三四五六七八九"))


def latest_user_event(tracker: Tracker) -> dict[str, Any]:
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})


def idempotency_key(tracker: Tracker, purpose: str) -> str:
    """<conversation>:<form or purpose>:<message_id of the latest user message>: a retried run of the same turn
    sends the same key, so the gateway returns the same ticket instead of a second one."""
    event = latest_user_event(tracker)
    message_id = event.get("message_id") or (event.get("parse_data") or {}).get("message_id") \
        or f"t{event.get('timestamp')}"
    return f"{tracker.sender_id}:{purpose}:{message_id}"[:200]


def spoken_ticket_no(ticket_no: str, channel: str = "web") -> str:
    """BX20261123-0007 in groups a customer can note down: BX 2026 1123 0007; digit by digit on the phone
    (a voice would otherwise read 2026 as a number)."""
    match = re.fullmatch(r"([A-Z]+)(\d{4})(\d{4})-?(\d+)", ticket_no or "")
    if not match:
        return ticket_no
    letters, *groups = match.groups()
    if channel == "voice":
        return "，".join([" ".join(letters), *("".join(_CN_DIGITS[d] for d in g) for g in groups)])
    return " ".join([letters, *groups])


def ticket_body(tracker: Tracker, form: str) -> dict[str, Any]:
    kind = FORM_TYPES[form]
    account = tracker.get_slot("account_no")
    customer_type = tracker.get_slot("customer_type") if kind == "installation" else None
    external = tracker.get_slot("external_pipeline") if customer_type == "non_residential" else None
    return {"type": kind, "utility": utility_code(tracker.get_slot("utility")),
            "conversation_id": tracker.sender_id, "channel": channel_of(tracker.sender_id),
            "contact_phone": tracker.get_slot("contact_phone"),
            "account_no": account if account and account != NO_ACCOUNT else None,
            "address": tracker.get_slot("address") or None,
            "description": tracker.get_slot("description") or installation_description(tracker),
            "priority": "normal", "customer_type": customer_type,
            "external_pipeline": external if isinstance(external, bool) else None}


def installation_description(tracker: Tracker) -> str:
    text = f"{CUSTOMER_TYPES.get(tracker.get_slot('customer_type') or '', '')}{tracker.get_slot('utility') or ''}报装"
    if tracker.get_slot("external_pipeline") is True:
        text += "，需要从楼外接入燃气管道"
    return text


def ticket_text(ticket: dict[str, Any], channel: str) -> str:
    """Number (also in spoken groups) and promised date with its source; no date when the gateway gave none."""
    number = ticket["ticket_no"]
    lines = [f"您的{KINDS.get(ticket.get('type'), '工单')}已经登记好了，工单号是 {number}（{spoken_ticket_no(number, channel)}）。"]
    sla = ticket.get("sla") or {}
    if ticket.get("due_text"):
        citation = f"（{sla['citation']}）" if sla.get("citation") else ""
        lines.append(f"按服务承诺，会在{ticket['due_text']}处理{citation}。")
    else:
        lines.append("具体处理时间，工作人员联系您时会告诉您。")
    return "\n".join(lines)


async def escalates(tracker: Tracker, new_ticket_no: str) -> bool:
    """A complaint escalates when the customer already has another complaint on record or a request that
    is past its promised date: a second complaint about the same failure goes to a person at once."""
    try:
        tickets = await GatewayClient().tickets_for(tracker.sender_id)
    except GatewayError:
        return False
    others = [t for t in tickets if t.get("ticket_no") != new_ticket_no]
    return any(t.get("type") == "complaint" or t.get("overdue") for t in others)


class ActionCreateTicket(Action):
    def name(self) -> str:
        return "action_create_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        form = recent_form(tracker)
        if form is None or tracker.get_slot("ticket_confirmed") is not True:
            dispatcher.utter_message(response="utter_ticket_not_confirmed")
            return []
        try:
            ticket = await GatewayClient().create_ticket(ticket_body(tracker, form), idempotency_key(tracker, form))
        except GatewayError as error:
            logger.warning("ticket for %s not registered: %r", tracker.sender_id, error)
            dispatcher.utter_message(response="utter_ticket_not_registered")
            # The slots stay (the agent sees them in the packet); a new readback is needed before another try.
            return [SlotSet("ticket_confirmed", None), *await request_human(dispatcher, tracker, reason="form_failed")]
        dispatcher.utter_message(text=ticket_text(ticket, channel_of(tracker.sender_id)))
        events = [SlotSet("last_ticket_no", ticket["ticket_no"]), *(SlotSet(slot, None) for slot in FORM_SLOTS)]
        if FORM_TYPES[form] == "complaint" and await escalates(tracker, ticket["ticket_no"]):
            dispatcher.utter_message(response="utter_complaint_escalated")
            return events + await request_human(dispatcher, tracker, reason="complaint_escalation", priority="urgent")
        dispatcher.utter_message(response=NEXT_STEPS[FORM_TYPES[form]])
        return events
