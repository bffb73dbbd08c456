"""Answers questions from the handbook knowledge base.

Every answer is an entry's text with its source. A question about two utilities gets one labelled part for each;
a question whose answer differs by utility, when the customer named none, gets each utility's rule labelled
rather than a menu, and so does a message asking several questions whose topics are close; a follow-up
("那农村呢？") is read together with the previous question. Choices are offered only when two topics are really
close, and when nothing fits the assistant says so rather than guessing. After
an answer about repair, installation or complaints the matching form is offered as a button, and a ticket of
that kind the customer already has is named with its promised date.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import annotate
from bot.actions.forms import TRIGGER_INTENTS, utilities_in_text, without_utilities
from bot.actions.gateway_client import GatewayClient, GatewayError
from bot.actions.knowledge_base import knowledge_base, knowledge_search, utility_code
from bot.actions.outage_notices import answer_outage_question
from bot.actions.tracker_view import (
    COMPANY_SLOT,
    answered_just_before,
    bound_company,
    conversation_company,
    latest_entity,
    latest_intent,
    latest_kind,
    latest_text,
    latest_topic,
)
from bot.components.message_kind_patterns import (
    asks_in_context,
    asks_several,
    asks_something,
    compares_with_general,
    followup_in_context,
    has_own_topic,
)
from core.turns import UnansweredReason
from knowledge.companies import companies, companies_in_text, company_in_text, without_names_of_several
from knowledge.fraud import mentions_suspicious_payment
from knowledge.model import UTILITY_LABELS, Entry
from knowledge.render import answer_text, anti_fraud_reminder, fraud_warning
from knowledge.search import Decision, Outcome

logger = logging.getLogger(__name__)

PENDING_QUESTION = "kb_pending_question"
PENDING_INTENT = "kb_pending_intent"
LAST_QUESTION = "kb_last_question"
QUESTION_INTENTS = {"ask_fee", "ask_payment", "ask_process", "ask_channel", "ask_outage",
                    "report_fault", "apply_installation", "file_complaint"}
HUMAN_BUTTON = {"title": "转人工客服", "payload": "/request_human"}
# The form an answer on these topics offers, and the ticket type it would create. Counter businesses
# (过户, 销户…) are done at the hall: no form, no button.
FORM_OFFERS = {
    "report_fault": ("现在帮您登记报修吗？", "登记报修", "/report_fault", "repair"),
    "apply_installation": ("现在帮您登记报装申请吗？", "登记报装", "/apply_installation", "installation"),
    "file_complaint": ("需要的话，我现在帮您登记投诉。", "登记投诉", "/file_complaint", "complaint"),
}
MAX_PARTS = 3
SEVERAL_PARTS = 2   # a message asking several questions, with close topics: the two closest are answered
CONTEXT_CHARS = 30  # of the clauses that ask nothing, kept with each asking clause as its topic
_CLAUSE = re.compile(r"[，,。；;！!\s]+")
GENERAL_RATIO = 0.4  # the general rule's relevance, against the best, to be given beside a company's rule
FORM_BUSINESS = {"repair_form": "报修", "installation_form": "报装", "complaint_form": "投诉"}


def _clear_pending() -> list[EventType]:
    return [SlotSet(PENDING_QUESTION, None), SlotSet(PENDING_INTENT, None)]


def followup_question(previous: str, question: str) -> str:
    """The search text of a follow-up: with the question answered before it (那农村呢？, 多久能到). About another
    utility (那电费呢？) the previous question without its utility; with a business of its own (那退款呢？ after a
    repair question) the follow-up counts three times, so its topic outweighs the old one while the old question's aspect
    (多久, 收不收费) and utility stay."""
    if has_own_topic(without_utilities(question)):
        return f"{previous} {question} {question} {question}".strip()
    if utilities_in_text(question):
        previous = without_utilities(previous)
    return f"{previous} {question}".strip()


LONG_CHARS = 40       # a message this long tells a story; its question is usually the last sentence
_SENTENCE = re.compile(r"(?<=[。！!？?；;])")


def with_focus(question: str) -> str:
    """The search text of a long message (the question at the end of a story): the whole message, plus its asking
    sentences once more, so the question weighs more than the story around it."""
    if len(question) < LONG_CHARS:
        return question
    sentences = [s for s in _SENTENCE.split(question) if s.strip()]
    asking = [s for s in sentences if asks_something(s)]
    if not asking or len(asking) == len(sentences):
        return question
    focus = " ".join(asking[-2:])
    return f"{question} {focus} {focus}"


def answer_followup(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """A message the classifier could not place (out of scope, unsure) that, after an answer, only makes sense as a
    follow-up to it (农村的话多久, 多久能到): answered with the previous question; None when it is not one or
    nothing fits."""
    text = latest_text(tracker)
    previous = tracker.get_slot(LAST_QUESTION) or tracker.get_slot(PENDING_QUESTION)
    if not previous or not _about_the_answer(text, tracker):
        return None
    return ActionAnswerKnowledge().answer(dispatcher, tracker, followup_question(previous, text), "ask_process",
                                          admit_ignorance=False, followup=True)


def _about_the_answer(text: str, tracker: Tracker) -> bool:
    """A follow-up by its form (那农村呢), or, right after an answer, any question with nothing of another business
    (这报告一共几份？): read with the question answered before it."""
    return followup_in_context(text) or (answered_just_before(tracker) and asks_in_context(text))


def _untopical_after_answer(text: str, previous: str, tracker: Tracker) -> bool:
    """Right after an answer, a question that names no business, and no utility or company the previous question did
    not (俺不会用手机，线下能提不？ after 对电力服务有意见，网上能提吗？; 那要是高压的大企业客户呢，也当场停吗？): only
    the answer before it gives it a topic, whatever intent the classifier guessed from its few words."""
    return answered_just_before(tracker) and asks_in_context(text) and not has_own_topic(without_utilities(text)) \
        and set(utilities_in_text(text)) <= set(utilities_in_text(previous)) \
        and set(companies_in_text(text)) <= set(companies_in_text(previous))


def _unsuspicious_questions(question: str) -> str:
    """The sentences of a message that ask something and mention no suspicious way to pay: answered after the
    warning; empty when the whole message is about the suspicious request."""
    sentences = [s for s in re.findall(r"[^？?。！!]+[？?。！!]*", question) if len(s.strip()) >= 4]
    kept = [s for s in sentences if (asks_something(s) or s.rstrip()[-1] in "？?") and not mentions_suspicious_payment(s)]
    return "".join(kept) if kept and len(kept) < len(sentences) else ""


def _topic(entry: Entry) -> str | None:
    """The form an entry's topic belongs to: its intent, or for a time-limit answer its business."""
    if entry.intent in FORM_OFFERS:
        return entry.intent
    return {"报修": "report_fault", "抢修": "report_fault", "报装": "apply_installation",
            "投诉": "file_complaint", "举报": "file_complaint"}.get(entry.business or "")


def _utility_codes(text: str) -> set[str]:
    """The utilities a text names; a company supplying several (天富热电) names none."""
    return {code for code in (utility_code(u) for u in utilities_in_text(without_names_of_several(text))) if code}


def own_sentences(question: str, named_in: Callable[[str], Collection[str]], wanted: str) -> list[str]:
    """The sentences of a message that names several utilities (or companies) that belong to one of them: those
    naming it or none. Empty when every sentence does (nothing sets a part apart)."""
    sentences = [s for s in _SENTENCE.split(question) if s.strip()]
    own = [s for s in sentences if wanted in named_in(s) or not named_in(s)]
    return own if len(own) < len(sentences) else []


def focus_on(question: str, named_in: Callable[[str], Collection[str]], wanted: str) -> str:
    """The search text of one utility's (or company's) part of a message that names several: the whole message,
    plus twice its sentences that name this one or none (电费能在哪查？昆仑燃气的气价在哪公开？: the electricity part
    weighs 电费能在哪查). named_in(sentence) gives the codes a sentence names."""
    own = own_sentences(question, named_in, wanted)
    if not own:
        return with_focus(question)
    # its questions, when it asks any: 刚买了房，燃气找昆仑报装、电要开户。燃气报装多久能装好？ weighs the time asked,
    # not the story's 报装 (the whole message keeps the story)
    focus = " ".join([s for s in own if asks_something(s)] or own)
    return f"{question} {focus} {focus}"


# The form businesses a part's own sentences can name, and the topic each steers the part's search to. Not 通电,
# 通气 or 接电: 停电后多久通电 is a restoration, not an installation.
_PART_BUSINESSES = ((re.compile(r"报修|抢修|维修|故障|坏了"), "report_fault"),
                    (re.compile(r"报装|安装|装表"), "apply_installation"),
                    (re.compile(r"投诉|举报"), "file_complaint"))


def part_topic(own: list[str], intent: str | None) -> str | None:
    """The topic one utility's part is searched by. A message's form topic belongs to the part whose sentences name
    that business; a part whose own sentences name exactly one other form business is about that one (燃气灶多久能约
    安装？电路报修多久有人到现场？: the installation is the gas part's topic, the repair the electricity part's)."""
    if intent not in TRIGGER_INTENTS.values() or not own:
        return intent
    text = "".join(own)
    named = {topic for pattern, topic in _PART_BUSINESSES if pattern.search(text)}
    return named.pop() if len(named) == 1 else intent


def part_business(own: list[str], question: str, business: str | None) -> str | None:
    """The business the NLU read from the whole message, for one part: not when the customer wrote it only in
    another part's sentences (昆仑燃气上门安检多久一次？天富热电来查电的话至少得来几个人？: 安检 is the gas part's)."""
    if business and own and business in question and business not in "".join(own):
        return None
    return business


def _utility_part(decision: Decision) -> list[Entry]:
    """One utility's part of a two-utility answer: its best entry, or, when a company's rule and the general practice
    are two facets of that utility's topic (95598's 40 minutes, the generic text's 30), both, each labelled."""
    if decision.outcome is Outcome.EACH and len(decision.hits) == 2:
        first, second = (hit.entry for hit in decision.hits)
        if first.utility == second.utility and (first.company == "none") != (second.company == "none"):
            return [first, second]
    return [decision.hits[0].entry]


class ActionAnswerKnowledge(Action):
    def __init__(self, *, offer_forms: bool = True, intent_for: dict[str, str] | None = None) -> None:
        # offer_forms False where a ticket was just raised for the same thing (an emergency): no 登记报修 button.
        # intent_for: the topic to steer each utility's part by, where it differs from the message's (a gas leak
        # and a power cut in one question: the gas emergency and the electricity repair).
        self.offer_forms = offer_forms
        self.intent_for = intent_for or {}

    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent = latest_intent(tracker)
        chosen = latest_entity(tracker, "kb_entry")
        if chosen and chosen in knowledge_base().by_id:
            entry = knowledge_base().by_id[chosen]
            return self._say(dispatcher, [entry]) + await self._tickets_line(dispatcher, tracker, [entry]) \
                + _clear_pending()

        if intent == "ask_outage":   # the notices published for the customer's place first (outage_notices.py)
            outage = await answer_outage_question(dispatcher, tracker)
            if outage is not None:
                return outage + _clear_pending()

        question, question_intent, followup = latest_text(tracker), intent, False
        pending = tracker.get_slot(PENDING_QUESTION)
        previous = tracker.get_slot(LAST_QUESTION) or pending  # a menu's question counts as the one before
        if intent not in QUESTION_INTENTS:
            if pending:
                question, question_intent = f"{pending} {question}", tracker.get_slot(PENDING_INTENT)
            elif previous and _about_the_answer(question, tracker):  # 农村的 taken for an answer to a form's question
                question, question_intent, followup = followup_question(previous, question), "ask_process", True
            else:
                dispatcher.utter_message(response="utter_noted_ask_question")
                return []
        elif previous and (latest_kind(tracker) == "followup" or followup_in_context(question)
                           or _untopical_after_answer(question, previous, tracker)):
            question, followup = followup_question(previous, question), True

        if mentions_suspicious_payment(question):
            dispatcher.utter_message(text=fraud_warning(knowledge_base()))
            question = _unsuspicious_questions(question)   # 电费有哪些交费方式？是不是要办专门的银行卡？
            if not question:
                return _clear_pending()
            said = question
        else:
            said = None

        events = self.answer(dispatcher, tracker, question, question_intent, said=said, followup=followup) or []
        answered = [knowledge_base().by_id[e["value"]] for e in events
                    if e.get("event") == "slot" and e.get("name") == "kb_last_entry" and e.get("value")]
        if answered:
            events += await self._tickets_line(dispatcher, tracker, answered)
        return events

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str,
               intent: str | None, *, admit_ignorance: bool = True, said: str | None = None,
               followup: bool = False) -> list[EventType] | None:
        """Answers, offers choices or admits ignorance; with admit_ignorance=False sends nothing when nothing
        fits and returns None. said: the customer's words to read the utilities and companies from, when only
        part of the message is answered (default: the whole message). followup: `question` is the latest message
        read with the question answered before it."""
        said = latest_text(tracker) if said is None else said
        # A question asked inside a form is about that form's topic (你们一般多久能上门？ in the repair form).
        form = (tracker.active_loop or {}).get("name")
        hint = latest_topic(tracker) or TRIGGER_INTENTS.get(form or "") or intent
        business = latest_entity(tracker, "business") or FORM_BUSINESS.get(form or "") or tracker.get_slot("business")
        company = conversation_company(tracker)
        named = utilities_in_text(said)
        named_companies = companies_in_text(said)
        if len(named_companies) > 1:  # 天富热电的投诉多久答复？国家电网那边呢？: one labelled part for each company
            events = self._per_company(dispatcher, question, hint, business, named_companies,
                                       [utility_code(u) for u in named], admit_ignorance)
        elif len(named) > 1:  # 燃气报修和电力报修各多久到: one labelled part for each
            events = self._per_utility(dispatcher, question, hint, business, company,
                                       [utility_code(u) for u in named], admit_ignorance, bound_company(tracker))
        else:
            # the NLU read the utility from the whole message; a part answered alone goes by its own words
            recognised = latest_entity(tracker, "utility") if said == latest_text(tracker) else None
            utility = utility_code(recognised or (named[0] if named else None)
                                   or tracker.get_slot("utility"))
            if company and utility and utility not in companies()[company].utilities:
                return self._not_served(dispatcher, question, utility, business, hint, company)
            # a follow-up is no story: its focus is its own words (followup_question), not the old question's
            decision = knowledge_search().decide(question if followup else with_focus(question), utility=utility,
                                                 business=business, intent=hint, company=company)
            if decision.outcome is Outcome.NOTHING and not admit_ignorance:
                return None
            if followup and decision.outcome is Outcome.ASK_ENTRY:
                decision = self._by_latest_words(decision, said, utility, business, hint, company)
            more = self._other_questions(said if decision.outcome is Outcome.ASK_ENTRY else question,
                                         decision, utility, business, hint, company)
            beside = self._general_beside(question, decision, utility, business, hint, named_companies)
            if beside is not None:
                # 天富热电的投诉多久答复？跟一般规范里的一样吗？: the company's rule and the other one, each labelled
                events = self._say(dispatcher, [decision.entry, beside], question) + _clear_pending()
            elif more and decision.outcome is Outcome.ASK_ENTRY:
                # 多久给答复，多久能来施工？ with two close topics: the answer to each question, not a menu
                events = self._say(dispatcher, more, question) + _clear_pending()
            elif more:  # 计划停电和事故停电有啥区别？计划停电提前几天通知？ — one part for each question asked
                events = self._say(dispatcher, [decision.entry, *more], question) + _clear_pending()
            else:
                events = self._respond(dispatcher, decision, question, intent)
        if events is not None and company and company_in_text(said) \
                and all(code in companies()[company].utilities for code in _utility_codes(said)):
            # 天富的电: the conversation is bound from now on. Not when the company named serves only part of what
            # was asked (用了多少电？昆仑燃气的气价呢？): the electricity comes from someone else
            events.append(SlotSet(COMPANY_SLOT, company))
        return events

    @staticmethod
    def _by_latest_words(decision: Decision, said: str, utility: str | None, business: str | None,
                         intent: str | None, company: str | None) -> Decision:
        """A follow-up whose search found two close entries, the previous answer's topic and another (在天富营业厅
        投诉几天答复？ then 那要是举报他们的工作人员呢？): the choice the latest words alone rank first is answered."""
        if not has_own_topic(said):   # 那饭店呢: a condition only, the old topic's entries decide
            return decision
        own = knowledge_search().decide(said, utility=utility, business=business, intent=intent, company=company)
        choices = [hit.entry for hit in decision.hits]
        if own.outcome is not Outcome.ANSWER or own.entry not in choices:
            return decision
        first = next(hit for hit in decision.hits if hit.entry == own.entry)
        return Decision(Outcome.ANSWER, (first, *(hit for hit in decision.hits if hit is not first)), decision.utilities)

    def _not_served(self, dispatcher: CollectingDispatcher, question: str, utility: str, business: str | None,
                    intent: str | None, company: str) -> list[EventType]:
        """昆仑燃气's customer asking about heat: their company does not supply it; general practice where a
        document that binds no company gives one, never another company's promise."""
        label = UTILITY_LABELS[utility]
        dispatcher.utter_message(text=f"{companies()[company].name}不经营{label}业务，{label}方面的问题请向当地的{label}"
                                      "供应单位咨询。")
        general = knowledge_search().decide(question, utility=utility, business=business, intent=intent)
        if general.outcome is Outcome.ANSWER and general.entry.source.company == "none":
            return self._say(dispatcher, [general.entry], question) + _clear_pending()
        return _clear_pending()

    @staticmethod
    def _question_parts(question: str) -> list[str]:
        """The questions a message asks, one search text each: split at question marks; or, when one sentence asks
        several (申请了多久给答复，多久能来施工), each asking clause with the clauses that ask nothing (the topic)."""
        parts = [p for p in re.split(r"[？?]", question) if len(p.strip()) >= 4]
        if len(parts) > 1:
            return parts[:MAX_PARTS]
        clauses = [c for c in _CLAUSE.split(question) if c]
        asking = [c for c in clauses if asks_something(c)]
        if len(asking) < 2:
            return []
        topic = "".join(c for c in clauses if not asks_something(c))[-CONTEXT_CHARS:]
        return [f"{topic} {clause}".strip() for clause in asking[:MAX_PARTS]]

    def _other_questions(self, question: str, decision: Decision, utility: str | None, business: str | None,
                         intent: str | None, company: str | None) -> list[Entry]:
        """Entries a message's other questions need when it asks several: each part is searched with the whole
        message's utility, and kept only when it answers with another entry. With choices (ASK_ENTRY) and
        several questions, the entries the parts answer (the choices' first two when the parts find fewer)."""
        if decision.outcome not in (Outcome.ANSWER, Outcome.ASK_ENTRY):
            return []
        first = [decision.entry] if decision.outcome is Outcome.ANSWER else []
        found: list[Entry] = []
        for part in self._question_parts(question):
            other = knowledge_search().decide(part, utility=utility, business=business, intent=intent, company=company)
            if other.outcome is Outcome.ANSWER and other.entry not in first and other.entry not in found:
                found.append(other.entry)
        if decision.outcome is Outcome.ASK_ENTRY:
            if not asks_several(question):
                return []
            return found[:SEVERAL_PARTS] if len(found) >= SEVERAL_PARTS else [h.entry for h in decision.hits[:SEVERAL_PARTS]]
        return found[:MAX_PARTS - 1]

    @staticmethod
    def _general_beside(question: str, decision: Decision, utility: str | None, business: str | None,
                        intent: str | None, named: list[str]) -> Entry | None:
        """For a message that names one company and asks whether its rule is the same as the general one (or
        another supplier's): the best entry on the same topic from a document not of that company."""
        if len(named) != 1 or decision.outcome is not Outcome.ANSWER or not compares_with_general(question):
            return None
        top = decision.entry
        if top.company != named[0]:
            return None
        hits = knowledge_search().rank(with_focus(question), utility=utility or top.utility, business=business,
                                       intent=intent)
        return next((h.entry for h in hits if h.entry.company != top.company and h.entry.intent == top.intent
                     and h.entry.utility in (top.utility, "all") and h.score >= GENERAL_RATIO * hits[0].score), None)

    def _per_company(self, dispatcher: CollectingDispatcher, question: str, intent: str | None, business: str | None,
                     named: list[str], utilities: list[str | None], admit_ignorance: bool) -> list[EventType] | None:
        """Each named company's rule, labelled: the best entry of that company's documents (or, when it has none on
        the topic, of documents binding no company), for the utility named if the company serves it."""
        entries: list[Entry] = []
        for company in named[:MAX_PARTS]:
            served = companies()[company].utilities
            # the utility its own questions name first (…暖气是天富热电供的。…天富来查用热的人要给我看啥证件？: heat,
            # though 天富热电 sells gas too and gas was named first), else the first named it serves
            own = own_sentences(question, companies_in_text, company)
            asked = [code for s in own if asks_something(s) for code in sorted(_utility_codes(s)) if code in served]
            utility = next(iter(asked), None) or next((u for u in utilities if u in served),
                                                      served[0] if len(served) == 1 else None)
            decision = knowledge_search().decide(focus_on(question, companies_in_text, company), utility=utility,
                                                 business=part_business(own, question, business), intent=intent,
                                                 company=company)
            if decision.outcome is Outcome.NOTHING:
                continue
            rule = next((h.entry for h in decision.hits if h.entry.company == company), decision.hits[0].entry)
            if rule not in entries:
                entries.append(rule)
        return self._parts_or_nothing(dispatcher, entries, question, admit_ignorance)

    def _per_utility(self, dispatcher: CollectingDispatcher, question: str, intent: str | None, business: str | None,
                     company: str | None, utilities: list[str | None], admit_ignorance: bool,
                     bound: str | None = None) -> list[EventType] | None:
        """One labelled part per utility named. bound: the company the conversation is bound to (not only named
        in this message)."""
        entries: list[Entry] = []
        for utility in utilities[:MAX_PARTS]:
            own = own_sentences(question, _utility_codes, utility or "")
            # 燃气客服热线和95598: the company a message names binds only the utilities it serves; and, named in
            # another utility's sentences only, not this part (偷电一般都指哪些做法？要是在天富热电偷暖气被查到…: the
            # electricity part is the general question), unless the conversation is that company's
            serving = company if company and utility in companies()[company].utilities else None
            if serving and serving != bound and own and serving not in {c for s in own for c in companies_in_text(s)} \
                    and serving in companies_in_text(question):
                serving = None
            topic = self.intent_for.get(utility or "") or part_topic(own, intent)
            decision = knowledge_search().decide(focus_on(question, _utility_codes, utility or ""), utility=utility,
                                                 business=part_business(own, question, business), intent=topic,
                                                 company=serving)
            if decision.outcome is not Outcome.NOTHING:
                entries += [e for e in _utility_part(decision) if e not in entries]
        return self._parts_or_nothing(dispatcher, entries, question, admit_ignorance)

    def _parts_or_nothing(self, dispatcher: CollectingDispatcher, entries: list[Entry], question: str,
                          admit_ignorance: bool) -> list[EventType] | None:
        if not entries:
            if not admit_ignorance:
                return None
            dispatcher.utter_message(response="utter_knowledge_not_found", buttons=[HUMAN_BUTTON],
                                     json_message=annotate.unanswered(UnansweredReason.NO_ENTRY))
            return _clear_pending()
        return self._say(dispatcher, entries, question) + _clear_pending()

    def _respond(self, dispatcher: CollectingDispatcher, decision: Decision, question: str,
                 intent: str | None) -> list[EventType]:
        if decision.outcome is Outcome.ANSWER:
            return self._say(dispatcher, [decision.entry], question) + _clear_pending()
        if decision.outcome is Outcome.EACH:
            # No utility or company known and their rules differ: each one's rule, labelled with its name.
            return self._say(dispatcher, list(decision.parts[:MAX_PARTS]), question) + _clear_pending()
        if decision.outcome is Outcome.ASK_ENTRY and self._facets(decision):
            # 电费怎么交: the company's rule and the general practice, two facets of one topic, are both read
            return self._say(dispatcher, [h.entry for h in decision.hits[:SEVERAL_PARTS]], question) + _clear_pending()
        if decision.outcome is Outcome.ASK_ENTRY:
            buttons = [{"title": self._choice_title(h.entry), "payload": f'/inform{{"kb_entry": "{h.entry.id}"}}'}
                       for h in decision.hits]
            dispatcher.utter_message(text="您想了解的是下面哪一项？", buttons=buttons,
                                     json_message=annotate.menu([h.entry.id for h in decision.hits]))
            return [SlotSet(PENDING_QUESTION, question), SlotSet(PENDING_INTENT, intent)]
        dispatcher.utter_message(response="utter_knowledge_not_found", buttons=[HUMAN_BUTTON],
                                 json_message=annotate.unanswered(UnansweredReason.NO_ENTRY))
        return _clear_pending()

    @staticmethod
    def _facets(decision: Decision) -> bool:
        """The two closest choices are one topic seen twice (same utility and intent, one a company's rule and the
        other a document binding no company, or both of one company): answering both beats a menu."""
        first, second = (h.entry for h in decision.hits[:2]) if len(decision.hits) >= 2 else (None, None)
        if first is None or second is None:
            return False
        return first.utility == second.utility and first.intent == second.intent

    @staticmethod
    def _choice_title(entry: Entry) -> str:
        return f"{entry.utility_label}：{entry.title}" if entry.utility_label else entry.title

    def _say(self, dispatcher: CollectingDispatcher, entries: list[Entry], question: str | None = None) -> list[EventType]:
        """The answer (one labelled part per entry), the anti-fraud line under payment answers, then the form
        the topic offers."""
        parts = [answer_text(entry, with_company=len(entries) > 1) for entry in entries]
        if any(entry.intent == "ask_payment" for entry in entries):
            parts.append(anti_fraud_reminder(knowledge_base()))
        offers = {topic for topic in map(_topic, entries) if topic is not None} if self.offer_forms else set()
        buttons = []
        if len(offers) == 1:
            prompt, title, payload, _ = FORM_OFFERS[offers.pop()]
            parts.append(prompt)
            buttons = [{"title": title, "payload": payload}]
        dispatcher.utter_message(text="\n\n".join(parts) if len(entries) > 1 else "\n".join(parts), buttons=buttons,
                                 json_message=annotate.answered([entry.id for entry in entries]))
        events: list[EventType] = [SlotSet("kb_last_entry", entries[0].id)]
        if question:
            events.append(SlotSet(LAST_QUESTION, question[-200:]))
        return events

    @staticmethod
    async def _tickets_line(dispatcher: CollectingDispatcher, tracker: Tracker, entries: list[Entry]) -> list[EventType]:
        """A ticket of the answer's kind the customer already has: its number and promised date."""
        kinds = {FORM_OFFERS[t][3] for t in (_topic(e) for e in entries) if t}
        if not kinds:
            return []
        try:
            tickets = await GatewayClient(timeout_seconds=2).tickets_for(tracker.sender_id)
        except GatewayError as error:
            logger.info("no ticket line for %s: %s", tracker.sender_id, error)
            return []
        from bot.actions.check_ticket import describe  # check_ticket imports the form helpers this module uses

        mine = [t for t in tickets if t.get("type") in kinds][:2]
        if mine:
            dispatcher.utter_message(text="您已有的工单：" + "；".join(describe(t) for t in mine) + "。")
        return []
