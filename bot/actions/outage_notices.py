"""Outage questions answered from the notices the company published (the gateway's GET /internal/notices): what,
where, from when to when and why, in the gateway's words; no time is ever made up here.

- An outage question about the customer's own place (我家怎么停气了, 这周我们小区停不停电, 暖气什么时候恢复) is looked
  up by the place it names, else by the addresses on the customer's tickets or reminders; with none known the
  outage_place_form asks for the 小区 or street (action_outage_notices answers once it is given). A general question
  about the rules (计划停电提前几天通知) stays with the handbook (bot/actions/answer_knowledge.py).
- With no notice for that place the customer is told none is published and offered a repair report.
- A repair report at an address under a notice that is active or starts within 24 hours is told about the notice
  first and asked whether a ticket is still wanted (NoticeFirst, mixed into validate_repair_form).
If the gateway cannot be reached the handbook answer stands, and a repair goes on as before.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.actions.forms import FORM_SLOTS, utilities_in_text
from bot.actions.gateway_client import GatewayClient, GatewayError, channel_of
from bot.actions.knowledge_base import utility_code
from bot.actions.tracker_view import conversation_company, latest_entity, latest_text

logger = logging.getLogger(__name__)

PLACE_FORM = "outage_place_form"
ASK_PLACE = "utter_ask_outage_place"        # the form's question (bot/domain/outage_notices.yml)
REPAIR_WITHIN_HOURS = 24                    # a repair report is told about notices active or starting this soon
QUESTION_WITHIN_HOURS = 24 * 7              # a question hears this week's notices
STOP = {"gas": "停气", "electricity": "停电", "heat": "停暖", None: "停电、停气或停暖"}
WITHOUT = {"gas": "没有气", "electricity": "没电", "heat": "暖气不热", None: "停电、没气或暖气不热"}
SUPPLY = {"gas": "来气", "electricity": "来电", "heat": "供暖", None: "恢复供应"}
REPAIR_BUTTON = {"title": "登记报修", "payload": "/report_fault"}
SOURCES = {"ticket": "按您工单上的地址", "subscription": "按您订阅提醒的地址"}

# A question about the rules in general: the handbook answers it.
_RULES = re.compile(r"提前(?:几|多|多少)|多久(?:前|之前)?(?:通知|公告)|会不会?(?:提前)?通知|区别|规定|赔|补偿|怎么算|"
                    r"收费|费用|电费|气费|在哪(?:里|儿)?(?:看|查)|哪里(?:能|可以)?(?:看|查)|怎么查|一般|限电|限气|高峰")
_DECLINE = re.compile(r"^(?:算了|不用了?|不查了|不知道|不清楚|没有|不要了?|不记得)[。！!]?$")
_NO = re.compile(r"不用|不需要|不要|算了|不登记|不报|先不|没事了|等恢复|等等看|不了")
_YES = re.compile(r"需要|要的|要登记|登记|报修|是的|对|好的|好|确认|还是要|继续|要")
# Words of a gas or heat outage that name no utility the forms' reader knows (停气, 没暖气 is 供热 already).
_GAS_OUTAGE = re.compile(r"停气|没气|来气|断气|复气|供气")
_HEAT_OUTAGE = re.compile(r"停暖|来暖|停热")


def is_rules_question(text: str) -> bool:
    return bool(_RULES.search(text or ""))


def utility_of(tracker: Tracker, *texts: str) -> str | None:
    named = latest_entity(tracker, "utility")
    for text in texts:
        if named:
            break
        found = utilities_in_text(text)
        named = found[0] if len(found) == 1 else "供热" if _HEAT_OUTAGE.search(text) else \
            "燃气" if _GAS_OUTAGE.search(text) and not found else None
    return utility_code(named or tracker.get_slot("utility"))


def spoken(tracker: Tracker) -> str:
    """The notice's field to read: "speech" on the phone (明天上午8点到下午6点), "text" on a screen."""
    return "speech" if channel_of(tracker.sender_id) == "voice" else "text"


async def lookup(tracker: Tracker, place: str, *, utility: str | None, known: bool,
                 within_hours: float = QUESTION_WITHIN_HOURS) -> dict[str, Any] | None:
    """The gateway's answer, or None when it cannot be reached."""
    try:
        return await GatewayClient(timeout_seconds=3).outage_notices(
            tracker.sender_id, place, utility=utility, company=conversation_company(tracker),
            within_hours=within_hours, known=known)
    except GatewayError as error:
        logger.info("no notice lookup for %s: %s", tracker.sender_id, error)
        return None


def reply(found: dict[str, Any], utility: str | None, field: str = "text") -> tuple[str, list[dict[str, str]]]:
    """What the customer reads: the notices for their place, or that none is published and a repair offer."""
    place = found["place"]
    notices = [n for n in found["notices"] if utility is None or n.get("utility") == utility]
    where = place["text"]
    lead = f"{SOURCES[place['source']]}（{where}）查询：" if place.get("source") in SOURCES else ""
    if not notices:
        return (f"{lead}目前没有查到{where}已发布的{STOP[utility]}通知。如果您家里{WITHOUT[utility]}，可能是户内或楼内的"
                f"问题，我可以帮您登记报修。", [REPAIR_BUTTON])
    lines = [f"{lead}{where}有以下已发布的通知：" if len(notices) > 1 else f"{lead}查到{where}已发布的通知："]
    lines += [n[field] for n in notices]
    partial = [n for n in notices if n.get("coverage") == "part" and n.get("kind") != "restored"]
    if partial:
        lines.append(f"通知只涉及{'、'.join(n['area'] for n in partial)}；如果您家不在其中却{WITHOUT[utility]}，可以帮您登记报修。")
        return "\n".join(lines), [REPAIR_BUTTON]
    if all(n.get("kind") == "restored" for n in notices):
        lines.append(f"如果您家现在仍然{WITHOUT[utility]}，可以帮您登记报修。")
        return "\n".join(lines), [REPAIR_BUTTON]
    lines.append(f"通知时间内不用单独报修；恢复后如果还是{WITHOUT[utility]}，随时告诉我。")
    return "\n".join(lines), []


async def answer_outage_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """For ask_outage (bot/actions/answer_knowledge.py): the notices for the customer's place, or the form that asks
    for it; None to leave the question to the handbook (a question about the rules, or the gateway unreachable)."""
    text = latest_text(tracker)
    if is_rules_question(text):
        return None
    utility = utility_of(tracker, text)
    found = await lookup(tracker, text, utility=utility, known=True)
    if found is None:
        return None
    if found["place"] is None:
        return [SlotSet("outage_question", text), FollowupAction(PLACE_FORM)]
    message, buttons = reply(found, utility, spoken(tracker))
    dispatcher.utter_message(text=message, buttons=buttons)
    return [SlotSet("outage_question", None)]


class ActionOutageNotices(Action):
    """After outage_place_form: the notices for the place the customer gave."""

    def name(self) -> str:
        return "action_outage_notices"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        answer = (tracker.get_slot("outage_place") or "").strip()
        question = tracker.get_slot("outage_question") or ""
        done: list[EventType] = [SlotSet("outage_place", None), SlotSet("outage_question", None)]
        if not answer or _DECLINE.match(answer):
            dispatcher.utter_message(text="好的。需要查停供通知时，告诉我小区、村或街道的名称就行。")
            return done
        utility = utility_of(tracker, question, answer)
        found = await lookup(tracker, answer, utility=utility, known=False)
        if found is None:
            dispatcher.utter_message(text="抱歉，停供通知暂时查不到，请稍后再问我一次。家里有燃气味等紧急情况，请先到室外再拨打抢险电话。")
            return done
        if found["place"] is None:
            dispatcher.utter_message(text=f"没能从“{answer[:30]}”里认出小区或街道。请再问我一次，直接说小区、村或街道的名字，"
                                          "比如“花家地小区停气了吗”。")
            return done
        message, buttons = reply(found, utility, spoken(tracker))
        dispatcher.utter_message(text=message, buttons=buttons)
        return done


# -- a repair report under a notice ------------------------------------------------------------------------------

def covering(found: dict[str, Any] | None, field: str = "text") -> str | None:
    """The text of the notices (not restored) that cover or partly cover the place, for the repair form."""
    if not found or not found.get("place"):
        return None
    notices = [n for n in found["notices"] if n.get("kind") != "restored"]
    if not notices:
        return None
    lines = [n[field] + (f"（通知只涉及{n['area']}）" if n.get("coverage") == "part" else "") for n in notices[:2]]
    return "\n".join(lines)


def wants_ticket(text: str) -> bool | None:
    text = text or ""
    if _NO.search(text):
        return False
    return True if _YES.search(text) else None


class NoticeFirst:
    """Mixed into validate_repair_form before TicketFormValidation: the place said with the report (or on the
    customer's tickets), and later the address the form asks for, are looked up; under a notice active or starting
    within 24 hours the form asks outage_report_anyway first (action_ask_outage_report_anyway tells the notice).
    "不用了" ends the form without a ticket; "需要" goes on as before."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        events: list[EventType] = []
        if tracker.get_slot(REQUESTED_SLOT) is None:       # the report that starts the form
            text = latest_text(tracker)
            found = await lookup(tracker, text, utility=utility_of(tracker, text), known=True,
                                 within_hours=REPAIR_WITHIN_HOURS)
            notice = covering(found, spoken(tracker))
            # a new report starts clean: what an earlier one was told and answered does not carry over
            events = [SlotSet(slot, value) for slot, value in (("outage_notice", notice), ("outage_report_anyway", None))
                      if tracker.get_slot(slot) != value]
            tracker.add_slots(events)
        return events + await super().run(dispatcher, tracker, domain)  # type: ignore[misc]

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)  # type: ignore[misc]
        if not tracker.get_slot("outage_notice"):
            return slots
        still = tracker.get_slot("outage_report_anyway")
        if still is False:
            return []                                      # no ticket: the form ends here
        return slots if still is True else ["outage_report_anyway", *slots]

    async def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        result = await super().validate_address(value, dispatcher, tracker, domain)  # type: ignore[misc]
        if result.get("address") and not tracker.get_slot("outage_notice") \
                and tracker.get_slot("outage_report_anyway") is None:
            found = await lookup(tracker, result["address"], utility=utility_of(tracker), known=False,
                                 within_hours=REPAIR_WITHIN_HOURS)
            notice = covering(found, spoken(tracker))
            if notice:
                result["outage_notice"] = notice
        return result

    async def extract_outage_report_anyway(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> dict[str, Any]:
        asked = tracker.get_slot(REQUESTED_SLOT) == "outage_report_anyway"
        return {"outage_report_anyway": latest_text(tracker)} if asked else {}

    async def validate_outage_report_anyway(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: DomainDict) -> dict[str, Any]:
        wanted = value if isinstance(value, bool) else wants_ticket(str(value or ""))
        if tracker.get_slot(REQUESTED_SLOT) != "outage_report_anyway":
            return {"outage_report_anyway": value if isinstance(value, bool) else None}   # not asked (yet)
        if wanted is None:
            dispatcher.utter_message(text="还需要登记报修的话请说“需要”，不用的话说“不用了”。")
            return {"outage_report_anyway": None}
        if wanted is False:    # the form ends; nothing of this report stays for the next one
            return {"outage_report_anyway": False, **{slot: None for slot in FORM_SLOTS}}
        return {"outage_report_anyway": True}


class ActionAskOutageReportAnyway(Action):
    def name(self) -> str:
        return "action_ask_outage_report_anyway"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        utility = utility_of(tracker)
        notice = tracker.get_slot("outage_notice") or ""
        dispatcher.utter_message(
            text=f"先告诉您，这个地址有已发布的停供通知：\n{notice}\n如果是这个原因，恢复后就会{SUPPLY[utility]}，不用单独报修；"
                 "如果您家不在通知范围内，或者情况不一样，我可以继续帮您登记。还需要登记报修吗？",
            buttons=[{"title": "需要登记", "payload": "需要"}, {"title": "不用了", "payload": "不用了"}])
        return []
