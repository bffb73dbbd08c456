"""A conversation's states worked out once per prediction (bot/rasa_fixes/prediction_states.py): one replay gives
every policy the states Rasa would give it, each its own copy, and nothing is kept beyond the prediction or a
changed conversation."""
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
    "actions": ["action_submit_ticket", "action_answer"],
})
RULE_ONLY = {"rule_only_slots": ["utility"], "rule_only_loops": ["repair_form"]}


def conversation() -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c", [
        ActionExecuted("action_listen"),
        UserUttered("燃气表不走字", {"name": "report_fault", "confidence": 0.9}),
        ActionExecuted("repair_form"), ActiveLoop("repair_form"), SlotSet("utility", "gas"),
        SlotSet("requested_slot", "phone"), BotUttered("电话？"), ActionExecuted("action_listen"),
        UserUttered("13812345678", {"name": "inform", "confidence": 0.8},
                    [{"entity": "phone", "value": "13812345678", "start": 0, "end": 11}]),
    ], slots=DOMAIN.slots)


def with_hidden_rule_turns() -> DialogueStateTracker:
    """A conversation with turns only rules know (hidden from MemoizationPolicy's states) and a form asking again."""
    tracker = conversation()
    for event in [ActionExecuted("action_answer", hide_rule_turn=True), BotUttered("好的"),
                  ActionExecuted("action_listen", hide_rule_turn=True),
                  UserUttered("燃气表不走字", {"name": "report_fault", "confidence": 0.9}),
                  ActionExecuted("repair_form"), SlotSet("requested_slot", "phone"),
                  ActionExecuted("action_listen"), UserUttered("好", {"name": "affirm", "confidence": 0.9})]:
        tracker.update(event)
    return tracker


class Policies:
    """What the policies do with the states in one prediction: MemoizationPolicy's featurizer (max history 4, turns
    stories know) and RulePolicy's (the whole history), the latter once with the last message's text and once
    with its intent; each featurizer deletes keys from the states it gets."""

    def __init__(self) -> None:
        self.memoization = MaxHistoryTrackerFeaturizer(SingleStateFeaturizer(), max_history=4)
        self.rules = MaxHistoryTrackerFeaturizer(SingleStateFeaturizer(), max_history=None)
        self.seen: list[Any] = []

    def run(self, inputs: dict[str, Any], targets: list[str]) -> dict[str, Any]:
        tracker = inputs["__tracker__"]
        self.seen = [self.memoization.prediction_states([tracker], DOMAIN, ignore_rule_only_turns=True,
                                                        rule_only_data=RULE_ONLY, ignore_action_unlikely_intent=True),
                     self.rules.prediction_states([tracker], DOMAIN, use_text_for_last_user_input=True,
                                                  rule_only_data=RULE_ONLY),
                     self.rules.prediction_states([tracker], DOMAIN, use_text_for_last_user_input=False,
                                                  rule_only_data=RULE_ONLY),
                     self.memoization.prediction_states([tracker], DOMAIN, ignore_rule_only_turns=True,
                                                        rule_only_data=RULE_ONLY, ignore_action_unlikely_intent=True)]
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
    """Replays of the conversation (one per list of states worked out)."""
    calls: list[int] = []
    replay = DialogueStateTracker.generate_all_prior_trackers

    def counting(self: DialogueStateTracker) -> Any:
        calls.append(1)
        return replay(self)

    monkeypatch.setattr(DialogueStateTracker, "generate_all_prior_trackers", counting)
    monkeypatch.setattr(DialogueStateTracker, "past_states", prediction_states.past_states)
    return calls


@pytest.mark.parametrize("make", [conversation, with_hidden_rule_turns])
def test_each_policy_gets_rasas_states_from_one_replay(counted: list[int], make: Any) -> None:
    theirs = predict(Policies(), make(), fixed=False)
    assert len(counted) == 4
    counted.clear()
    ours = predict(Policies(), make(), fixed=True)
    assert ours == theirs
    assert len(counted) == 1
    assert ours[1][0][-1]["user"].get("text") and "intent" not in ours[1][0][-1]["user"]
    assert ours[2][0][-1]["user"].get("intent") and "text" not in ours[2][0][-1]["user"]


@pytest.mark.parametrize("rule_only", [RULE_ONLY, None, {"rule_only_slots": ["phone"]}])
@pytest.mark.parametrize("omit_unset_slots", [False, True])
def test_both_lists_from_one_replay_are_rasas(rule_only: Any, omit_unset_slots: bool) -> None:
    for tracker in (conversation(), with_hidden_rule_turns()):
        every, ml = prediction_states.states_both_ways(DOMAIN, tracker, omit_unset_slots, rule_only)
        assert every == DOMAIN.states_for_tracker_history(tracker, omit_unset_slots=omit_unset_slots)
        assert ml == DOMAIN.states_for_tracker_history(tracker, omit_unset_slots=omit_unset_slots,
                                                       ignore_rule_only_turns=True, rule_only_data=rule_only)
    assert len(ml) < len(every)   # the hidden rule turns are left out


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


def test_other_rule_only_data_is_worked_out_anew(counted: list[int]) -> None:
    other = {"rule_only_slots": ["phone"], "rule_only_loops": []}

    class TwoKinds(Policies):
        def run(self, inputs: dict[str, Any], targets: list[str]) -> dict[str, Any]:
            tracker = inputs["__tracker__"]
            self.seen = [tracker.past_states(DOMAIN, ignore_rule_only_turns=True, rule_only_data=RULE_ONLY),
                         tracker.past_states(DOMAIN, ignore_rule_only_turns=True, rule_only_data=other),
                         tracker.past_states(DOMAIN)]
            return {"select_prediction": None}

    tracker = with_hidden_rule_turns()
    assert predict(TwoKinds(), tracker, fixed=True) == [
        prediction_states._rasa_past_states(tracker, DOMAIN, ignore_rule_only_turns=True, rule_only_data=RULE_ONLY),
        prediction_states._rasa_past_states(tracker, DOMAIN, ignore_rule_only_turns=True, rule_only_data=other),
        prediction_states._rasa_past_states(tracker, DOMAIN)]
