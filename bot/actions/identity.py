"""Tickets from another channel: a customer who reported a fault by phone (or at a hall, or on another account)
proves they are that ticket's customer with the 户号 or the ticket number, plus the last four digits of the
contact phone on it. The gateway checks (POST /internal/conversations/{id}/verify, five tries an hour) and from
then on shows that phone's tickets in this conversation too.

identity_form asks for identity_reference (户号 or ticket number, stored as "account_no:…" / "ticket_no:…")
and identity_phone_last4; action_verify_identity asks the gateway and answers.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.forms import ESCAPE_INTENTS, HUMAN_BUTTON, answering_now, normalise_digits, parse_account_no
from bot.actions.gateway_client import GatewayClient, GatewayError
from bot.actions.tracker_view import latest_entity, latest_intent, latest_text
from core.ids import TICKET_NO_IN_TEXT, find_ticket_no

logger = logging.getLogger(__name__)

FORM = "identity_form"
REFERENCE, LAST4 = "identity_reference", "identity_phone_last4"
IDENTITY_SLOTS = (REFERENCE, LAST4)
# Asked by Rasa's form, not by an action (named here so scripts/validate.py accepts them as used).
QUESTIONS = ("utter_ask_identity_reference", "utter_ask_identity_phone_last4")
RETRY_BUTTON = {"title": "再验证一次", "payload": "/verify_identity"}
# Words that place a ticket on another channel: 我在电话里报的修, 营业厅办的, 公众号上提交的.
OTHER_CHANNEL = re.compile(r"电话|热线|来电|打的|营业厅|柜台|窗口|公众号|微信|网上|别的渠道|其他渠道|APP|app")
_TICKET_NO = TICKET_NO_IN_TEXT
_LAST4 = re.compile(r"(?<!\d)\d{4}(?!\d)")
_PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{9,11})(?!\d)")


def ticket_no_in(*texts: str | None) -> str | None:
    """The canonical number (BX20261123-0007) from the entity or the text, typed or spoken with spaces."""
    return next((number for number in map(find_ticket_no, texts) if number), None)


def parse_reference(text: str) -> str | None:
    """'ticket_no:BX20261123-0007' or 'account_no:20318845' from the answer; None when it holds neither."""
    number = ticket_no_in(normalise_digits(text or ""))
    if number:
        return f"ticket_no:{number}"
    account = parse_account_no(_TICKET_NO.sub("", text or ""))
    return f"account_no:{account}" if account else None


def parse_last4(text: str) -> str | None:
    """The last four digits of the contact phone: four digits on their own, or the end of a whole number."""
    text = _TICKET_NO.sub(" ", normalise_digits(text or ""))
    phone = _PHONE.search(re.sub(r"[\s-]", "", text))
    if phone:
        return phone.group()[-4:]
    match = _LAST4.search(text)
    return match.group() if match else None


def reference_body(reference: str) -> dict[str, str]:
    kind, value = reference.split(":", 1)
    return {kind: value}


def identity_prompt_events(reference: str | None = None) -> list[EventType]:
    """Slots a check that found nothing sets before it starts the form: a number the customer already gave."""
    return [SlotSet(REFERENCE, reference), SlotSet(LAST4, None)]


class ValidateIdentityForm(FormValidationAction):
    """Reads the two answers. A message that is no answer (an emergency, 转人工) is rejected so the rules take
    over; an answer that holds neither a 户号 nor a ticket number is explained and asked again."""

    def name(self) -> str:
        return "validate_identity_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot(REQUESTED_SLOT) and answering_now(tracker, FORM) \
                and latest_intent(tracker) in ESCAPE_INTENTS:
            return [ActionExecutionRejected(FORM)]
        return await super().run(dispatcher, tracker, domain)

    async def extract_identity_phone_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> dict[str, Any]:
        # "户号20318845 电话尾号5678" answers both questions at once.
        if self._asked_now(tracker, REFERENCE):
            text = latest_text(tracker)
            rest = re.sub(r"\d{6,}", " ", _TICKET_NO.sub(" ", normalise_digits(text)))
            last4 = parse_last4(rest)
            return {LAST4: last4} if last4 else {}
        return {}

    async def validate_identity_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> dict[str, Any]:
        if isinstance(value, str) and value.startswith(("ticket_no:", "account_no:")):
            return {REFERENCE: value}
        reference = parse_reference(latest_entity(tracker, "ticket_no") or str(value or ""))
        if reference is None and self._asked_now(tracker, REFERENCE):  # never the message that started the check
            dispatcher.utter_message(response="utter_invalid_identity_reference")
        return {REFERENCE: reference}

    async def validate_identity_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: DomainDict) -> dict[str, Any]:
        last4 = parse_last4(str(value or ""))
        if last4 is None and self._asked_now(tracker, LAST4):
            dispatcher.utter_message(response="utter_invalid_identity_phone_last4")
        return {LAST4: last4}

    @staticmethod
    def _asked_now(tracker: Tracker, slot: str) -> bool:
        """The customer is answering this slot's question now (not the message that started the check)."""
        return tracker.get_slot(REQUESTED_SLOT) == slot and answering_now(tracker, FORM)


class ActionVerifyIdentity(Action):
    def name(self) -> str:
        return "action_verify_identity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        reference, last4 = tracker.get_slot(REFERENCE), tracker.get_slot(LAST4)
        done = [SlotSet(slot, None) for slot in IDENTITY_SLOTS]
        if not reference or not last4:
            return done
        client = GatewayClient()
        try:
            result = await client.verify(tracker.sender_id, reference_body(reference), last4)
        except GatewayError as error:
            if error.status == 429:
                dispatcher.utter_message(response="utter_identity_locked", buttons=[HUMAN_BUTTON])
            else:
                logger.warning("identity check for %s failed: %s", tracker.sender_id, error)
                dispatcher.utter_message(response="utter_ticket_lookup_failed", buttons=[HUMAN_BUTTON])
            return done
        if not result.get("verified"):
            left = int(result.get("attempts_left") or 0)
            if left <= 0:
                dispatcher.utter_message(response="utter_identity_locked", buttons=[HUMAN_BUTTON])
            else:
                dispatcher.utter_message(response="utter_identity_mismatch", attempts_left=left,
                                         buttons=[RETRY_BUTTON, HUMAN_BUTTON])
            return done
        return done + await self._show_tickets(dispatcher, tracker, client, reference)

    @staticmethod
    async def _show_tickets(dispatcher: CollectingDispatcher, tracker: Tracker, client: GatewayClient,
                            reference: str) -> list[EventType]:
        from bot.actions.check_ticket import describe, latest_note  # check_ticket imports this module

        wanted = reference_body(reference).get("ticket_no")
        try:
            tickets = await client.tickets_for(tracker.sender_id, wanted)
        except GatewayError as error:
            logger.warning("ticket lookup for %s failed: %s", tracker.sender_id, error)
            dispatcher.utter_message(response="utter_ticket_lookup_failed", buttons=[HUMAN_BUTTON])
            return []
        if not tickets:
            dispatcher.utter_message(response="utter_no_tickets", buttons=[HUMAN_BUTTON])
            return []
        lines = [f"{i}. {describe(t)}" for i, t in enumerate(tickets[:5], start=1)]
        note = latest_note(tickets[0]) if len(tickets) == 1 else None
        dispatcher.utter_message(text="验证通过。这个电话号码登记的工单：\n" + "\n".join(lines)
                                 + (f"\n最新进展：{note}" if note else ""))
        return []
