"""The bot's servers keep one compute thread per numerical library (bot/compute_threads.py): their helper threads
had cost the action server 60 % of its CPU per customer question, spinning on cores Rasa needed."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.compute_threads import VARIABLES

REPORT = f"""
import json, os, threadpoolctl
import numpy, scipy.linalg, sklearn.linear_model  # the libraries whose pools the servers load
print(json.dumps({{"pools": [p["num_threads"] for p in threadpoolctl.threadpool_info()],
                  "env": {{k: os.environ.get(k) for k in {VARIABLES!r}}}}}))
"""


def _report(first_import: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    out = subprocess.run([sys.executable, "-c", f"{first_import}\n{REPORT}"], env={**clean, **env},
                         capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("first_import", ["import bot.actions", "import bot.serve"])
def test_a_server_process_keeps_one_thread_per_library(first_import: str) -> None:
    report = _report(first_import)
    assert report["pools"] and all(n == 1 for n in report["pools"]), report
    assert all(value == "1" for value in report["env"].values()), report


def test_without_it_the_pools_take_every_core() -> None:
    """What the setting prevents (skipped on a one-core machine, where a pool is one thread anyway)."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core")
    assert any(n > 1 for n in _report("pass")["pools"])


def test_a_deployment_can_give_more() -> None:
    report = _report("import bot.actions", OPENBLAS_NUM_THREADS="2")
    assert report["env"]["OPENBLAS_NUM_THREADS"] == "2" and report["env"]["OMP_NUM_THREADS"] == "1"
