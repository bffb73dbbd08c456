"""Hand the conversation to a human agent: the gateway queues it with a packet (docs/api_contract.md, POST
/internal/handoffs) so the agent sees who the customer is, what they wanted and what was said."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import FORM_TYPES, HANDOFF_REASON, NO_ACCOUNT, recent_form
from bot.actions.gateway_client import GatewayClient, GatewayError, channel_of

logger = logging.getLogger(__name__)

SHANGHAI = timezone(timedelta(hours=8))  # no daylight saving time
TRANSCRIPT_LENGTH = 30
RECENT_INTENTS = 5
REASONS = {"request_human": "客户要求转人工", "repeated_fallback": "多次没能理解客户", "complaint_escalation": "投诉升级",
           "emergency": "紧急险情", "form_failed": "工单登记没能完成"}
INTENT_LABELS = {"ask_fee": "咨询收费", "ask_payment": "咨询缴费", "ask_process": "咨询业务办理", "ask_channel": "咨询服务渠道",
                 "ask_outage": "咨询停气停电停暖", "report_fault": "报修", "report_emergency": "紧急险情",
                 "apply_installation": "报装", "file_complaint": "投诉", "check_ticket": "查询工单"}
FORM_LABELS = {"repair_form": "报修", "installation_form": "报装", "complaint_form": "投诉"}
# Bookkeeping the agent does not need to see.
INTERNAL_SLOTS = {"requested_slot", "session_started_metadata", "kb_pending_question", "kb_pending_intent",
                  "kb_last_entry", "invalid_answers", "handoff_requested", HANDOFF_REASON, "contact_phone_masked"}


def _at(timestamp: Any) -> str | None:
    try:
        return datetime.fromtimestamp(float(timestamp), SHANGHAI).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    """The last 30 customer and bot messages."""
    lines = [{"role": "customer" if e["event"] == "user" else "bot", "text": e.get("text"),
              "at": _at(e.get("timestamp"))}
             for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text")]
    return lines[-TRANSCRIPT_LENGTH:]


def recent_intents(tracker: Tracker) -> list[dict[str, Any]]:
    intents = []
    for event in tracker.events:
        intent = ((event.get("parse_data") or {}).get("intent") or {}) if event.get("event") == "user" else {}
        if intent.get("name"):
            intents.append({"intent": intent["name"], "confidence": round(float(intent.get("confidence") or 0), 3),
                            "text": event.get("text")})
    return intents[-RECENT_INTENTS:]


def filled_slots(tracker: Tracker) -> dict[str, Any]:
    return {name: value for name, value in tracker.current_slot_values().items()
            if value is not None and name not in INTERNAL_SLOTS}


def customer(tracker: Tracker) -> dict[str, Any]:
    account = tracker.get_slot("account_no")
    return {"phone": tracker.get_slot("contact_phone") or tracker.get_slot("phone"),
            "account_no": None if account == NO_ACCOUNT else account,
            "address": tracker.get_slot("address")}


def summary(tracker: Tracker, reason: str, tickets: list[dict[str, Any]]) -> str:
    """Two lines for the agent's queue: why and about what; what the customer said last."""
    form = tracker.active_loop.get("name") if tracker.active_loop else None
    form = form if form in FORM_TYPES else recent_form(tracker)
    utility = tracker.get_slot("utility") or ""
    if form:
        topic = f"{utility}{FORM_LABELS[form]}" + ("（登记中）" if form == (tracker.active_loop or {}).get("name") else "")
    else:
        intents = [i["intent"] for i in recent_intents(tracker) if i["intent"] in INTENT_LABELS]
        topic = utility + INTENT_LABELS[intents[-1]] if intents else "未说明诉求"
    last = next((e.get("text") for e in reversed(tracker.events) if e.get("event") == "user" and e.get("text")), "")
    second = f"客户最后说：“{last[:80]}”"
    if tickets:
        second += "；工单 " + "、".join(t["ticket_no"] for t in tickets)
    return f"{REASONS.get(reason, reason)}；{topic}\n{second}"[:500]


def handoff_packet(tracker: Tracker, reason: str, priority: str = "normal",
                   tickets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if tickets is None:
        last = tracker.get_slot("last_ticket_no")
        tickets = [{"ticket_no": last}] if last else []
    return {"conversation_id": tracker.sender_id, "channel": channel_of(tracker.sender_id), "reason": reason,
            "priority": priority, "customer": customer(tracker), "recent_intents": recent_intents(tracker),
            "slots": filled_slots(tracker), "tickets": tickets, "summary": summary(tracker, reason, tickets),
            "transcript": transcript(tracker)}


async def send_handoff(packet: dict[str, Any], client: GatewayClient | None = None) -> dict[str, Any] | None:
    """The gateway's answer ({handoff_id, queue_position, working_hours}), or None when it failed."""
    try:
        return await (client or GatewayClient()).hand_off(packet)
    except GatewayError as error:
        logger.warning("handoff for %s failed: %s", packet.get("conversation_id"), error)
        return None


async def request_human(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str | None = None,
                        priority: str = "normal") -> list[EventType]:
    """Queue the conversation for an agent and tell the customer where they stand; on failure say so, and
    promise nothing."""
    reason = reason or tracker.get_slot(HANDOFF_REASON) or "request_human"
    answer = await send_handoff(handoff_packet(tracker, reason, priority))
    if answer is None:
        dispatcher.utter_message(response="utter_handoff_failed")
        return [SlotSet(HANDOFF_REASON, None)]
    position = answer.get("queue_position")
    if answer.get("working_hours") is False:
        dispatcher.utter_message(response="utter_handoff_after_hours")
    elif isinstance(position, int) and position > 0:
        dispatcher.utter_message(response="utter_handoff_pending", queue_position=position)
    else:
        dispatcher.utter_message(response="utter_handoff_queued")
    return [SlotSet("handoff_requested", True), SlotSet(HANDOFF_REASON, None)]


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return await request_human(dispatcher, tracker)
