"""`make bench`: many concurrent conversations through the gateway's widget API, and the same messages
straight to Rasa's REST channel, on the running stack this script starts. Prints and records throughput,
p50/p95/p99 latency, errors, the gateway's overhead and the peak memory of every process.

Each virtual customer opens a session, asks a fee question, reports a fault through the whole repair form and
checks the ticket, pausing 1-3 s between messages as a person does. The same load runs against one Rasa process
and against two with each conversation pinned to one (BENCH_RASA_PROCESSES, default "1,2"; BENCH_LEVELS, the
numbers of concurrent customers). Before the load, customers served one at a time give the CPU time each process
spends per message. Figures go to docs/benchmarks.md; nothing here passes or fails. Runs in the gateway's
environment (python -m scripts.bench_load).
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from scripts.stack import ROOT, Stack, embedded_redis, free_port

BOT_PYTHON = ROOT / ".venv" / "bot" / "bin" / "python"
LEVELS = [int(x) for x in os.environ.get("BENCH_LEVELS", "10,25,35,50,75,100").split(",")]
RASA_PROCESSES = [int(x) for x in os.environ.get("BENCH_RASA_PROCESSES", "1,2").split(",")]
SEQUENTIAL_CUSTOMERS = 15
THINK = (1.0, 3.0)
FAULT = "我家燃气表不走字了"


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    messages: int = 0
    seconds: float = 0.0

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def answer_for(prompt: str) -> str:
    """What a customer filling the repair form says next."""
    if "信息对吗" in prompt:
        return "/affirm"
    if "燃气、电力还是供热" in prompt:
        return "燃气"
    if "户号" in prompt:
        return "跳过"
    if "电话" in prompt:
        return "13812345678"
    if "地址" in prompt:
        return "幸福小区8栋1单元1201"
    return "燃气表不走字"


async def timed(run: Run, request) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await request
        ok = response.status_code == 200
    except httpx.HTTPError:
        response, ok = None, False
    run.latencies.append((time.perf_counter() - started) * 1000)
    run.messages += 1
    run.errors += not ok
    return response if ok else None


async def customer(say) -> None:
    """One customer's visit; `say` sends a message and returns the assistant's reply as text."""
    await say("燃气费在哪交")
    reply = await say(FAULT)
    for _ in range(8):
        if "工单号" in reply or not reply:
            break
        reply = await say(answer_for(reply))
    await say("查一下我的工单")


async def customer_via_gateway(http: httpx.AsyncClient, run: Run, think: tuple[float, float] = THINK) -> None:
    session = (await http.post("/api/widget/session")).json()
    headers = {"Authorization": f"Bearer {session['token']}"}

    async def say(text: str) -> str:
        await asyncio.sleep(random.uniform(*think))
        response = await timed(run, http.post("/api/widget/messages", json={"text": text}, headers=headers))
        return " ".join(m["text"] for m in response.json()["messages"]) if response else ""

    await customer(say)


async def customer_via_rasa(http: httpx.AsyncClient, run: Run, sender: str,
                            think: tuple[float, float] = THINK) -> None:
    async def say(text: str) -> str:
        await asyncio.sleep(random.uniform(*think))
        response = await timed(run, http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text}))
        return " ".join(m.get("text", "") for m in response.json()) if response else ""

    await customer(say)


async def load(base_url: str, users: int, direct: bool) -> Run:
    run = Run()
    limits = httpx.Limits(max_connections=users + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
        started = time.perf_counter()
        tag = f"bench-{time.time_ns()}"
        await asyncio.gather(*(customer_via_rasa(http, run, f"{tag}-{i}") if direct else customer_via_gateway(http, run)
                               for i in range(users)))
        run.seconds = time.perf_counter() - started
    return run


class PeakMemory:
    """Peak resident memory of each process (VmHWM from /proc), read when the run ends."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = processes

    def read(self) -> dict[str, float]:
        peaks = {}
        for name, pid in self.processes.items():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[name] = int(line.split()[1]) / 1024
            except OSError:
                pass
        return peaks


class CpuPerMessage:
    """CPU time (user + system) of every process of the stack per message, over customers served one at a time:
    what a message costs, without queueing. Redis and PostgreSQL are found by process name."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.processes["load generator"] = psutil.Process()
        for process in psutil.process_iter(["name"]):
            name = process.info["name"] or ""
            if name.startswith(("redis-server", "postgres")):
                self.processes[f"{name.split()[0].split('-')[0]}:{process.pid}"] = process

    def _times(self) -> dict[str, float]:
        times = {}
        for name, process in self.processes.items():
            with contextlib.suppress(psutil.Error):
                cpu = process.cpu_times()
                times[name] = cpu.user + cpu.system
        return times

    def measure(self, base_url: str, customers: int) -> tuple[dict[str, float], Run]:
        before = self._times()
        run = asyncio.run(sequential(base_url, customers))
        after = self._times()
        per_message: dict[str, float] = {}
        for name, seconds in after.items():
            group = name.split(":")[0]
            spent = (seconds - before.get(name, seconds)) * 1000 / run.messages
            per_message[group] = per_message.get(group, 0.0) + spent
        return per_message, run


async def sequential(base_url: str, customers: int, direct: bool = False) -> Run:
    """Customers one after another, no pause: each message's own cost, with no queue in front of it."""
    run = Run()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        started = time.perf_counter()
        for i in range(customers):
            if direct:
                await customer_via_rasa(http, run, f"alone-{time.time_ns()}-{i}", think=(0.0, 0.0))
            else:
                await customer_via_gateway(http, run, think=(0.0, 0.0))
        run.seconds = time.perf_counter() - started
    return run


def write_section(name: str, text: str) -> None:
    """Replaces this script's own section of docs/benchmarks.md, leaving the others."""
    target = ROOT / "docs" / "benchmarks.md"
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{text}\n{end}"
    if start in current:
        current = current.split(start)[0] + block + current.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    target.write_text(current, encoding="utf-8")


def model_path() -> Path:
    """The trained model (trained first if its inputs changed), from the bot's environment."""
    subprocess.run([str(BOT_PYTHON), "-m", "scripts.model", "train"], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return Path(subprocess.run([str(BOT_PYTHON), "-m", "scripts.model", "path"], cwd=ROOT, check=True, text=True,
                               capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.strip())


@dataclass
class Configuration:
    """One shape of the stack under the same load: how many Rasa processes share the conversations."""
    rasa_processes: int
    rows: list[tuple[int, Run]] = field(default_factory=list)
    direct: Run | None = None
    peaks: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    one_at_a_time: Run | None = None
    one_at_a_time_direct: Run | None = None

    def at(self, users: int) -> Run | None:
        return next((r for u, r in self.rows if u == users), None)

    @property
    def breaking(self) -> int | None:
        return next((u for u, r in self.rows if r.percentile(99) > 500), None)


def measure(rasa_processes: int, redis_url: str, database: str) -> Configuration:
    config = Configuration(rasa_processes)
    with ExitStack() as stack:
        services = Stack(model=model_path(), redis_url=redis_url, rasa_port=free_port(), action_port=free_port(),
                         extra_rasa_ports=tuple(free_port() for _ in range(rasa_processes - 1)),
                         gateway_port=free_port(), python=str(BOT_PYTHON), log_dir=ROOT / ".run" / "bench-logs",
                         extra_env={"DATABASE_URL": database, "MESSAGES_PER_MINUTE": "1000", "WIDGET_SESSIONS_PER_MINUTE": "100000",
                                    "RASA_TIMEOUT_SECONDS": "30"})
        stack.callback(services.stop)
        services.start()
        names = ["actions", *(f"rasa-{n}" if rasa_processes > 1 else "rasa" for n in range(1, rasa_processes + 1)),
                 "gateway"]
        memory = PeakMemory({n: p.pid for n, p in zip(names, services.processes, strict=True)})
        asyncio.run(load(services.gateway_url, 5, direct=False))   # warm-up: first TensorFlow calls are slow
        if rasa_processes == 1:
            config.cpu, config.one_at_a_time = CpuPerMessage(memory.processes).measure(services.gateway_url,
                                                                                       SEQUENTIAL_CUSTOMERS)
            print("CPU ms per message: " + ", ".join(f"{n} {ms:.1f}" for n, ms in config.cpu.items()), flush=True)
            config.one_at_a_time_direct = asyncio.run(sequential(services.rasa_url, SEQUENTIAL_CUSTOMERS, direct=True))
        for users in LEVELS:
            via_gateway = asyncio.run(load(services.gateway_url, users, direct=False))
            config.rows.append((users, via_gateway))
            print(f"{rasa_processes} Rasa, {users:4d} customers via gateway: {via_gateway.throughput:6.1f} msg/s, "
                  f"p50 {via_gateway.percentile(50):6.1f} p95 {via_gateway.percentile(95):6.1f} "
                  f"p99 {via_gateway.percentile(99):6.1f} ms, errors {via_gateway.errors}", flush=True)
            if users == 50 and rasa_processes == 1:
                config.direct = asyncio.run(load(services.rasa_url, users, direct=True))
                print(f"  50 customers straight to Rasa: p50 {config.direct.percentile(50):.1f} "
                      f"p99 {config.direct.percentile(99):.1f} ms", flush=True)
        config.peaks = memory.read()
    return config


def table(config: Configuration) -> list[str]:
    return [
        "| concurrent customers | messages | throughput (msg/s) | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
        *[f"| {u} | {r.messages} | {r.throughput:.1f} | {r.percentile(50):.0f} | {r.percentile(95):.0f} | "
          f"{r.percentile(99):.0f} | {r.errors} |" for u, r in config.rows], "",
        f"p99 passes 500 ms at: {config.breaking or 'not reached'} concurrent customers. Peak memory (RSS): "
        + ", ".join(f"{n} {mb:.0f} MB" for n, mb in config.peaks.items()) + ".", "",
    ]


def main() -> None:
    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / '.run' / 'bench.db'}"
        configs = [measure(n, redis_url, database) for n in RASA_PROCESSES]
    lines = [
        "## Load (widget API through the gateway)", "",
        f"Latest run: {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPUs, produced by "
        "`make bench`. Each customer: a fee question, a repair form to the ticket, a status check; 1-3 s between "
        "messages. One action server, one gateway worker, "
        f"{'PostgreSQL' if database.startswith('postgres') else 'SQLite'}, Redis; the load generator runs on the "
        "same machine.", "",
    ]
    for config in configs:
        lines += [f"### {config.rasa_processes} Rasa process{'es' if config.rasa_processes > 1 else ''}"
                  + (" (conversations pinned by the gateway)" if config.rasa_processes > 1 else ""), ""]
        lines += table(config)
        alone, direct_alone = config.one_at_a_time, config.one_at_a_time_direct
        if config.cpu and alone is not None and direct_alone is not None:
            lines += [f"Customers served one at a time ({alone.messages} messages, no queueing): p50 "
                      f"{alone.percentile(50):.0f} ms, p99 {alone.percentile(99):.0f} ms through the gateway; "
                      f"p50 {direct_alone.percentile(50):.0f} ms, p99 {direct_alone.percentile(99):.0f} ms straight "
                      f"to Rasa (gateway overhead {alone.percentile(50) / direct_alone.percentile(50) - 1:+.0%} at "
                      "p50). CPU time per message: " + ", ".join(f"{n} {ms:.1f} ms" for n, ms in config.cpu.items())
                      + f"; {sum(config.cpu.values()):.0f} ms in all.", ""]
        fifty, direct = config.at(50), config.direct
        if fifty and direct and direct.percentile(50):
            lines += [f"Same 50 customers straight to Rasa's REST channel: p50 {direct.percentile(50):.0f} ms, "
                      f"p99 {direct.percentile(99):.0f} ms, {direct.errors} errors; gateway overhead: "
                      f"{fifty.percentile(50) / direct.percentile(50) - 1:+.0%} at p50, "
                      f"{fifty.percentile(99) / direct.percentile(99) - 1:+.0%} at p99.", ""]
    write_section("load", "\n".join(lines).rstrip())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
