"""`make bench-nlu`: training time, model size and parse latency (p50/p99) of the Chinese pipeline.

Trains a fresh model into a temporary directory (the cached model is not touched), then parses every
held-out and out-of-domain example one at a time, as the server would. Figures are printed and written to
docs/benchmarks.md; nothing here passes or fails.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.model import ROOT
from scripts.nlu_runner import load_agent, load_examples

ROUNDS = 3


def train_fresh(out: Path) -> tuple[float, Path]:
    started = time.monotonic()
    # RASA_MAX_CACHE_SIZE=0: no component comes from Rasa's training cache, so the time is a real training.
    subprocess.run([sys.executable, "-m", "rasa", "train", "--config", "bot/config.yml", "--domain", "bot/domain",
                    "--data", "bot/data", "--out", str(out), "--fixed-model-name", "bench"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "RASA_MAX_CACHE_SIZE": "0"})
    return time.monotonic() - started, out / "bench.tar.gz"


def parse_latencies(model: Path, texts: list[str]) -> list[float]:
    import asyncio

    agent = load_agent(model)

    async def run() -> list[float]:
        for text in texts[:20]:
            await agent.parse_message(text)  # warm-up
        timings = []
        for _ in range(ROUNDS):
            for text in texts:
                started = time.perf_counter()
                await agent.parse_message(text)
                timings.append((time.perf_counter() - started) * 1000)
        return timings

    return asyncio.run(run())


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    texts = [t for t, _ in load_examples(ROOT / "tests/nlu/holdout.yml") + load_examples(ROOT / "tests/nlu/ood.yml")]
    with tempfile.TemporaryDirectory() as tmp:
        seconds, model = train_fresh(Path(tmp))
        size_mb = model.stat().st_size / 1e6
        timings = parse_latencies(model, texts)
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    lines = [
        "## NLU", "",
        f"Latest run: {dt.date.today().isoformat()} on {machine}, produced by `make bench-nlu`.", "",
        "| figure | value | aim |", "|---|---|---|",
        f"| training time (fresh, no cache) | {seconds:.0f} s | under 180 s |",
        f"| model size | {size_mb:.1f} MB | |",
        f"| parse latency p50 | {p50:.1f} ms | under 20 ms |",
        f"| parse latency p99 | {p99:.1f} ms | |",
        f"| messages parsed | {len(timings)} ({len(texts)} distinct x {ROUNDS}) | |", "",
    ]
    (ROOT / "docs").mkdir(exist_ok=True)
    target = ROOT / "docs/benchmarks.md"
    current = target.read_text(encoding="utf-8") if target.exists() else "# Benchmarks\n"
    start, end = "<!-- nlu:start -->", "<!-- nlu:end -->"
    block = f"{start}\n" + "\n".join(lines) + f"\n{end}"
    if start in current:
        current = current.split(start)[0] + block + current.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    target.write_text(current, encoding="utf-8")
    print(f"Training {seconds:.0f} s, model {size_mb:.1f} MB, parse p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"over {len(timings)} messages ({machine}). Written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
