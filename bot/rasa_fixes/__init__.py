"""Fixes to Rasa 3.6's own code, installed by `python -m bot.serve` before Rasa starts.

Each module replaces one Rasa function with one that behaves the same and costs less; each says what it fixes
and what it measured. Together they took about three quarters of the Rasa process's CPU time per message under
load (docs/benchmarks.md, "Where the time goes").
"""
from __future__ import annotations

from bot.rasa_fixes import action_response_schema, event_lookup


def install() -> None:
    action_response_schema.install()
    event_lookup.install()
