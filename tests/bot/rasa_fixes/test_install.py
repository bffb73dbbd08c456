"""`python -m bot.serve` installs every fix in bot/rasa_fixes/; RASA_FIXES_DISABLE leaves named ones out (for
scripts/bench_rasa_cpu.py's comparisons) and refuses names it does not know."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHECK = """
from rasa.core.processor import MessageProcessor
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.tensorflow.models import RasaModel
from bot import rasa_fixes
rasa_fixes.install()
print(DaskGraphRunner.run.__module__, DialogueStateTracker.past_states.__module__,
      MessageProcessor._run_action.__module__, RasaModel._rasa_predict.__module__)
"""


def installed(disabled: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("RASA_FIXES_DISABLE", None)
    if disabled is not None:
        env["RASA_FIXES_DISABLE"] = disabled
    return subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env, text=True, capture_output=True,
                          timeout=300)


def test_every_fix_unless_disabled_by_name() -> None:
    assert installed(None).stdout.split() == [
        "bot.rasa_fixes.graph_runner", "bot.rasa_fixes.prediction_states", "bot.rasa_fixes.action_tracker_copy",
        "bot.rasa_fixes.diet_predict_call"]
    assert installed("graph_runner, diet_predict_call").stdout.split() == [
        "rasa.engine.runner.dask", "bot.rasa_fixes.prediction_states", "bot.rasa_fixes.action_tracker_copy",
        "rasa.utils.tensorflow.models"]
    assert installed("all").stdout.split() == [
        "rasa.engine.runner.dask", "rasa.shared.core.trackers", "rasa.core.processor", "rasa.utils.tensorflow.models"]
    refused = installed("graph_runer")
    assert refused.returncode != 0 and "RASA_FIXES_DISABLE: unknown graph_runer" in refused.stderr
