"""Fixes to Rasa 3.6's own code, installed by `python -m bot.serve` before Rasa starts.

Each module replaces one Rasa function with one that behaves the same and costs less, and says what it fixes and
what it measured. Before them, the two functions took more than two thirds of the Rasa process's CPU time under
load (docs/benchmarks.md, "What was cut, and how it was found").

RASA_FIXES_DISABLE (comma-separated module names, or "all") leaves those out: scripts/bench_rasa_cpu.py measures
a fix against Rasa's own code that way, in the same minutes.
"""
from __future__ import annotations

import os

from bot.rasa_fixes import (
    action_calls,
    action_response_schema,
    action_tracker_copy,
    diet_predict_call,
    event_lookup,
    graph_runner,
    prediction_states,
)

FIXES = {
    "action_calls": action_calls.install,
    "action_response_schema": action_response_schema.install,
    "action_tracker_copy": action_tracker_copy.install,
    "event_lookup": event_lookup.install,
    "graph_runner": graph_runner.install,
    "prediction_states": prediction_states.install,
    "diet_predict_call": diet_predict_call.install,
}


def install() -> None:
    disabled = {name.strip() for name in os.environ.get("RASA_FIXES_DISABLE", "").split(",") if name.strip()}
    unknown = disabled - set(FIXES) - {"all"}
    if unknown:
        raise SystemExit(f"RASA_FIXES_DISABLE: unknown {', '.join(sorted(unknown))} (known: {', '.join(FIXES)})")
    for name, install_fix in FIXES.items():
        if name not in disabled and "all" not in disabled:
            install_fix()
