"""Runs an action on the conversation itself when the policy added no events, instead of on a copy of it.

Rasa 3.6's `MessageProcessor._run_action` starts with `tracker.copy()`, so that the events a policy attached to
its prediction can be dropped if the action rejects itself. A copy replays every event of the conversation
(`travel_back_in_time`), for every action of every turn: 4.6 % of the Rasa process's samples in a py-spy profile
of customers served one at a time (2026-12-01). Our policies (Memoization, Rule) attach no events to a
prediction, and with none there is nothing to drop: the copy is then the conversation itself, unchanged. With
events, Rasa's copy is made as before. Actions never change the tracker they are given (forms copy it first).
"""
from __future__ import annotations

from typing import Any

from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

_rasa_run_action = MessageProcessor._run_action


def _itself_once(tracker: DialogueStateTracker) -> Any:
    def copy() -> DialogueStateTracker:
        tracker.__dict__.pop("copy", None)   # the next copy() is Rasa's again
        return tracker
    return copy


async def run_action(self: MessageProcessor, action: Any, tracker: DialogueStateTracker, output_channel: Any,
                     nlg: Any, prediction: Any) -> bool:
    if prediction.events:
        return await _rasa_run_action(self, action, tracker, output_channel, nlg, prediction)
    tracker.copy = _itself_once(tracker)   # type: ignore[method-assign]  # Rasa's first call: the temporary tracker
    try:
        return await _rasa_run_action(self, action, tracker, output_channel, nlg, prediction)
    finally:
        tracker.__dict__.pop("copy", None)


def install() -> None:
    MessageProcessor._run_action = run_action  # type: ignore[method-assign]
