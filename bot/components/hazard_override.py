"""Turns any message that names a present danger into report_emergency, whatever the classifier said.

Runs after DIET and the FallbackClassifier, so neither a low confidence nor a topic in the middle of another
conversation can keep a gas-leak report from the safety rule. A danger named with a typo or a voice homophone
(然气泄漏了, 屋里漏汽; core/spelling.py) is a danger too.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from core.hazards import detect_hazard
from core.spelling import corrected

EMERGENCY_INTENT = "report_emergency"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class HazardIntentOverride(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> HazardIntentOverride:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or (detect_hazard(text) is None and detect_hazard(corrected(text)) is None):
                continue
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) == EMERGENCY_INTENT and intent.get(PREDICTED_CONFIDENCE_KEY, 0) >= 0.9:
                continue
            override = {INTENT_NAME_KEY: EMERGENCY_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != EMERGENCY_INTENT]
            message.set(INTENT, override, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [override, *ranking], add_to_output=True)
        return messages
