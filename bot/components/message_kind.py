"""Corrects the classifier's intent where the wording says what the customer wants (bot/components/
message_kind_patterns.py), and records the kind of message as an entity for the actions.

- A question about a service (how long, how much, can I…) is answered from the handbook even when it names a
  complaint, a repair, an installation or a ticket: report_fault / apply_installation / file_complaint /
  check_ticket (without a status cue) become ask_process, and the topic they named is kept as `asked_about`. request_human without a word for a human, nlu_fallback and out_of_scope with utility words
  become ask_process too when they ask something.
- A follow-up ("那农村呢？") is a question about the previous answer: ask_process.
- A question naming a utility topic that the classifier took for small talk (偷电是违法的吗 as bot_challenge),
  and a question with service words the classifier doubted (nlu_fallback), become ask_process.
- A request ("停电了 帮我报修") starts its form: a question intent becomes the request's intent.
- A message with nothing a utility customer would say (no utility word, no number, not small talk) is out_of_scope.

The kind and the topic are output properties of the parse (`message_kind`, `asked_about`), so the actions read
them from the latest message; they are not entities, which would change what the NLU is tested on.

Runs after the FallbackClassifier and before the hazard override, which has the last word.
"""
from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.message_kind_patterns import (
    Kind,
    about_utilities,
    asks_arrival,
    asks_for_human,
    asks_money,
    asks_rule_strictly,
    asks_something,
    asks_status,
    has_fault,
    message_kind,
    names_a_utility_topic,
)

QUESTION_INTENT = "ask_process"
FORM_INTENTS = frozenset({"report_fault", "apply_installation", "file_complaint"})
QUESTION_INTENTS = frozenset({"ask_fee", "ask_payment", "ask_process", "ask_channel", "ask_outage"})
UNPLACED = frozenset({"nlu_fallback", "out_of_scope", "inform"})
# Never turned into something else: small talk, control, and what the safety rule and the forms rely on.
KEPT = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "restart", "back",
                  "verify_identity"})
_REQUESTED = (("file_complaint", re.compile(r"投诉|举报|反映")),
              ("apply_installation", re.compile(r"报装|安装|开户|通气|接电|装表")),
              ("report_fault", re.compile(r"报修|修|抢修|维修")))
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny"})
# Short replies the classifier confuses with short questions (偷电是违法的吗 read as "are you a bot?", 窃点是啥意思
# as "yes"): a question that names a utility topic is none of them.
MISREAD_SHORT = SMALL_TALK | {"bot_challenge"}
PARTING = frozenset({"greet", "goodbye", "thank"})   # none of them asks how long or how much
MIN_QUESTION_CHARS = 5
KIND_KEY, TOPIC_KEY = "message_kind", "asked_about"


def corrected_intent(text: str, intent: str, kind: Kind) -> tuple[str, str | None]:
    """(the intent to act on, the form intent a question was about)."""
    if kind is Kind.FOLLOWUP and intent in SMALL_TALK:  # 那山区呢 is no "yes"
        return QUESTION_INTENT, None
    if intent in MISREAD_SHORT and kind is Kind.QUESTION and len(text.strip()) >= MIN_QUESTION_CHARS \
            and names_a_utility_topic(text):
        return ("ask_fee" if asks_money(text) else QUESTION_INTENT), None
    if intent in PARTING and kind is Kind.QUESTION and asks_something(text) and about_utilities(text):
        return QUESTION_INTENT, None   # 那个我提了意见嗯然后大概多久会有人核实啊 taken for a goodbye: it asks how long
    if intent in KEPT or intent == "request_human" and asks_for_human(text):
        return intent, None
    if intent == "report_emergency":
        # The classifier alone; the hazard override, which runs next, restores every named danger.
        if not about_utilities(text):
            return "out_of_scope", None
        return (QUESTION_INTENT if kind in (Kind.QUESTION, Kind.FOLLOWUP) else intent), None
    if not about_utilities(text):
        return "out_of_scope", None
    if kind is Kind.FOLLOWUP:
        return QUESTION_INTENT, None
    question = "ask_fee" if asks_money(text) else QUESTION_INTENT
    if kind is Kind.QUESTION:
        if intent in FORM_INTENTS:
            return question, intent
        if intent == "check_ticket" and (not asks_status(text) or asks_rule_strictly(text)):
            return question, None
        if intent == "request_human" and not asks_for_human(text):
            return question, None
        if intent in UNPLACED and names_a_utility_topic(text):  # the classifier's doubt; our words decide
            return question, None
        if intent == "nlu_fallback":  # 我提了意见 多久会有人核实, 让我签字 我不签行不行: service words, a question
            return question, None
    if kind in (Kind.REQUEST, Kind.BOTH) and (intent in QUESTION_INTENTS or intent in UNPLACED):
        requested = next((name for name, words in _REQUESTED if words.search(text)), None)
        if requested:
            return requested, None
        if kind is Kind.BOTH and intent in UNPLACED and has_fault(text):  # 停电了 你们多快派人来: answer, then form
            return "report_fault", None
        if kind is Kind.BOTH and intent == "ask_outage" and has_fault(text) and asks_arrival(text):
            return "report_fault", None  # 停电了 你们的人啥时候能来: when someone comes, not when power returns
    return intent, None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageKindOverride(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MessageKindOverride:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip() or text.startswith("/"):
                continue
            kind = message_kind(text)
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY)
            new, topic = corrected_intent(text, name, kind) if name else (name, None)
            message.set(KIND_KEY, kind.value, add_to_output=True)
            message.set(TOPIC_KEY, topic, add_to_output=True)
            if new != name:
                chosen = {INTENT_NAME_KEY: new, PREDICTED_CONFIDENCE_KEY: 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != new]
                message.set(INTENT, chosen, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        return messages
