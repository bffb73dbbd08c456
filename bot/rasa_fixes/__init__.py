"""Fixes to Rasa 3.6's own code, installed by `python -m bot.serve` before Rasa starts.

Each module replaces one Rasa function with one that behaves the same and costs less, and says what it fixes and
what it measured. Before them, the two functions took more than two thirds of the Rasa process's CPU time under
load (docs/benchmarks.md, "What was cut, and how it was found").
"""
from __future__ import annotations

from bot.rasa_fixes import action_calls, action_response_schema, action_tracker_copy, event_lookup


def install() -> None:
    action_calls.install()
    action_response_schema.install()
    action_tracker_copy.install()
    event_lookup.install()
