"""Rasa's REST channel on loopback: one client, explicit timeouts, one clear error.

With several Rasa processes (RASA_URL="http://a:5005,http://b:5005") every conversation is pinned to one of
them by a stable hash of its id: Rasa 3.6's Redis lock store is not safe across processes (RasaHQ/rasa
#11256), so one conversation must never be processed by two Rasa processes at once. Together with the
gateway's per-conversation Redis lock this keeps each conversation's turns strictly in order.
"""
from __future__ import annotations

import zlib
from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


class RasaClient:
    def __init__(self, base_urls: str, timeout_seconds: float) -> None:
        urls = [u.strip().rstrip("/") for u in base_urls.split(",") if u.strip()]
        timeout = httpx.Timeout(timeout_seconds, connect=2.0)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        self._clients = [httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) for url in urls]

    def pinned(self, conversation_id: str) -> httpx.AsyncClient:
        return self._clients[zlib.crc32(conversation_id.encode()) % len(self._clients)]

    async def send(self, conversation_id: str, text: str,
                   metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The bot's replies; metadata reaches the actions (`session_started_metadata` at a session start)."""
        try:
            response = await self.pinned(conversation_id).post(
                "/webhooks/rest/webhook", json={"sender": conversation_id, "message": text,
                                                "metadata": metadata or {}})
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error)) from error
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa answered with something other than a list of messages")
        return [r for r in replies if isinstance(r, dict)]

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()
