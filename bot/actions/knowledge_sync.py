"""Keeps this action server on the knowledge version operators published, without a restart or retraining.

Every KNOWLEDGE_POLL_SECONDS (default 2) it asks the gateway for the newest version not refused. A newer one is
fetched, checked with the rules that need this environment (knowledge/rules.py: the spaCy figure audit, plus the
loader's rules again), built (the search's index and ranker refitted, only new example questions embedded) off
the event loop, and swapped in whole. The verdict goes back to the gateway, whose console shows a refusal and
its reason; a refused version is never served, the last good one stays.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Protocol

from bot.actions.gateway_client import GatewayError
from bot.actions.knowledge_base import LiveKnowledge, install, live
from knowledge.loader import KnowledgeError
from knowledge.rules import figure_problems, validate
from knowledge.search import KnowledgeSearch

logger = logging.getLogger(__name__)


def poll_seconds() -> float:
    return float(os.environ.get("KNOWLEDGE_POLL_SECONDS", "2"))


def build(version: int, records: list[dict], previous: LiveKnowledge | None = None, *,
          refit: bool = True) -> LiveKnowledge:
    """The version's knowledge base and search; KnowledgeError names every rule it breaks. Only entries that
    changed against `previous` are audited again (unchanged ones passed when their version was served).
    refit=False keeps `previous`'s fitted ranker (new example questions count through BM25 and meaning at
    once, in the ranker after the background refit)."""
    kb = validate(records)
    unchanged = set(previous.kb.entries) if previous else set()
    problems = figure_problems([entry for entry in kb.entries if entry not in unchanged])
    if problems:
        raise KnowledgeError("；".join(problems))
    semantic = previous is None or previous.search.semantic_loaded
    ranker = previous.search.ranker if previous is not None and not refit else None
    search = KnowledgeSearch(kb, semantic=semantic, ranker=ranker)
    if semantic:
        search.semantic  # noqa: B018  embeds the new example questions now, not in a customer's turn
    return LiveKnowledge(version, kb, search)


class KnowledgeApi(Protocol):
    """The gateway's internal knowledge API (bot/actions/gateway_client.py implements it)."""

    async def knowledge_live(self) -> dict[str, Any]: ...
    async def knowledge_version(self, number: int) -> dict[str, Any]: ...
    async def knowledge_verdict(self, number: int, accepted: bool, detail: str | None) -> dict[str, Any]: ...


class KnowledgeSync:
    def __init__(self, gateway: KnowledgeApi) -> None:
        self.gateway = gateway
        self.refused: set[int] = set()
        self._refit: asyncio.Future | None = None

    async def step(self) -> int | None:
        """One check: the version now served when it changed, else None."""
        head = await self.gateway.knowledge_live()
        number, current = int(head["version"]), live()
        if number == current.version or number in self.refused:
            return None
        body = await self.gateway.knowledge_version(number)
        try:
            knowledge = await asyncio.to_thread(build, number, body["entries"], current, refit=False)
        except KnowledgeError as error:
            self.refused.add(number)
            logger.warning("knowledge version %s refused: %s", number, error)
            await self.gateway.knowledge_verdict(number, False, str(error))
            return None
        install(knowledge)
        logger.info("knowledge version %s served (%d entries)", number, len(knowledge.kb.entries))
        if body.get("status") == "pending":
            await self.gateway.knowledge_verdict(number, True, None)
        if not knowledge.search.ranker_fitted:   # new or changed example questions: refit in the background
            self._refit = asyncio.ensure_future(self.refit(number, body["entries"]))
        return number

    async def refit(self, number: int, records: list[dict]) -> None:
        """The ranker fitted on the served version's own examples, swapped in when ready (if still served)."""
        current = live()
        knowledge = await asyncio.to_thread(build, number, records, current, refit=True)
        if live().version == number:
            install(knowledge)
            logger.info("knowledge version %s: ranker refitted", number)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.step()
            except (GatewayError, ValueError, KeyError) as error:
                logger.debug("knowledge sync: gateway not reachable: %s", error)
            except Exception:  # noqa: BLE001 -- the loop must outlive one bad round
                logger.exception("knowledge sync failed")
            await asyncio.sleep(poll_seconds())
