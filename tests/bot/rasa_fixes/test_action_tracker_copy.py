"""An action runs on the conversation itself when the policy attached no events (bot/rasa_fixes/action_tracker_copy.py),
on a copy otherwise, and the conversation ends the same either way."""
from __future__ import annotations

from typing import Any

from rasa.core.actions.action import Action, ActionExecutionRejection
from rasa.core.channels import CollectingOutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_fixes import action_tracker_copy


class Recording(Action):
    def __init__(self, reject: bool = False) -> None:
        self.reject = reject
        self.given: list[DialogueStateTracker] = []

    def name(self) -> str:
        return "action_recording"

    async def run(self, output_channel: Any, nlg: Any, tracker: DialogueStateTracker, domain: Domain) -> list:
        self.given.append(tracker)
        if self.reject:
            raise ActionExecutionRejection(self.name())
        return [SlotSet("note", f"{len(tracker.events)} events seen")]


DOMAIN = Domain.from_dict({"slots": {"note": {"type": "any", "mappings": [{"type": "custom"}]}}})


def _processor() -> MessageProcessor:
    processor = object.__new__(MessageProcessor)   # _run_action needs only the domain of a processor
    processor.domain = DOMAIN
    return processor


def _tracker() -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c", [ActionExecuted("action_listen"), UserUttered("燃气表不走字")],
                                            slots=DOMAIN.slots)


async def _run(action: Recording, events: list, patched: bool) -> DialogueStateTracker:
    tracker = _tracker()
    prediction = PolicyPrediction([1.0], "RulePolicy", events=events)
    run = action_tracker_copy.run_action if patched else action_tracker_copy._rasa_run_action
    await run(_processor(), action, tracker, CollectingOutputChannel(), None, prediction)
    assert "copy" not in tracker.__dict__, "the conversation's own copy() is Rasa's again"
    return tracker


async def test_without_policy_events_the_action_gets_the_conversation_itself_and_the_same_outcome() -> None:
    fixed, rasa = Recording(), Recording()
    ours, theirs = await _run(fixed, [], patched=True), await _run(rasa, [], patched=False)
    assert fixed.given[0] is ours and rasa.given[0] is not theirs
    assert list(ours.events) == list(theirs.events)
    assert ours.get_slot("note") == "2 events seen"
    assert ours.copy() is not ours


async def test_policy_events_are_still_applied_on_a_copy_and_dropped_when_the_action_rejects() -> None:
    action = Recording(reject=True)
    tracker = await _run(action, [SlotSet("note", "from the policy")], patched=True)
    assert action.given[0] is not tracker and action.given[0].get_slot("note") == "from the policy"
    assert tracker.get_slot("note") is None
    assert isinstance(tracker.events[-1], ActionExecutionRejected)
