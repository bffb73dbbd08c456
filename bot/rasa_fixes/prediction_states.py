"""Works out a conversation's dialogue states once per prediction instead of once per policy lookup.

To predict an action, Rasa 3.6 runs the policies on the conversation, and each turns the whole conversation into
its list of states (`DialogueStateTracker.past_states`: every event replayed on a fresh tracker, one state per
action): MemoizationPolicy once, RulePolicy once or twice (the text, then the intent of the last message), three
times the same list for one prediction. That was 10 % of the Rasa process's samples in a py-spy profile of
customers served one at a time (2026-12-01, scripts/bench_rasa_cpu.py), growing with the conversation.

While Rasa predicts the next action for a conversation (`MessageProcessor._predict_next_with_tracker`), the first
`past_states` call on that conversation keeps its result, and later calls with the same arguments get a copy of
it (each state and each part of it a new dict: the featurizers delete keys from them). The conversation does not
change while the policies run; the kept list is still checked against the conversation's events (the same event
list object, as long, ending with the same event) and dropped when the prediction ends. Calls that ask for rule-
only turns to be left out (TEDPolicy's) are not kept: their result depends on a rule-only data argument.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from rasa.core.processor import MessageProcessor
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
    states: dict[tuple[int, bool], tuple[Domain, list[dict[str, Any]]]] = field(default_factory=dict)

    def current(self, tracker: DialogueStateTracker) -> bool:
        events = tracker.events
        return (tracker is self.tracker and events is self.events and len(events) == self.length
                and (not events or events[-1] is self.last))


_kept: ContextVar[_Kept | None] = ContextVar("prediction_states", default=None)


def _copy(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: dict(part) for name, part in state.items()} for state in states]


def past_states(self: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False,
                ignore_rule_only_turns: bool = False, rule_only_data: dict[str, Any] | None = None) -> list:
    kept = _kept.get()
    if kept is None or ignore_rule_only_turns or not kept.current(self):
        return _rasa_past_states(self, domain, omit_unset_slots=omit_unset_slots,
                                 ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data)
    key = (id(domain), bool(omit_unset_slots))
    found = kept.states.get(key)
    if found is None or found[0] is not domain:
        states = _rasa_past_states(self, domain, omit_unset_slots=omit_unset_slots)
        kept.states[key] = (domain, _copy(states))
        return states
    return _copy(found[1])


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
