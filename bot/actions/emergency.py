"""Safety first: a danger report gets instructions at once, whatever the conversation was about; then a
top-priority repair ticket and an immediate handoff. The instructions never depend on the gateway.

A message that also asks something the safety advice does not answer (燃气漏气和停电报修分别多久到？, a story
ending in 按规定多久该到现场？) gets the handbook's answer after it. A danger only imagined (如果闻到燃气味怎么办)
gets the advice and the answer, and a button to report it as happening now, instead of a ticket and an agent.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.answer_knowledge import ActionAnswerKnowledge
from bot.actions.create_ticket import grouped_ticket_no, idempotency_key, latest_user_event
from bot.actions.forms import parse_address, parse_phone, utilities_in_text
from bot.actions.gateway_client import GatewayClient, GatewayError, channel_of
from bot.actions.handoff import handoff_packet, send_handoff
from bot.actions.knowledge_base import utility_code
from bot.actions.tracker_view import conversation_company, latest_entity, latest_text
from bot.components.message_kind_patterns import asks_something
from core.hazards import Hazard, detect_hazard, imagined
from core.masking import mask_text

logger = logging.getLogger(__name__)

SAFETY_RESPONSES = {
    Hazard.GAS_LEAK: "utter_safety_gas_leak",
    Hazard.POISONING: "utter_safety_poisoning",
    Hazard.FIRE: "utter_safety_fire",
    Hazard.ELECTRIC_SHOCK: "utter_safety_electric_shock",
    Hazard.LIVE_WIRE: "utter_safety_live_wire",
    Hazard.HOT_WATER: "utter_safety_hot_water",
}
DEFAULT_BY_UTILITY = {"电力": Hazard.LIVE_WIRE, "供热": Hazard.HOT_WATER}
# What happens next, and only the promise the customer's own company makes: 昆仑燃气's handbook promises that
# the emergency crew sets out at once; no other company's document gives an emergency time (天富热电's gas
# customers and unbound ones hear no promise), nor does any for a fire, an electrical or a heat emergency.
NEXT_STEPS = {"燃气": "utter_emergency_next_gas_general", "电力": "utter_emergency_next_electricity",
              "供热": "utter_emergency_next_heat"}
PROMISED_NEXT_STEPS = {("燃气", "kunlun"): "utter_emergency_next_gas",
                       # unbound: 昆仑燃气's promise quoted as its own, with other companies' rules left to them
                       ("燃气", ""): "utter_emergency_next_gas_unbound"}
FIRE_NEXT_STEPS = "utter_emergency_next_fire"
UTILITY_BY_HAZARD = {Hazard.ELECTRIC_SHOCK: "电力", Hazard.LIVE_WIRE: "电力",
                     Hazard.HOT_WATER: "供热"}  # gas leak, poisoning, fire: 燃气
# A fire or smell that the customer places at an electrical or heating installation belongs to that utility.
_SAYS_ELECTRICITY = re.compile(r"电表|电线|电缆|配电|变压器|电箱|电闸|插座|电路|电杆|电器")
_SAYS_HEAT = re.compile(r"暖气|供暖|采暖|供热|热力")
HOTLINES = {"燃气": "燃气公司的24小时抢险电话", "电力": "95598供电服务热线", "供热": "供热公司的24小时服务电话"}
PENDING = "待补充"
# Both gateway calls together stay well inside the gateway's own wait for Rasa's reply (10 s): a hanging
# gateway must not hold back the safety instructions that go out in the same reply.
EMERGENCY_CALL_SECONDS = 2.5
LONG_CHARS = 40   # a story around the danger, with a question of its own at the end
HAPPENING_NOW = {"title": "现在就有危险", "payload": "/report_emergency"}


def hazard_of(text: str, utility: str | None) -> Hazard:
    """The hazard the customer describes; a gas leak when they only said it is urgent."""
    return detect_hazard(text) or DEFAULT_BY_UTILITY.get(utility or "", Hazard.GAS_LEAK)


def emergency_utility(hazard: Hazard, text: str, entity: str | None) -> str:
    """Gas for a leak, poisoning or fire unless the customer names another utility; electricity for a live wire,
    heat for a burst hot-water pipe."""
    if hazard in UTILITY_BY_HAZARD:
        return UTILITY_BY_HAZARD[hazard]
    if entity in ("电力", "供热"):
        return entity
    if _SAYS_ELECTRICITY.search(text):
        return "电力"
    return "供热" if _SAYS_HEAT.search(text) else "燃气"


def emergency_ticket_body(tracker: Tracker, utility: str, text: str) -> dict[str, Any]:
    phone = parse_phone(str(tracker.get_slot("contact_phone") or tracker.get_slot("phone")
                            or latest_entity(tracker, "phone") or ""))
    address = parse_address(str(tracker.get_slot("address") or latest_entity(tracker, "address") or ""))
    return {"type": "repair", "utility": utility_code(utility), "conversation_id": tracker.sender_id,
            "channel": channel_of(tracker.sender_id), "contact_phone": phone or PENDING, "account_no": None,
            "address": address or PENDING, "description": mask_text(text or "紧急情况")[:1000], "priority": "emergency",
            "customer_type": None, "external_pipeline": None, "company": conversation_company(tracker)}


class ActionReportEmergency(Action):
    def name(self) -> str:
        return "action_report_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        text = latest_text(tracker) or latest_user_event(tracker).get("text") or ""
        hazard = hazard_of(text, latest_entity(tracker, "utility"))
        dispatcher.utter_message(response=SAFETY_RESPONSES[hazard])
        if imagined(text):
            return self._imagined(dispatcher, tracker, text, hazard)
        events = await self._report(dispatcher, tracker, text, hazard)
        if _asks_beyond_the_danger(text):
            events += _answer(dispatcher, tracker, text, hazard) or []
        return events

    @staticmethod
    def _imagined(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, hazard: Hazard) -> list[EventType]:
        events: list[EventType] = [SlotSet("hazard", hazard.value), SlotSet("kb_pending_question", None),
                                   SlotSet("kb_pending_intent", None)]
        events += _answer(dispatcher, tracker, text, hazard) or []
        dispatcher.utter_message(response="utter_emergency_if_happening_now", buttons=[HAPPENING_NOW])
        return events

    @staticmethod
    async def _report(dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                      hazard: Hazard) -> list[EventType]:
        utility = emergency_utility(hazard, text, latest_entity(tracker, "utility"))
        client = GatewayClient(timeout_seconds=EMERGENCY_CALL_SECONDS)
        ticket = None
        try:
            body = emergency_ticket_body(tracker, utility, text)
            ticket = await client.create_ticket(body, idempotency_key(tracker, "emergency", body))
        except GatewayError as error:
            logger.error("emergency ticket for %s not registered: %s", tracker.sender_id, error)
        tickets = [{"ticket_no": ticket["ticket_no"], "due_at": ticket.get("due_at")}] if ticket else []
        handed_off = await send_handoff(handoff_packet(tracker, "emergency", "emergency", tickets), client)

        events: list[EventType] = [SlotSet("hazard", hazard.value), SlotSet("kb_pending_question", None),
                                   SlotSet("kb_pending_intent", None)]
        if handed_off is not None:
            fire_elsewhere = hazard is Hazard.FIRE and utility != "燃气"   # an electrical fire, a fire at a radiator
            company = conversation_company(tracker)
            steps = PROMISED_NEXT_STEPS.get((utility, company or ""), NEXT_STEPS[utility])
            dispatcher.utter_message(response=FIRE_NEXT_STEPS if fire_elsewhere else steps)
            events.append(SlotSet("handoff_requested", True))
        if ticket:
            dispatcher.utter_message(response="utter_emergency_ticket_registered", ticket_no=ticket["ticket_no"],
                                     ticket_no_grouped=grouped_ticket_no(ticket["ticket_no"]))
            events.append(SlotSet("last_ticket_no", ticket["ticket_no"]))
        if handed_off is None:
            dispatcher.utter_message(response="utter_emergency_handoff_failed", hotline=HOTLINES[utility])
        return events


def _asks_beyond_the_danger(text: str) -> bool:
    """A question the safety advice and the ticket do not answer: about two utilities, or at the end of a story."""
    if not asks_something(text):
        return False
    return len(utilities_in_text(text)) > 1 or len(re.sub(r"\s+", "", text)) >= LONG_CHARS


def _answer(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, hazard: Hazard) -> list[EventType] | None:
    """The handbook's answer to the question asked with the danger, or nothing when no entry fits: for the
    danger's utility its emergency entry, for another utility named beside it (燃气漏了和停电了) its repair one."""
    utility = utility_code(emergency_utility(hazard, text, latest_entity(tracker, "utility")))
    answers = ActionAnswerKnowledge(offer_forms=False, intent_for={utility or "": "report_emergency"})
    return answers.answer(dispatcher, tracker, text, "report_fault", admit_ignorance=False)

