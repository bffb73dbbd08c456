"""What the ticket forms share: reading the customer's answers, and one validation base class.

The three forms (repair_form, installation_form, complaint_form in bot/domain/forms.yml) ask for the slots below;
each has a small `validate_<form>` action that subclasses `TicketFormValidation`.
"""
from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from typing import Any

import cn2an
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.tracker_view import (
    COMPANY_SLOT,
    bound_company,
    latest_entity,
    latest_intent,
    latest_kind,
    latest_text,
)
from core.areas import is_rural_address
from core.masking import mask_text
from knowledge.companies import companies, company_in_text
from knowledge.model import UTILITY_BY_LABEL

FORM_TYPES = {"repair_form": "repair", "installation_form": "installation", "complaint_form": "complaint"}
UTILITIES = ("燃气", "电力", "供热")
NO_ACCOUNT = "无"  # the customer has no 户号 at hand; sent to the gateway as null
INVALID_ANSWERS = "invalid_answers"
HANDOFF_REASON = "handoff_reason"
OFFER_HUMAN_AFTER = 2
HUMAN_BUTTON = {"title": "转人工客服", "payload": "/request_human"}
# Everything a form fills; cleared once the ticket exists.
FORM_SLOTS = ("utility", "ticket_company", "description", "address", "service_area", "contact_phone",
              "contact_phone_masked", "account_no", "customer_type", "external_pipeline", "ticket_confirmed",
              INVALID_ANSWERS)
UNKNOWN_COMPANY = "unknown"   # the customer does not know which company supplies them: no company's time promised

# What each slot needs, said after an answer that does not fit (names spelt out: scripts/validate.py looks for them).
EXPLANATIONS = {
    "utility": "utter_invalid_utility",
    "ticket_company": "utter_invalid_ticket_company",
    "service_area": "utter_invalid_service_area",
    "description": "utter_invalid_description",
    "address": "utter_invalid_address",
    "contact_phone": "utter_invalid_contact_phone",
    "account_no": "utter_invalid_account_no",
    "customer_type": "utter_invalid_customer_type",
    "external_pipeline": "utter_invalid_external_pipeline",
    "ticket_confirmed": "utter_invalid_ticket_confirmed",
}

# The questions Rasa's FormAction asks (utter_ask_[<form>_]<slot>). Rasa sends them, not an action, so
# `rasa data validate` calls them unused; naming them here lets scripts/validate.py accept them, and the tests
# check every slot of every form has one.
QUESTIONS = {
    "utility": ("utter_ask_utility", "utter_ask_installation_form_utility"),
    "ticket_company": ("action_ask_ticket_company",),
    "service_area": ("utter_ask_service_area",),
    "description": ("utter_ask_description", "utter_ask_complaint_form_description"),
    "address": ("utter_ask_address", "utter_ask_installation_form_address"),
    "contact_phone": ("utter_ask_contact_phone",),
    "account_no": ("utter_ask_account_no",),
    "customer_type": ("utter_ask_customer_type",),
    "external_pipeline": ("utter_ask_external_pipeline",),
    "ticket_confirmed": ("utter_ask_ticket_confirmed", "utter_ask_complaint_form_ticket_confirmed",
                         "utter_ask_installation_form_ticket_confirmed"),
    "outage_place": ("utter_ask_outage_place",),   # outage_place_form (bot/actions/outage_notices.py)
}

# Messages that are not an answer to the question asked: the form steps aside and the rules take over
# (emergencies and a human first, then questions, ticket lookups and other requests).
ESCAPE_INTENTS = frozenset({"report_emergency", "request_human"})
OTHER_TOPICS = frozenset({"ask_fee", "ask_payment", "ask_process", "ask_channel", "ask_outage", "check_ticket",
                          "bot_challenge", "out_of_scope", "report_fault", "apply_installation", "file_complaint"})
# Small talk is an answer (a poor one): it never makes an address, however long it is.
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny"})
TRIGGER_INTENTS = {"repair_form": "report_fault", "installation_form": "apply_installation",
                   "complaint_form": "file_complaint"}


# ---------------------------------------------------------------------------------------------------------------
# Reading answers. Pure functions of the text: voice transcripts, typed text and button payloads alike.

_CN_DIGITS = {"零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_DIGIT_RUN = re.compile(f"[{''.join(_CN_DIGITS)}]{{3,}}")


def without_marks(text: str) -> str:
    """NFKC, then no control, format (zero-width) or combining characters: a zalgo letter or an invisible
    separator never becomes part of a 户号, a phone number or an address."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Mn", "Me") or c in "\n\t")


def normalise_digits(text: str) -> str:
    """Full-width and Chinese numerals to ASCII digits: 一三八 1234 五六七八 → 138 1234 5678.

    Runs of three or more digit characters are numbers read out digit by digit and are mapped one by one
    (cn2an reads 零五七一… as 571…, dropping the area code's 0); cn2an.transform does the rest (三号楼 → 3号楼).
    """
    text = without_marks(text)
    text = _CN_DIGIT_RUN.sub(lambda m: "".join(_CN_DIGITS[c] for c in m.group()), text)
    try:
        return cn2an.transform(text, "cn2an")
    except (ValueError, KeyError, IndexError):  # cn2an gives up on some mixtures; the digits are already mapped
        return text


_MOBILE = re.compile(r"(?<!\d)1[3-9](?:[\s\-]*\d){9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}(?:[\s\-]*\d){7,8}(?!\d)")


def parse_phone(text: str) -> str | None:
    """A Chinese mobile (13812345678) or landline with area code (0571-88776655), separators and Chinese numerals
    allowed; None when there is none."""
    text = normalise_digits(text)
    mobile = _MOBILE.search(text)
    if mobile:
        return re.sub(r"\D", "", mobile.group())
    landline = _LANDLINE.search(text)
    if landline:
        digits = re.sub(r"\D", "", landline.group())
        area = 3 if digits[1] in "12" else 4  # 010, 020-029 are the only 3-digit area codes
        if 7 <= len(digits) - area <= 8:
            return f"{digits[:area]}-{digits[area:]}"
    return None


def mask_phone(phone: str | None) -> str:
    """138****5678; 0571-****6655 (the shared masking every view uses)."""
    return mask_text(phone) if phone else ""


_ACCOUNT = re.compile(r"(?<![\d])\d(?:[\s\-]*\d){7,11}(?![\d])")
_SKIP = re.compile(r"没有|没|不知道|不清楚|不记得|记不得|记不住|忘了|跳过|不用|算了|不晓得|找不到|无")


def parse_account_no(text: str) -> str | None:
    """A 户号 of 8 to 12 digits (spaces and Chinese numerals allowed); not a mobile number."""
    match = _ACCOUNT.search(normalise_digits(text))
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group())
    return None if re.fullmatch(r"1[3-9]\d{9}", digits) else digits


def wants_to_skip(text: str) -> bool:
    return bool(_SKIP.search(text or ""))


_ADDRESS_LEAD = re.compile(r"^(?:嗯|呃|那个|就是|好的)*[，,\s]*(?:我们家|我家|俺家|我|家)?(?:的)?(?:详细)?(?:地址|住址)?"
                           r"(?:是|在|住在|住|位于)?[:：，,\s]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def parse_address(text: str) -> str | None:
    """The address without lead-in words (我家地址是…); at least 5 characters, two of them Chinese."""
    address = _ADDRESS_LEAD.sub("", without_marks(text).strip()).strip(" 。.，,！!？?")
    if len(re.sub(r"\s", "", address)) < 5 or len(_CJK.findall(address)) < 2:
        return None
    return address[:200]


# Heat first (暖气 contains 气), then gas, then electricity; 电话 and 电梯 are not electricity.
_UTILITY_WORDS = (
    ("供热", re.compile(r"暖气|暧气|暖器|供暖|采暖|取暖|供热|热力|地暖|暖片|[用停窃偷]热")),
    ("燃气", re.compile(r"燃气|天然气|天燃气|煤气|燃汽|液化气|管道气|气表|[用通停供断漏窃偷]气|气费|热水器|灶")),
    ("电力", re.compile(r"电力|供电|用电|电表|电费|停电|没电|电线|电路|电闸|跳闸|插座|电|95598")),
)
_NOT_ELECTRICITY = re.compile(r"电话|电梯|手机")


def utilities_in_text(text: str) -> list[str]:
    """Every utility the text names, in the order it names them: 燃气报修和电力报修 → [燃气, 电力]."""
    text = _NOT_ELECTRICITY.sub("", text or "")
    found = []
    for utility, words in _UTILITY_WORDS:
        match = words.search(text)
        if match:
            found.append((match.start(), utility))
            if utility == "供热":  # 暖气 contains 气: gas only where a gas word stands apart from the heat words
                text = words.sub("", text)
    return [utility for _, utility in sorted(found)]


def without_utilities(text: str) -> str:
    """The text with its utility words taken out: the previous question a follow-up about another utility
    (那电费呢？) is read with."""
    for _, words in _UTILITY_WORDS:
        text = words.sub("", text or "")
    return text


def utility_in_text(text: str) -> str | None:
    """燃气, 电力 or 供热 from the plain words of the text (天然气, 煤气, 电, 暖气...)."""
    text = _NOT_ELECTRICITY.sub("", text or "")
    return next((utility for utility, words in _UTILITY_WORDS if words.search(text)), None)


_REQUEST_WORDS = re.compile(r"(?:我要|我想|想要|要|帮我|请|麻烦|给我|申请)?(?:报修|维修|修理|修一下|投诉|报装|"
                            r"安装|开通|办理|登记|反映)|你好|您好|请问|一下|客服|人工")
_FILLERS = re.compile(r"[我的了啊呢吧呀家个你们那这嗯]|一个|[，。！？,.!?~\s、]")
_UTILITY_NAMES = re.compile(r"天然气|天燃气|燃气|煤气|燃汽|液化气|管道气|电力|供电|用电|电|供热|暖气|暧气|供暖|采暖|热力")


def describes_problem(text: str) -> bool:
    """Whether the first message says what is wrong (燃气表不走字了), not only what is wanted (我要报修)."""
    if (text or "").startswith("/"):  # a button payload (/report_fault) says nothing
        return False
    rest = _FILLERS.sub("", _REQUEST_WORDS.sub("", text or ""))
    rest = _UTILITY_NAMES.sub("", _NOT_ELECTRICITY.sub("", rest))
    return len(rest) >= 2


def parse_description(text: str) -> str | None:
    """The problem in the customer's words, with any phone, ID card or bank card number masked: the ticket
    does not need them, and the read-back must never repeat one."""
    if (text or "").startswith("/"):
        return None
    text = " ".join(without_marks(text).split())
    return mask_text(text[:1000]) if len(re.sub(r"[\W_]", "", text)) >= 2 else None


_STILL_YES = re.compile(r"没错|没问题|不错|没毛病")
_NO = re.compile(r"不对|不是|不正确|错|修改|改一下|要改|重新|有误|不行")
_YES = re.compile(r"确认|对|是的|正确|可以|好|行|嗯|是")


def parse_confirmation(value: Any) -> bool | None:
    """Yes, no (修改, 不对, 地址错了) or None for a reply that is neither."""
    if isinstance(value, bool):
        return value
    text = str(value or "")
    if _STILL_YES.search(text):
        return True
    if _NO.search(text):
        return False
    return True if _YES.search(text) else None


# ---------------------------------------------------------------------------------------------------------------
# Reading the tracker the form hands to its validation action.

_DONT_KNOW = re.compile(r"不清楚|不知道|不确定|不了解|不记得|说不准|搞不清|没注意|不晓得")
# 95598: arrival on site in 40 minutes in town, 85 in the countryside, 120 in special remote areas.
_REMOTE = re.compile(r"偏远|边远|山区|山里|牧区|海岛")
_RURAL_ANSWER = re.compile(r"农村|乡下|乡里|村|乡|屯|镇")
_URBAN = re.compile(r"城|市区|县城|市里|小区|街道|城区")


def companies_serving(utility: str | None) -> list[str]:
    """The companies whose documents cover a utility (燃气: 昆仑燃气 and 天富热电)."""
    code = UTILITY_BY_LABEL.get(utility or "")
    return [c.id for c in companies().values() if code in c.utilities]


def parse_company(text: str) -> str | None:
    """The company the customer names, or UNKNOWN_COMPANY for 不清楚; None when the answer is neither."""
    named = company_in_text(text)
    if named:
        return named
    return UNKNOWN_COMPANY if _DONT_KNOW.search(text or "") else None


def parse_area(text: str) -> str | None:
    """urban (城区、县城), rural (农村、乡镇), remote (偏远山区、牧区): the 95598 arrival time depends on it."""
    text = text or ""
    if _REMOTE.search(text):
        return "remote"
    if _RURAL_ANSWER.search(text):
        return "rural"
    return "urban" if _URBAN.search(text) else None


def ticket_company_of(tracker: Tracker) -> str | None:
    """Whose promises the ticket carries: the conversation's company, the one chosen in the form, or the only one
    serving the utility; None when not known."""
    bound = bound_company(tracker)
    if bound:
        return bound
    chosen = tracker.get_slot("ticket_company")
    if chosen in companies():
        return chosen
    serving = companies_serving(tracker.get_slot("utility"))
    return serving[0] if len(serving) == 1 else None


def answering_now(tracker: Tracker, form: str) -> bool:
    """True when the form runs straight after the customer's message; False when it resumes after something
    else answered that message (a handbook question in the middle of the form): then the message is no answer."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in (form, "action_listen"):
            return False
    return True


def value_before_latest_message(tracker: Tracker, slot: str) -> Any:
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def recent_form(tracker: Tracker) -> str | None:
    """The ticket form active now, or the one active last."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") in FORM_TYPES:
            return event["name"]
    return None


class TicketFormValidation(FormValidationAction, ABC):
    """Validation shared by the ticket forms. Subclasses name the action (`validate_<form>`); installation adds
    its own slots.

    Slots and how an answer is read (extract_* picks the candidate, validate_* decides):
      utility           燃气/电力/供热: the utility entity (synonyms already mapped by the NLU), else the plain word
                        in the text (天然气, 煤气, 电, 暖气...), also from the message that started the form
      description       what is wrong, in the customer's words: the first message when it says so, else asked
      address           the address entity, else the whole answer; at least 5 characters
      contact_phone     mobile 1[3-9]xxxxxxxxx or landline 0xx(x)-xxxxxxx(x); spaces, dashes and Chinese numerals
                        accepted; the readback shows contact_phone_masked (138****5678)
      account_no        户号, 8-12 digits, optional: 没有/不知道/跳过 (or a "no") stores NO_ACCOUNT
      ticket_confirmed  the readback answered: yes keeps everything, no clears the slots and the form asks again

    An answer that does not fit explains what is needed; from the second failure on the same slot the customer
    is also offered a human (/request_human, handoff_reason form_failed). Failures are counted per slot in the
    slot `invalid_answers`. A message that is no answer at all (an emergency, 转人工, a question, another request)
    is not counted: the form rejects it so the rules can handle it, and nothing it put in the form's slots stays.
    """

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>"""

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        """ticket_company only in an unbound conversation for a utility several companies serve; service_area only
        for a 国家电网 electricity repair whose address does not already say it is in the countryside."""
        return [slot for slot in domain_slots if self._needed(slot, tracker)]

    @staticmethod
    def _needed(slot: str, tracker: Tracker) -> bool:
        if slot == "ticket_company":
            return bound_company(tracker) is None and len(companies_serving(tracker.get_slot("utility"))) != 1
        if slot == "service_area":
            return (tracker.get_slot("utility") == "电力" and ticket_company_of(tracker) == "grid"
                    and not is_rural_address(str(tracker.get_slot("address") or "")))
        return True

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested and answering_now(tracker, self.form_name()) and not self._is_answer(tracker, requested):
            undo = [SlotSet(slot, value_before_latest_message(tracker, slot))
                    for slot in tracker.slots_to_validate() if slot in FORM_SLOTS]
            return [ActionExecutionRejected(self.form_name()), *undo]
        if requested is None and latest_kind(tracker) == "both":
            self._answer_the_question_too(dispatcher, tracker)
        events = await super().run(dispatcher, tracker, domain)
        if requested is None:  # activation: a new request starts with a clean count and replaces an unsent one
            events += [SlotSet(INVALID_ANSWERS, None), SlotSet("ticket_retry", None)]
        return events

    @staticmethod
    def _answer_the_question_too(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """燃气表坏了 多久能来修: the time limit from the handbook, then the form's first question."""
        from bot.actions.answer_knowledge import FORM_OFFERS, ActionAnswerKnowledge  # it imports this module

        answered = CollectingDispatcher()
        ActionAnswerKnowledge().answer(answered, tracker, latest_text(tracker), latest_intent(tracker),
                                       admit_ignorance=False)
        for message in answered.messages:  # the answer only: the form itself is what follows
            if message.get("text") and not message.get("response"):
                offers = {prompt for prompt, *_ in FORM_OFFERS.values()}
                dispatcher.utter_message(text="\n".join(line for line in message["text"].split("\n")
                                                        if line not in offers).strip())

    def _is_answer(self, tracker: Tracker, requested: str) -> bool:
        """Whether the message answers the question asked. A question (also at the read-back) is answered from the
        handbook and the form asks again."""
        intent = latest_intent(tracker)
        if intent in ESCAPE_INTENTS:
            return False
        if latest_entity(tracker, "kb_entry"):  # a question an operator published (the gateway names its entry)
            return False
        if intent == TRIGGER_INTENTS.get(self.form_name()):
            return True
        if latest_kind(tracker) in ("question", "followup") and intent not in SMALL_TALK:
            return False
        if requested == "description":
            return True
        return intent not in OTHER_TOPICS

    def _asked_now(self, tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot(REQUESTED_SLOT) == slot and answering_now(tracker, self.form_name())

    @staticmethod
    def _activating(tracker: Tracker) -> bool:
        return tracker.get_slot(REQUESTED_SLOT) is None

    def _judge(self, slot: str, parsed: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The slot's new value; for an unusable answer to the question just asked, an explanation (and from the
        second time a human offered). An unusable value the customer was not asked for leaves the slot as it was."""
        counts = dict(tracker.get_slot(INVALID_ANSWERS) or {})
        if parsed is not None:
            result = {slot: parsed, **(extra or {})}
            if slot in counts and self._asked_now(tracker, slot):
                counts.pop(slot)
                result[INVALID_ANSWERS] = counts or None
            return result
        if self._activating(tracker):
            return {slot: None}
        if not self._asked_now(tracker, slot):
            return {slot: value_before_latest_message(tracker, slot)}
        counts[slot] = counts.get(slot, 0) + 1
        dispatcher.utter_message(response=EXPLANATIONS[slot])
        result = {slot: None, INVALID_ANSWERS: counts}
        if counts[slot] >= OFFER_HUMAN_AFTER:
            dispatcher.utter_message(response="utter_form_offer_human", buttons=[HUMAN_BUTTON])
            result[HANDOFF_REASON] = "form_failed"
        return result

    # -- utility ----------------------------------------------------------------------------------------------
    async def extract_utility(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if latest_entity(tracker, "utility"):
            return {}  # the slot mapping has it
        if self._asked_now(tracker, "utility"):
            return {"utility": latest_text(tracker)}
        # The first message or the description of the problem often names it: 暖气不热, 燃气灶打不着.
        if self._activating(tracker) or (self._asked_now(tracker, "description") and not tracker.get_slot("utility")):
            word = utility_in_text(latest_text(tracker))
            return {"utility": word} if word else {}
        return {}

    async def validate_utility(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        parsed = value if value in UTILITIES else utility_in_text(str(value or ""))
        return self._judge("utility", parsed, dispatcher, tracker)

    # -- ticket_company ---------------------------------------------------------------------------------------
    async def extract_ticket_company(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if self._asked_now(tracker, "ticket_company"):
            return {"ticket_company": latest_text(tracker)}
        named = company_in_text(latest_text(tracker))   # 天富的电停了 帮我报修: named with the request
        return {"ticket_company": named} if named and not tracker.get_slot("ticket_company") else {}

    async def validate_ticket_company(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        parsed = value if value in companies() or value == UNKNOWN_COMPANY else parse_company(str(value or ""))
        if parsed is not None and parsed != UNKNOWN_COMPANY and parsed not in companies_serving(
                tracker.get_slot("utility")):
            parsed = None   # 昆仑燃气 for electricity: not one of the choices
        bound = {COMPANY_SLOT: parsed} if parsed in companies() else None   # 天富: the conversation is bound now
        return self._judge("ticket_company", parsed, dispatcher, tracker, extra=bound)

    # -- service_area -----------------------------------------------------------------------------------------
    async def extract_service_area(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        return {"service_area": latest_text(tracker)} if self._asked_now(tracker, "service_area") else {}

    async def validate_service_area(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        parsed = value if value in ("urban", "rural", "remote") else parse_area(str(value or ""))
        return self._judge("service_area", parsed, dispatcher, tracker)

    # -- description ------------------------------------------------------------------------------------------
    async def extract_description(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        if self._activating(tracker):  # never a description left over from an earlier request
            text = latest_text(tracker)
            return {"description": text if describes_problem(text) else None}
        return {}  # when asked, the from_text mapping fills it

    async def validate_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if value is None and self._activating(tracker):
            return {"description": None}
        return self._judge("description", parse_description(str(value or "")), dispatcher, tracker)

    # -- address ----------------------------------------------------------------------------------------------
    async def extract_address(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if not self._asked_now(tracker, "address"):
            return {}
        entity = latest_entity(tracker, "address")
        return {"address": entity if entity and parse_address(entity) else latest_text(tracker)}

    async def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        address = parse_address(str(value or ""))
        if latest_intent(tracker) in SMALL_TALK and not latest_entity(tracker, "address"):
            address = None  # 不用了 再见 has five characters too
        return self._judge("address", address, dispatcher, tracker)

    # -- contact_phone ----------------------------------------------------------------------------------------
    async def validate_contact_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        phone = parse_phone(str(value or ""))
        return self._judge("contact_phone", phone, dispatcher, tracker,
                           extra={"contact_phone_masked": mask_phone(phone)})

    # -- account_no -------------------------------------------------------------------------------------------
    async def extract_account_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        if not self._asked_now(tracker, "account_no"):
            return {}
        if latest_intent(tracker) == "deny":
            return {"account_no": NO_ACCOUNT}
        return {"account_no": latest_entity(tracker, "account_no") or latest_text(tracker)}

    async def validate_account_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        parsed = NO_ACCOUNT if text == NO_ACCOUNT else parse_account_no(text)
        if parsed is None and self._asked_now(tracker, "account_no") and wants_to_skip(text):
            parsed = NO_ACCOUNT
        return self._judge("account_no", parsed, dispatcher, tracker)

    # -- ticket_confirmed -------------------------------------------------------------------------------------
    async def extract_ticket_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        # A confirmation belongs to one readback: a new request is always read back again.
        return {"ticket_confirmed": None} if self._activating(tracker) else {}

    async def validate_ticket_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        if value is None and self._activating(tracker):
            return {"ticket_confirmed": None}
        confirmed = parse_confirmation(value)
        if confirmed is False:
            dispatcher.utter_message(response="utter_form_start_again")
            return {slot: None for slot in FORM_SLOTS}
        return self._judge("ticket_confirmed", confirmed, dispatcher, tracker)

