"""Event classes found by name with a dictionary (bot/rasa_fixes/event_lookup.py), as Rasa's own lookup finds them."""
from __future__ import annotations

import pytest
from rasa.shared.core import events
from rasa.shared.core.events import Event
from rasa.shared.utils import common

from bot.rasa_fixes import event_lookup


@pytest.fixture(autouse=True)
def installed() -> None:
    event_lookup.install()


def test_every_event_type_resolves_to_the_class_rasa_finds() -> None:
    for cls in common.all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is event_lookup._rasa_resolve_by_type(cls.type_name)


def test_a_tracker_round_trip_keeps_every_event() -> None:
    stored = [events.UserUttered("燃气表不走字", {"name": "report_fault", "confidence": 0.9}),
              events.SlotSet("phone", "13812345678"), events.ActiveLoop("repair_form"),
              events.BotUttered("请问您的地址是？"), events.ActionExecuted("action_listen"), events.SessionStarted()]
    restored = events.deserialise_events([e.as_dict() for e in stored])
    assert restored == stored


def test_unknown_names_behave_as_in_rasa() -> None:
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", events.SlotSet) is events.SlotSet
    assert Event.resolve_by_type("topic") is None


def test_the_class_tree_is_walked_once_per_name(monkeypatch: pytest.MonkeyPatch) -> None:
    Event.resolve_by_type("slot")
    walks = []
    real = common.all_subclasses
    monkeypatch.setattr(common, "all_subclasses", lambda cls: walks.append(cls) or real(cls))
    for _ in range(50):
        assert Event.resolve_by_type("slot") is events.SlotSet
    assert walks == []


def test_a_class_defined_later_is_found() -> None:
    class LateEvent(events.SessionStarted):
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent
