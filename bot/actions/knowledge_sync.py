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

import httpx

from bot.actions.knowledge_base import SEED_VERSION, LiveKnowledge, install, live
from bot.actions.settings import gateway_settings
from knowledge.loader import KnowledgeError
from knowledge.rules import figure_problems, validate
from knowledge.search import KnowledgeSearch

logger = logging.getLogger(__name__)


def poll_seconds() -> float:
    return float(os.environ.get("KNOWLEDGE_POLL_SECONDS", "2"))


def build(version: int, records: list[dict], previous: LiveKnowledge | None = None) -> LiveKnowledge:
    """The version's knowledge base and search; KnowledgeError names every rule it breaks. Only entries that
    changed against `previous` are audited again (unchanged ones passed when their version was served)."""
    kb = validate(records)
    unchanged = set(previous.kb.entries) if previous else set()
    problems = figure_problems([entry for entry in kb.entries if entry not in unchanged])
    if problems:
        raise KnowledgeError("；".join(problems))
    search = KnowledgeSearch(kb, semantic=previous is None or previous.search.semantic is not None)
    if search.semantic is not None:
        search.semantic  # noqa: B018  embeds the new example questions now, not in a customer's turn
    return LiveKnowledge(version, kb, search)


class KnowledgeSync:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.refused: set[int] = set()

    async def step(self) -> int | None:
        """One check: the version now served when it changed, else None."""
        head = (await self.client.get("/internal/knowledge/live")).raise_for_status().json()
        number, current = int(head["version"]), live()
        if number == current.version or number in self.refused:
            return None
        if number == SEED_VERSION and current.version == SEED_VERSION:
            return None
        body = (await self.client.get(f"/internal/knowledge/versions/{number}")).raise_for_status().json()
        try:
            knowledge = await asyncio.to_thread(build, number, body["entries"], current)
        except KnowledgeError as error:
            self.refused.add(number)
            logger.warning("knowledge version %s refused: %s", number, error)
            await self._verdict(number, False, str(error))
            return None
        install(knowledge)
        logger.info("knowledge version %s served (%d entries)", number, len(knowledge.kb.entries))
        if body.get("status") == "pending":
            await self._verdict(number, True, None)
        return number

    async def _verdict(self, number: int, accepted: bool, detail: str | None) -> None:
        await self.client.post(f"/internal/knowledge/versions/{number}/check",
                               json={"accepted": accepted, "detail": detail[:4000] if detail else None})

    async def run_forever(self) -> None:
        while True:
            try:
                await self.step()
            except (httpx.HTTPError, ValueError, KeyError) as error:
                logger.debug("knowledge sync: gateway not reachable: %s", error)
            except Exception:  # noqa: BLE001 -- the loop must outlive one bad round
                logger.exception("knowledge sync failed")
            await asyncio.sleep(poll_seconds())


def client() -> httpx.AsyncClient:
    settings = gateway_settings()
    return httpx.AsyncClient(base_url=settings.url, timeout=settings.timeout_seconds,
                             headers={"Authorization": f"Bearer {settings.service_token}"})
