"""Rasa's CPU time per message, variant against variant, in the same minutes: `make bench`'s one-at-a-time figure
for Rasa alone, made robust to this VM's drift (its speed moves by a fifth or more between runs).

Every variant gets its own Rasa process (its own environment, e.g. RASA_FIXES_DISABLE=name, which
bot/rasa_fixes/__init__.py reads), all started at once beside one action server, an embedded Redis and the
contract gateway of the tests (tickets and status checks answer as the real gateway's internal API does). Then,
round after round, the same customers as `make bench`'s one-at-a-time ones (scripts/bench_load.customer: a fee
question, a repair form to its ticket, a status check) are served one after another by each variant in turn,
the order reversed every other round (A B, B A, ...), so a slow minute of the VM costs both. Per round and
variant: the Rasa process's CPU time (user + system, /proc) over the round's messages. Printed: each variant's
median, and the median of the per-round differences against the first variant. The replies every variant gave
are compared (ticket numbers aside): a fix that changes one is reported, and the script exits with 1.

    .venv/bot/bin/python -m scripts.bench_rasa_cpu --off past_states          # all fixes, then without one
    .venv/bot/bin/python -m scripts.bench_rasa_cpu --variant all= --variant none=RASA_FIXES_DISABLE=all
    .venv/bot/bin/python -m scripts.bench_rasa_cpu --variant on= --variant off=RASA_FIXES_DISABLE=a,b --variant x=A=1;B=2
    .venv/bot/bin/python -m scripts.bench_rasa_cpu --rounds 1 --profile /tmp/rasa.txt   # py-spy of the first
    .venv/bot/bin/python -m scripts.bench_rasa_cpu --variant shipped= --questions dev --customers 40 --rounds 4
        # customers' own questions instead (the evaluation's, one per conversation): the knowledge search's cost

Options: --rounds N (6), --customers N per round and variant (6, about 50 messages), --model PATH (the trained
model), --profile FILE: py-spy (PY_SPY, default /tmp/pyspy/bin/py-spy) records the first variant's Rasa in raw
format over its measured rounds.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from scripts.bench_load import Http, Run, customer
from scripts.stack import ROOT, Stack, embedded_redis, free_port, wait_until_up

TICKET = re.compile(r"(?<![A-Z])[A-Z]{2}(?:\d{8}-\d{4}| \d{4} \d{4} \d{4})\b")   # as written, and as read out
PY_SPY = os.environ.get("PY_SPY", "/tmp/pyspy/bin/py-spy")


@dataclass
class Variant:
    name: str
    env: dict[str, str]
    port: int = 0
    pid: int = 0
    per_message: list[float] = field(default_factory=list)      # ms of Rasa CPU per message, each round
    actions_per_message: list[float] = field(default_factory=list)
    transcripts: list[list[tuple[str, str]]] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and of its children it waited for), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


async def serve_customers(url: str, customers: int, tag: str,
                          questions: list[str] | None = None) -> tuple[Run, list[tuple[str, str]]]:
    """Customers one after another, no pause, straight to Rasa's REST channel; every message and its replies.
    With `questions`, each customer asks one of them in a conversation of its own instead."""
    run, transcript = Run(), []
    async with Http(url) as http:
        for i in range(len(questions) if questions is not None else customers):
            sender = f"cpu-{tag}-{uuid.uuid4().hex[:8]}-{i}"

            async def say(text: str, sender: str = sender) -> str:
                response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
                run.samples.append((time.perf_counter(), 0.0, response.status_code == 200))
                reply = " ".join(m.get("text", "") for m in response.json()) if response.status_code == 200 else ""
                transcript.append((text, TICKET.sub("<ticket>", reply)))
                return reply

            if questions is not None:
                await say(questions[i])
            else:
                await customer(say, run)
    return run, transcript


def first_turns(sets: str) -> list[str]:
    """The first message of every question of the named answer-evaluation sets (tests/answer_eval/), in order."""
    import yaml

    texts = []
    for name in filter(None, (s.strip() for s in sets.split(","))):
        data = yaml.safe_load((ROOT / "tests" / "answer_eval" / f"{name}.yml").read_text(encoding="utf-8"))
        texts += [q["turns"][0] for q in (data["questions"] if isinstance(data, dict) else data)]
    return texts


def parse_variant(text: str) -> Variant:
    name, _, assignments = text.partition("=")
    env = {}
    for part in filter(None, assignments.split(";")):
        key, _, value = part.partition("=")
        env[key] = value
    return Variant(name, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", default=[], help="NAME=KEY=VALUE;KEY=VALUE (repeatable)")
    parser.add_argument("--off", help="fixes to disable in the second variant (RASA_FIXES_DISABLE)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--customers", type=int, default=6)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--questions", help="answer-evaluation sets (dev,tune...): each customer asks one of their "
                                            "questions, --customers of them per round, the next ones each round")
    args = parser.parse_args()
    questions = first_turns(args.questions) if args.questions else None
    if questions is not None and len(questions) < args.rounds * args.customers:
        sys.exit(f"--questions {args.questions}: {len(questions)} questions, fewer than rounds x customers")
    variants = [parse_variant(v) for v in args.variant]
    if args.off:
        variants = [Variant("on", {}), Variant(f"off:{args.off}", {"RASA_FIXES_DISABLE": args.off})]
    if not variants:
        variants = [Variant("fixes", {}), Variant("rasa", {"RASA_FIXES_DISABLE": "all"})]
    if args.model:
        model = args.model
    else:
        from scripts.model import model_path
        model = model_path()
        if not model.exists():
            sys.exit(f"No trained model at {model}: run `make train` first.")

    from tests.bot.gateway_stub import ContractGateway

    with ExitStack() as stack:
        redis_url = stack.enter_context(embedded_redis())
        gateway = stack.enter_context(ContractGateway())
        services = Stack(model=model, redis_url=redis_url, action_port=free_port(), python=sys.executable,
                         log_dir=ROOT / ".run" / "bench-rasa-cpu-logs",
                         extra_env={"GATEWAY_URL": gateway.url, "GATEWAY_SERVICE_TOKEN": gateway.token})
        stack.callback(services.stop)
        actions = services.start_actions()
        for variant in variants:
            variant.port = free_port()
            services.extra_env = {"GATEWAY_URL": gateway.url, "GATEWAY_SERVICE_TOKEN": gateway.token, **variant.env}
            variant.pid = services.start_rasa(variant.port, f"rasa-{variant.name}").pid
        wait_until_up(f"http://127.0.0.1:{services.action_port}/health", 900, actions)   # it builds its rankers first
        for variant, process in zip(variants, services.processes[1:]):
            wait_until_up(f"http://127.0.0.1:{variant.port}/", 300, process)
            asyncio.run(serve_customers(f"http://127.0.0.1:{variant.port}", 2, "warm"))   # first TF calls, imports
        print(f"model {model.name}; {len(variants)} variants: "
              + "; ".join(f"{v.name} {v.env or '(as shipped)'} pid {v.pid}" for v in variants), flush=True)

        profiler = None
        if args.profile:
            profiler = subprocess.Popen([PY_SPY, "record", "--format", "raw", "--rate", "250", "--nonblocking",
                                         "-p", str(variants[0].pid), "-o", str(args.profile)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            time.sleep(2)
        for round_ in range(args.rounds):
            order = variants if round_ % 2 == 0 else variants[::-1]
            cells = []
            for variant in order:
                if profiler is not None and variant is not variants[0]:
                    continue
                before, before_actions = cpu_seconds(variant.pid), cpu_seconds(actions.pid)
                chunk = questions[round_ * args.customers:(round_ + 1) * args.customers] if questions else None
                run, transcript = asyncio.run(serve_customers(f"http://127.0.0.1:{variant.port}", args.customers,
                                                              f"r{round_}", chunk))
                spent = cpu_seconds(variant.pid) - before
                spent_actions = cpu_seconds(actions.pid) - before_actions
                if run.errors:
                    print(f"  {variant.name}: {run.errors} failed messages", flush=True)
                variant.per_message.append(spent * 1000 / run.messages)
                variant.actions_per_message.append(spent_actions * 1000 / run.messages)
                variant.transcripts.append(transcript)
                cells.append(f"{variant.name} {variant.per_message[-1]:.2f} ms ({run.messages} msg, "
                             f"{run.tickets}/{args.customers} tickets)")
            print(f"round {round_ + 1}: " + ", ".join(cells), flush=True)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(60)
            print(f"profile of {variants[0].name}: {args.profile}")
            return

    first = variants[0]
    print("\nRasa CPU per message (median of rounds; actions beside it):")
    for variant in variants:
        line = (f"  {variant.name:>20}: {statistics.median(variant.per_message):6.2f} ms "
                f"(rounds {', '.join(f'{x:.1f}' for x in variant.per_message)}; actions "
                f"{statistics.median(variant.actions_per_message):.2f} ms)")
        if variant is not first:
            differences = [b - a for a, b in zip(first.per_message, variant.per_message)]
            line += (f"; minus {first.name}, per round: median {statistics.median(differences):+.2f} ms "
                     f"({', '.join(f'{d:+.1f}' for d in differences)})")
        print(line)
    different = [v for v in variants[1:] if v.transcripts != first.transcripts]
    for variant in different:
        print(f"REPLIES DIFFER: {variant.name} against {first.name}")
        show_difference(first, variant)
    if different:
        sys.exit(1)
    print(f"Replies: the same in every variant ({sum(len(t) for t in first.transcripts)} messages per variant).")


def show_difference(a: Variant, b: Variant) -> None:
    for ta, tb in zip(a.transcripts, b.transcripts):
        for (said, reply_a), (_, reply_b) in zip(ta, tb):
            if reply_a != reply_b:
                print(f"  {said!r}:\n    {a.name}: {reply_a[:200]!r}\n    {b.name}: {reply_b[:200]!r}")
                return


if __name__ == "__main__":
    main()
