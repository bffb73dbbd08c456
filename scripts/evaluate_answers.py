"""`make eval-answers`: the replies customers read, judged on the independent question set, and how often
unrelated requests from an outside corpus get a utility answer.

Every question runs in a fresh conversation through Rasa's REST channel with the action server behind it (a
contract gateway stands in for tickets and handoffs), twice: unbound, and with the company of its document in
the message metadata ({"company": "<id>"}). A reply that is a menu is followed once more: each button is tried
in a fresh copy of the conversation, and the question counts as right after one button when one of them gives a
right reply (the customer picks the right button). Scoring: scripts/answer_scoring.py.

Sets: the development half (dev.yml), the tuning sets (tune.yml, tune2.yml, tune3.yml and tune4.yml, a third to a sixth writer's, later,
from the sources alone, each run when it exists) and the reporting half (report.yml, the headline). Prints the figures by set, mode, document,
utility and question kind; writes the development half's and the tuning set's failures to
docs/answer_failures_dev.yml and docs/answer_failures_tune.yml (the reporting half's never) and, on a full run, the
figures to docs/evaluation.md. `--sets dev,tune` runs only those sets and writes no figures (for tuning).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import urllib.request
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scripts.answer_scoring import Verdict, contains, score
from scripts.docs_section import replace_section
from scripts.outside_corpus import load_outside_requests

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "tests" / "answer_eval"
SETS = ("dev", "tune", "tune2", "tune3", "tune4", "report")   # the reporting half last: its figures are the headline
TUNING_SETS = ("dev", "tune", "tune2", "tune3", "tune4")    # failures written out, studied and tuned on
TITLES = {"dev": "development half", "tune": "tuning set", "tune2": "second tuning set", "tune3": "third tuning set",
          "tune4": "fourth tuning set",
          "report": "reporting half"}
DOCS = ROOT / "docs"
EVALUATION = ROOT / "docs" / "evaluation.md"
NOT_UTILITY = {"out_of_scope", "nlu_fallback", "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge",
               "restart", "back", "session_start"}
# What marks a reply as a utility answer or a form, for the unrelated-request check.
UTILITY_REPLY = re.compile(r"依据《|参考《|燃气、电力还是供热|请问出问题的地址|联系电话|户号|工单|下面哪一项|哪一项")


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_menu(self) -> bool:
        """Choices instead of an answer: buttons that pick an entry or a utility, and no cited answer."""
        return any(b.get("payload", "").startswith("/inform") for b in self.buttons) and "依据《" not in self.text \
            and "参考《" not in self.text


class Rasa:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def say(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> Reply:
        body = json.dumps({"sender": sender, "message": text, "metadata": metadata or {}}).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            messages = json.loads(response.read())
        return Reply("\n".join(m.get("text") or "" for m in messages).strip(),
                     [b for m in messages for b in (m.get("buttons") or [])])

    def parse(self, text: str) -> str:
        request = urllib.request.Request(f"{self.url}/model/parse?token={self.token}",
                                         data=json.dumps({"text": text}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["intent"]["name"]


def company_of(question: dict[str, Any]) -> str | None:
    company = question.get("company")
    return company if isinstance(company, str) and company != "none" else None


def run_question(rasa: Rasa, question: dict[str, Any], bound: bool, run_id: str) -> dict[str, Any]:
    metadata = {"company": company_of(question)} if bound and company_of(question) else {}

    def conversation(suffix: str) -> tuple[str, Reply]:
        sender = f"eval-{run_id}-{question['id']}-{'b' if bound else 'u'}-{suffix}"
        reply = Reply("")
        for turn in question["turns"]:
            reply = rasa.say(sender, turn, metadata)
        return sender, reply

    _, first = conversation("0")
    verdict = score(question, first.text)
    after_button = verdict
    if not verdict.right and first.buttons:
        for index, button in enumerate(first.buttons):
            sender, _ = conversation(str(index + 1))
            picked = rasa.say(sender, button["payload"], metadata)
            after_button = score(question, picked.text)
            if after_button.right:
                break
    return {"id": question["id"], "bound": bound, "reply": first.text, "buttons": [b["title"] for b in first.buttons],
            "menu": first.is_menu, "verdict": verdict, "after_button": after_button}


def summary(results: list[dict[str, Any]]) -> dict[str, float]:
    n = len(results) or 1
    factual = [r for r in results if re.search(r"\d", r["reply"]) and not r["menu"]]
    return {"n": len(results),
            "first_right": sum(r["verdict"].right for r in results) / n,
            "after_button": sum(r["verdict"].right or r["after_button"].right for r in results) / n,
            "menus": sum(r["menu"] for r in results) / n,
            "invented": sum(bool(r["verdict"].invented) for r in results) / n,
            "uncited": sum(not r["verdict"].cited and "依据《" not in r["reply"] and "参考《" not in r["reply"]
                           for r in factual) / n}


def breakdown(questions: dict[str, dict], results: list[dict[str, Any]], key: str) -> dict[str, dict[str, float]]:
    groups: dict[str, list] = defaultdict(list)
    for result in results:
        value = questions[result["id"]].get(key)
        value = "+".join(map(str, value)) if isinstance(value, list) else str(value)
        groups[value].append(result)
    return {name: summary(group) for name, group in sorted(groups.items())}


def outside_rate(rasa: Rasa, texts: list[str], workers: int) -> dict[str, float]:
    """Unrelated requests taken for a utility intent (/model/parse), and given a utility answer or form."""
    run_id = uuid.uuid4().hex[:6]

    def one(item: tuple[int, str]) -> tuple[bool, bool]:
        index, text = item
        intent = rasa.parse(text)
        reply = rasa.say(f"outside-{run_id}-{index}", text)
        return intent not in NOT_UTILITY, bool(UTILITY_REPLY.search(reply.text))

    with ThreadPoolExecutor(workers) as pool:
        outcomes = list(pool.map(one, enumerate(texts)))
    n = len(outcomes) or 1
    return {"n": len(outcomes), "intent": sum(i for i, _ in outcomes) / n, "reply": sum(r for _, r in outcomes) / n,
            "either": sum(i or r for i, r in outcomes) / n}


def has_entry(question: dict[str, Any], answers: list[str]) -> bool:
    """Some entry (two, for a question about two utilities or companies) states every decisive fact."""
    must = [v if isinstance(v, list) else [v] for v in question.get("must") or []]
    if not must:
        return True
    holds = [{i for i, variants in enumerate(must) if any(contains(a, v) for v in variants)} for a in answers]
    everything = set(range(len(must)))
    if any(h == everything for h in holds):
        return True
    if isinstance(question.get("doc"), list) or question.get("kind") == "two_utility":
        return any(a | b == everything for a in holds for b in holds)
    return False


def no_entry_share(questions: list[dict[str, Any]]) -> tuple[float, list[str]]:
    """Share of answerable questions no entry can answer (the coverage figure of the coverage issue)."""
    from knowledge import load_knowledge_base

    answers = [e.answer for e in load_knowledge_base().entries]
    answerable = [q for q in questions if q.get("must")]
    missing = [q["id"] for q in answerable if not has_entry(q, answers)]
    return len(missing) / (len(answerable) or 1), missing


def load_half(half: str) -> list[dict[str, Any]]:
    return yaml.safe_load((SET / f"{half}.yml").read_text(encoding="utf-8"))


def available_sets(wanted: str | None = None) -> list[str]:
    """The sets to run, in SETS order: those asked for (all by default) whose file exists."""
    names = [n.strip() for n in wanted.split(",")] if wanted else list(SETS)
    unknown = set(names) - set(SETS)
    if unknown:
        raise SystemExit(f"unknown sets {sorted(unknown)}: choose from {', '.join(SETS)}")
    return [n for n in SETS if n in names and (SET / f"{n}.yml").exists()]


def failures_file(name: str) -> Path:
    return DOCS / f"answer_failures_{name}.yml"


def table(rows: dict[str, dict[str, float]], label: str) -> list[str]:
    lines = [f"| {label} | questions | first reply right | right after one button | menus | invented figures | uncited |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {name} | {s['n']} | {s['first_right']:.2f} | {s['after_button']:.2f} | {s['menus']:.0%} | "
              f"{s['invented']:.0%} | {s['uncited']:.0%} |" for name, s in rows.items()]
    return lines


def failure_record(question: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    verdict: Verdict = result["verdict"]
    return {"id": question["id"], "mode": "bound" if result["bound"] else "unbound", "kind": question["kind"],
            "doc": question["doc"], "clause": question.get("clause"), "turns": question["turns"],
            "reply": result["reply"], "buttons": result["buttons"], "missing": verdict.missing,
            "wrong": verdict.wrong, "invented": verdict.invented, "cited_own_document": verdict.cited}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-outside", action="store_true", help="skip the outside corpus")
    parser.add_argument("--sets", help="comma-separated sets to run (dev, tune, tune2, tune3, tune4, report); default all. A partial run "
                                       "writes failures only, never docs/evaluation.md")
    parser.add_argument("--coverage", action="store_true",
                        help="only: which development-half and tuning-set questions no entry can answer (no stack)")
    args = parser.parse_args()
    if args.coverage:
        for name in available_sets("dev,tune,tune2,tune3,tune4"):
            share, missing = no_entry_share(load_half(name))
            print(f"{TITLES[name]}: {share:.1%} of answerable questions have no entry stating their facts: {missing}")
        return
    sets = available_sets(args.sets)
    full = args.sets is None and not args.no_outside

    from scripts.model import train
    from scripts.stack import Stack, embedded_redis, free_port
    from tests.bot.gateway_stub import ContractGateway

    model = train()
    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
        gateway = stack.enter_context(ContractGateway())
        running = Stack(model=model, redis_url=redis_url, rasa_port=free_port(), action_port=free_port(),
                        log_dir=ROOT / ".run" / "eval-logs",
                        extra_env={"GATEWAY_URL": gateway.url, "GATEWAY_SERVICE_TOKEN": gateway.token,
                                   "LOG_LEVEL": "WARNING"})
        stack.callback(running.stop)
        running.start()
        rasa = Rasa(running.rasa_url, running.rasa_token)
        run_id = uuid.uuid4().hex[:6]
        lines = [f"Latest run: {dt.date.today()}, model `{model.name}`, produced by `make eval-answers`.", ""]
        failures: dict[str, list[dict[str, Any]]] = {}
        for half in sets:
            questions = load_half(half)
            by_id = {q["id"]: q for q in questions}
            jobs = [(q, bound) for q in questions for bound in (False, True)]
            with ThreadPoolExecutor(args.workers) as pool:
                results = list(pool.map(lambda job: run_question(rasa, job[0], job[1], run_id), jobs))
            modes = {"unbound": [r for r in results if not r["bound"]], "bound": [r for r in results if r["bound"]]}
            overall = {mode: summary(rs) for mode, rs in modes.items()}
            title = TITLES[half] + (" (tuned on; the reporting half is the headline)" if half in ("tune", "tune2", "tune3", "tune4") else "")
            share, _ = no_entry_share(questions)
            lines += [f"### {title} ({len(questions)} questions)", ""] + table(overall, "mode") + [
                "", f"Answerable questions whose decisive facts no entry states: **{share:.1%}**.", ""]
            for key in ("kind", "doc", "utility"):
                lines += table(breakdown(by_id, modes["unbound"], key), f"{key} (unbound)") + [""]
            if half in TUNING_SETS:
                failures[half] = [failure_record(by_id[r["id"]], r) for r in results if not r["verdict"].right]
        if not args.no_outside:
            texts = load_outside_requests()
            rate = outside_rate(rasa, texts, args.workers)
            lines += ["### Unrelated requests from outside (tests/outside/)", "",
                      f"{rate['n']} general-assistant requests after the utility filter: taken for a utility intent by "
                      f"`/model/parse` **{rate['intent']:.1%}**; given a utility answer, menu or form "
                      f"**{rate['reply']:.1%}**; either **{rate['either']:.1%}**.", ""]
    for half, records in failures.items():
        failures_file(half).write_text(
            f"# Failures of the {TITLES[half]} (make eval-answers). Never the reporting half.\n"
            + yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    if full:
        replace_section(EVALUATION, "answers", ["## Answers as customers read them (independent question sets)", "",
                                                 *lines])
    print("\n".join(lines))
    written = ", ".join(str(failures_file(h).relative_to(ROOT)) for h in failures)
    print(f"Failures: {written or 'none written'}; figures: {'docs/evaluation.md' if full else 'not written (partial run)'}")


if __name__ == "__main__":
    main()
