"""The action server follows the knowledge version operators published (issue 19): a new version is audited,
built and served without a restart; one whose answer states a figure its source does not is refused with the
reason and never served; the preview answers from a draft that no customer's turn sees."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.actions import knowledge_base
from bot.actions.knowledge_base import SEED_VERSION, LiveKnowledge, install, live
from bot.actions.knowledge_preview import preview
from bot.actions.knowledge_sync import KnowledgeSync, build
from knowledge.loader import KnowledgeError, build_knowledge_base, seed_records
from knowledge.search import KnowledgeSearch

ENTRY = "gas.hall.payment"
NEW_QUESTION = "拿手机上的云闪付能交天然气的钱不"


class Gateway:
    """The gateway's internal knowledge API, played: versions, and the verdicts it receives."""

    def __init__(self) -> None:
        self.versions: dict[int, list[dict]] = {1: seed_records()}
        self.status: dict[int, str] = {1: "accepted"}
        self.verdicts: list[tuple[int, bool, str | None]] = []

    def publish(self, records: list[dict]) -> int:
        number = max(self.versions) + 1
        self.versions[number], self.status[number] = records, "pending"
        return number

    def _live(self) -> int:
        return max(n for n in self.versions if self.status[n] != "refused")

    async def knowledge_live(self) -> dict:
        return {"version": self._live(), "status": self.status[self._live()]}

    async def knowledge_version(self, number: int) -> dict:
        return {"version": number, "status": self.status[number], "entries": self.versions[number]}

    async def knowledge_verdict(self, number: int, accepted: bool, detail: str | None) -> dict:
        self.verdicts.append((number, accepted, detail))
        if self.status[number] == "pending":
            self.status[number] = "accepted" if accepted else "refused"
        return {"version": number, "status": self.status[number]}


@pytest.fixture(scope="module")
def seed() -> LiveKnowledge:
    kb = build_knowledge_base(seed_records())
    return LiveKnowledge(SEED_VERSION, kb, KnowledgeSearch(kb, semantic=False))   # fitting takes ~20 s: once


@pytest.fixture
def gateway(seed: LiveKnowledge) -> Iterator[Gateway]:
    before = knowledge_base._live
    install(seed)
    yield Gateway()
    knowledge_base._live = before


def _sync(gateway: Gateway) -> KnowledgeSync:
    return KnowledgeSync(gateway)


def _with_example(records: list[dict], entry_id: str, question: str) -> list[dict]:
    return [{**r, "examples": [*r["examples"], question]} if r["id"] == entry_id else r for r in records]


async def test_a_published_version_is_audited_served_and_acknowledged(gateway: Gateway) -> None:
    sync = _sync(gateway)
    assert await sync.step() is None, "version 1 is what the action server started with"
    number = gateway.publish(_with_example(gateway.versions[1], ENTRY, NEW_QUESTION))
    assert await sync.step() == number
    assert live().version == number
    assert NEW_QUESTION in live().kb.by_id[ENTRY].examples
    assert gateway.verdicts == [(number, True, None)]
    assert await sync.step() is None, "nothing new"
    served = live().search
    assert not served.ranker_fitted, "served at once with the previous ranker"
    assert served.decide(NEW_QUESTION, utility="gas").entry.id == ENTRY, "the new example counts already (BM25)"
    await sync._refit
    refitted = live().search
    assert refitted.ranker_fitted and live().version == number
    learned = refitted.ranker.scores(NEW_QUESTION)
    assert refitted.entries[int(learned.argmax())].id == ENTRY, "the refitted ranker learned the new example"


async def test_an_edited_answer_is_served_without_refitting_the_ranker(gateway: Gateway) -> None:
    sync = _sync(gateway)
    edited = [{**r, "answer": r["answer"] + "营业厅力求即来即办。"} if r["id"] == ENTRY else r
              for r in gateway.versions[1]]
    number = gateway.publish(edited)
    assert await sync.step() == number
    assert live().search.ranker_fitted and sync._refit is None, "titles and examples unchanged: nothing to refit"
    assert live().kb.by_id[ENTRY].answer.endswith("营业厅力求即来即办。")


async def test_a_version_stating_a_figure_its_source_does_not_is_refused_and_never_served(gateway: Gateway) -> None:
    sync = _sync(gateway)
    invented = [{**r, "answer": r["answer"] + "办理后37个工作日内退款。"} if r["id"] == ENTRY else r
                for r in gateway.versions[1]]
    number = gateway.publish(invented)
    assert await sync.step() is None
    assert live().version == SEED_VERSION, "the last good version stays"
    (refused, accepted, detail), = gateway.verdicts
    assert (refused, accepted) == (number, False)
    assert ENTRY in detail and "37" in detail and "找不到" in detail
    assert gateway.status[number] == "refused"


def test_the_loaders_rules_hold_for_published_versions_too() -> None:
    records = seed_records()
    no_source = [{**records[0], "clause": ""}, *records[1:]]
    with pytest.raises(KnowledgeError, match="clause"):
        build(2, no_source)
    research = [{**records[0], "source": "huashang_one_stop_research"}, *records[1:]]
    with pytest.raises(KnowledgeError):
        build(2, research)  # research proposals never become answers


async def test_the_preview_answers_from_the_draft_and_customers_do_not_see_it(gateway: Gateway) -> None:
    question = "燃气公司营业厅能不能用数字人民币交费"
    before = live().search.decide(question)
    draft = _with_example(gateway.versions[1], ENTRY, question)
    shown = await preview(draft, question, "kunlun")
    assert shown["kind"] == "answer" and shown["entries"] == [ENTRY]
    assert "依据" in shown["reply"], "the reply a customer reads, with its source"
    after = live().search.decide(question)
    assert (after.outcome, [h.entry.id for h in after.hits]) == (before.outcome, [h.entry.id for h in before.hits])
    assert live().version == SEED_VERSION
