"""Works out a conversation's dialogue states once per prediction instead of once per policy lookup.

To predict an action, Rasa 3.6 runs the policies on the conversation, and each turns the whole conversation into
its list of states (`DialogueStateTracker.past_states`: every event replayed on a fresh tracker, one state per
action): RulePolicy once or twice (the text, then the intent of the last message), MemoizationPolicy once more for
its variant of the list, up to three replays for one prediction. That was 10 % of the Rasa process's samples in a
py-spy profile of customers served one at a time (2026-12-01, scripts/bench_rasa_cpu.py), growing with the
conversation.

While Rasa predicts the next action for a conversation (`MessageProcessor._predict_next_with_tracker`), the first
`past_states` call on that conversation replays it once and works out both lists the policies ask for: every turn
(RulePolicy's) and the turns stories know, rule-only slots and loops left out (MemoizationPolicy's, which passes
`ignore_rule_only_turns` and the rule-only data). That is Rasa's `Domain.states_for_tracker_history` with both
branches taken on the same replay. Later calls with the same arguments (the same rule-only data for the second
list) get a copy (each state and each part of it a new dict: the featurizers delete keys from them). The
conversation does not change while the policies run; the kept lists are still checked against the conversation's
events (the same event list object, as long, ending with the same event) and dropped when the prediction ends.
"""
from __future__ import annotations

import copy
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

_rasa_past_states = DialogueStateTracker.past_states
_rasa_predict_next_with_tracker = MessageProcessor._predict_next_with_tracker


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    events: Any                 # the tracker's event deque when the prediction started
    length: int
    last: Any
    # (id of the domain, omit_unset_slots, ignore_rule_only_turns) -> (domain, rule-only data, states)
    states: dict[tuple[int, bool, bool], tuple[Domain, Any, list[dict[str, Any]]]] = field(default_factory=dict)

    def current(self, tracker: DialogueStateTracker) -> bool:
        events = tracker.events
        return (tracker is self.tracker and events is self.events and len(events) == self.length
                and (not events or events[-1] is self.last))


_kept: ContextVar[_Kept | None] = ContextVar("prediction_states", default=None)


def _copy(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: dict(part) for name, part in state.items()} for state in states]


def states_both_ways(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool,
                     rule_only_data: dict[str, Any] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`domain.states_for_tracker_history(tracker, omit_unset_slots, ignore_rule_only_turns=False)` and the same
    with `ignore_rule_only_turns=True, rule_only_data=rule_only_data`, from one replay of the conversation: Rasa's
    loop with both of its branches (rasa/shared/core/domain.py), each state worked out once and copied for the
    second list before that list's changes."""
    every: list[dict[str, Any]] = []
    ml: list[dict[str, Any]] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for tr, hide_rule_turn in tracker.generate_all_prior_trackers():
        if not turn_was_hidden:
            last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            turn_was_hidden = hide_rule_turn
        state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if not turn_was_hidden:
            ml_state = {name: dict(part) for name, part in state.items()}
            domain._remove_rule_only_features(ml_state, rule_only_data)
            if ml:
                domain._substitute_rule_only_user_input(ml_state, ml[-1])
            if last_ml_action_sub_state:
                ml_state[PREVIOUS_ACTION] = last_ml_action_sub_state
            ml.append(domain._clean_state(ml_state))
        every.append(domain._clean_state(state))
    return every, ml


def past_states(self: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False,
                ignore_rule_only_turns: bool = False, rule_only_data: dict[str, Any] | None = None) -> list:
    kept = _kept.get()
    if kept is None or not kept.current(self):
        return _rasa_past_states(self, domain, omit_unset_slots=omit_unset_slots,
                                 ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data)
    omit, ignore = bool(omit_unset_slots), bool(ignore_rule_only_turns)
    found = kept.states.get((id(domain), omit, ignore))
    if found is not None and found[0] is domain and (not ignore or found[1] == rule_only_data):
        return _copy(found[2])
    every, ml = states_both_ways(domain, self, omit, rule_only_data)
    kept.states[(id(domain), omit, False)] = (domain, None, _copy(every))
    kept.states[(id(domain), omit, True)] = (domain, copy.deepcopy(rule_only_data), _copy(ml))
    return ml if ignore else every


def predict_next_with_tracker(self: MessageProcessor, tracker: DialogueStateTracker) -> Any:
    events = tracker.events
    token = _kept.set(_Kept(tracker, events, len(events), events[-1] if events else None))
    try:
        return _rasa_predict_next_with_tracker(self, tracker)
    finally:
        _kept.reset(token)


def install() -> None:
    DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]
    MessageProcessor._predict_next_with_tracker = predict_next_with_tracker  # type: ignore[method-assign]
