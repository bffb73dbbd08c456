"""Registers the ticket of a confirmed form with the gateway and tells the customer its number, the promised
date with its source, and what happens next. A ticket the gateway did not confirm is never announced.

When the gateway cannot be reached or fails (a database or network outage), nothing is lost and nothing is
doubled: the form's answers stay in the conversation, the customer is told plainly and offered a one-tap
retry ("重新提交"), and the retry sends the same idempotency key, so a first attempt that did reach the
database (its answer lost on the way back) returns the same ticket instead of a second one."""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import FORM_SLOTS, FORM_TYPES, NO_ACCOUNT, recent_form, ticket_company_of
from bot.actions.gateway_client import GatewayClient, GatewayError, channel_of
from bot.actions.handoff import request_human
from bot.actions.knowledge_base import utility_code
from core.ids import grouped_ticket_no

logger = logging.getLogger(__name__)

KINDS = {"repair": "报修", "installation": "报装申请", "complaint": "投诉"}
NEXT_STEPS = {"repair": "utter_ticket_next_repair", "installation": "utter_ticket_next_installation",
              "complaint": "utter_ticket_next_complaint"}
CUSTOMER_TYPES = {"residential": "居民", "non_residential": "非居民"}
RETRY_SLOT = "ticket_retry"
SHANGHAI = timezone(timedelta(hours=8))
COMPANY_NAMES = {"kunlun": "昆仑燃气", "tianfu": "天富热电", "grid": "国家电网"}


def latest_user_event(tracker: Tracker) -> dict[str, Any]:
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})


def idempotency_key(tracker: Tracker, purpose: str, body: dict[str, Any]) -> str:
    """<conversation>:<form or purpose>:<China date>:<hash of the request>. The same request from the same
    conversation on the same day is one ticket however often it is sent: a retried action run, the customer's
    "重新提交" after an outage, or Rasa processing a message again after its tracker could not be saved."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:24]
    day = datetime.now(SHANGHAI).strftime("%Y%m%d")
    return f"{tracker.sender_id[:150]}:{purpose}:{day}:{digest}"


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
            "external_pipeline": external if isinstance(external, bool) else None,
            # whose promises: the company the customer chose in an unbound conversation (a bound one's wins)
            "company": ticket_company_of(tracker),
            "area": tracker.get_slot("service_area") if kind == "repair" else None}


def installation_description(tracker: Tracker) -> str:
    text = f"{CUSTOMER_TYPES.get(tracker.get_slot('customer_type') or '', '')}{tracker.get_slot('utility') or ''}报装"
    if tracker.get_slot("external_pipeline") is True:
        text += "，需要从楼外接入燃气管道"
    return text


def ticket_text(ticket: dict[str, Any]) -> str:
    """Number (also in groups) and promised date with its source; no date when the gateway gave none."""
    number = ticket["ticket_no"]
    lines = [f"您的{KINDS.get(ticket.get('type') or '', '工单')}已经登记好了，工单号是 {number}（{grouped_ticket_no(number)}）。"]
    sla = ticket.get("sla") or {}
    citation = f"（{sla['citation']}）" if sla.get("citation") else ""
    if ticket.get("due_text") and not ticket.get("due_at"):   # an installation: the clock starts with its conditions
        lines.append(f"按服务承诺，{ticket['due_text']}{citation}。")
    elif ticket.get("due_text"):
        lines.append(f"按服务承诺，会在{ticket['due_text']}{promised_step(sla.get('limit_id'))}{citation}。")
    elif ticket.get("company") in COMPANY_NAMES:   # no limit published for it (a Tianfu repair): none is invented
        lines.append(f"这类工单{COMPANY_NAMES[ticket['company']]}没有公布处理时限，具体时间工作人员联系您时会告诉您。")
    else:   # whose customer is not known: no company's figure is presented as theirs
        lines.append("处理时限以您所在供应公司的规定为准，工作人员联系您时会告诉您具体时间。")
    return "\n".join(lines)


def promised_step(limit_id: str | None) -> str:
    """What the time limit promises: arrival on site (95598 repairs), a reply (complaints), or handling."""
    limit_id = limit_id or ""
    if "repair_arrival" in limit_id:
        return "到达现场"
    if "reply" in limit_id:
        return "答复您"
    return "处理"


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
        body = ticket_body(tracker, form)
        try:
            ticket = await GatewayClient().create_ticket(body, idempotency_key(tracker, form, body))
        except GatewayError as error:
            logger.warning("ticket for %s not registered: %r", tracker.sender_id, error)
            if error.transient:
                # An outage: the answers stay, the customer's next "确认" tries again with the same key.
                dispatcher.utter_message(response="utter_ticket_not_registered")
                return [SlotSet(RETRY_SLOT, True)]
            # The gateway refused the request itself: a person takes it, with the answers in the packet.
            dispatcher.utter_message(response="utter_ticket_refused")
            return [SlotSet("ticket_confirmed", None), SlotSet(RETRY_SLOT, None),
                    *await request_human(dispatcher, tracker, reason="form_failed")]
        dispatcher.utter_message(text=ticket_text(ticket))
        events = [SlotSet("last_ticket_no", ticket["ticket_no"]), SlotSet(RETRY_SLOT, None),
                  *(SlotSet(slot, None) for slot in FORM_SLOTS)]
        if FORM_TYPES[form] == "complaint" and await escalates(tracker, ticket["ticket_no"]):
            dispatcher.utter_message(response="utter_complaint_escalated")
            return events + await request_human(dispatcher, tracker, reason="complaint_escalation", priority="urgent")
        dispatcher.utter_message(response=NEXT_STEPS[FORM_TYPES[form]])
        return events
