"""A conversation's states worked out once per prediction (bot/rasa_fixes/prediction_states.py): every policy still
gets the states Rasa would give it, its own copy, and nothing is kept beyond the prediction or a changed
conversation."""
from __future__ import annotations

from typing import Any

import pytest
from rasa.core.featurizers.single_state_featurizer import SingleStateFeaturizer
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_fixes import prediction_states

DOMAIN = Domain.from_dict({
    "intents": ["report_fault", "inform", "affirm"],
    "entities": ["phone"],
    "slots": {"phone": {"type": "text", "mappings": [{"type": "from_entity", "entity": "phone"}]},
              "utility": {"type": "categorical", "values": ["gas", "electricity"],
                          "mappings": [{"type": "custom"}]}},
    "forms": {"repair_form": {"required_slots": ["phone"]}},
    "responses": {"utter_ask_phone": [{"text": "电话？"}]},
    "actions": ["action_submit_ticket"],
})


def conversation() -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c", [
        ActionExecuted("action_listen"),
        UserUttered("燃气表不走字", {"name": "report_fault", "confidence": 0.9}),
        ActionExecuted("repair_form"), ActiveLoop("repair_form"), SlotSet("utility", "gas"),
        SlotSet("requested_slot", "phone"), BotUttered("电话？"), ActionExecuted("action_listen"),
        UserUttered("13812345678", {"name": "inform", "confidence": 0.8},
                    [{"entity": "phone", "value": "13812345678", "start": 0, "end": 11}]),
    ], slots=DOMAIN.slots)


class Policies:
    """What the policies do with the states in one prediction: MemoizationPolicy's featurizer (max history 4) and
    RulePolicy's (the whole history), the latter once with the last message's text and once with its intent;
    each featurizer deletes keys from the states it gets."""

    def __init__(self) -> None:
        self.memoization = MaxHistoryTrackerFeaturizer(SingleStateFeaturizer(), max_history=4)
        self.rules = MaxHistoryTrackerFeaturizer(SingleStateFeaturizer(), max_history=None)
        self.seen: list[Any] = []

    def run(self, inputs: dict[str, Any], targets: list[str]) -> dict[str, Any]:
        tracker = inputs["__tracker__"]
        self.seen = [self.memoization.prediction_states([tracker], DOMAIN),
                     self.rules.prediction_states([tracker], DOMAIN, use_text_for_last_user_input=True),
                     self.rules.prediction_states([tracker], DOMAIN, use_text_for_last_user_input=False),
                     self.rules.prediction_states([tracker], DOMAIN, use_text_for_last_user_input=False)]
        return {"select_prediction": None}


def predict(policies: Policies, tracker: DialogueStateTracker, fixed: bool) -> list[Any]:
    processor = object.__new__(MessageProcessor)   # _predict_next_with_tracker needs only these
    processor.graph_runner = policies               # type: ignore[assignment]
    processor.model_metadata = type("Metadata", (), {"core_target": "select_prediction"})()  # type: ignore[assignment]
    processor.domain = DOMAIN
    (prediction_states.predict_next_with_tracker if fixed else prediction_states._rasa_predict_next_with_tracker)(
        processor, tracker)
    return policies.seen


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    rasa = prediction_states._rasa_past_states

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return rasa(*args, **kwargs)

    monkeypatch.setattr(prediction_states, "_rasa_past_states", counting)
    monkeypatch.setattr(DialogueStateTracker, "past_states", prediction_states.past_states)
    return calls


def test_each_policy_gets_rasas_states_worked_out_once(counted: list[int]) -> None:
    theirs = predict(Policies(), conversation(), fixed=False)
    assert len(counted) == 4
    counted.clear()
    ours = predict(Policies(), conversation(), fixed=True)
    assert ours == theirs
    assert len(counted) == 1
    assert ours[1][0][-1]["user"].get("text") == "13812345678" and "intent" not in ours[1][0][-1]["user"]
    assert ours[2][0][-1]["user"].get("intent") == "inform" and "text" not in ours[2][0][-1]["user"]


def test_nothing_is_kept_after_the_prediction_or_for_a_changed_conversation(counted: list[int]) -> None:
    tracker = conversation()
    predict(Policies(), tracker, fixed=True)
    counted.clear()
    first = tracker.past_states(DOMAIN)
    assert tracker.past_states(DOMAIN) == first and len(counted) == 2   # outside a prediction: Rasa's every time

    class Growing(Policies):
        def run(self, inputs: dict[str, Any], targets: list[str]) -> dict[str, Any]:
            tracker = inputs["__tracker__"]
            before = tracker.past_states(DOMAIN)
            tracker.update(ActionExecuted("action_submit_ticket"))
            self.seen = [before, tracker.past_states(DOMAIN), tracker.past_states(DOMAIN, omit_unset_slots=True)]
            return {"select_prediction": None}

    counted.clear()
    before, after, omitted = predict(Growing(), tracker, fixed=True)
    assert after == tracker.past_states(DOMAIN) and len(after) == len(before) + 1
    assert omitted == prediction_states._rasa_past_states(tracker, DOMAIN, omit_unset_slots=True)
