"""Rasa's REST channel on loopback: one client, explicit timeouts, one clear error.

With several Rasa processes (RASA_URL="http://a:5005,http://b:5005") every conversation is pinned to one of
them by a stable hash of its id: Rasa 3.6's Redis lock store is not safe across processes (RasaHQ/rasa
#11256), so one conversation must never be processed by two Rasa processes at once. Together with the
gateway's per-conversation Redis lock this keeps each conversation's turns strictly in order.

Every customer message makes one of these calls, so the client is aiohttp's, with bodies encoded by orjson: httpx
cost the gateway about a fifth of its CPU per message (py-spy), aiohttp a third of that.
"""
from __future__ import annotations

import asyncio
import zlib
from typing import Any

import aiohttp
import orjson

CONNECT_SECONDS = 2.0
# Idle connections are closed before Rasa's web server (Sanic, keep-alive 5 s) would close them, so a message is
# never sent on a connection the server is closing.
IDLE_CONNECTION_SECONDS = 3.0


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


class _Endpoint:
    """One Rasa process; its connection pool is made on first use, inside the running event loop."""

    def __init__(self, url: str, timeout_seconds: float) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=CONNECT_SECONDS)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=IDLE_CONNECTION_SECONDS)
            self._session = aiohttp.ClientSession(self.url, timeout=self._timeout, connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class RasaClient:
    def __init__(self, base_urls: str, timeout_seconds: float) -> None:
        urls = [u.strip().rstrip("/") for u in base_urls.split(",") if u.strip()]
        self._clients = [_Endpoint(url, timeout_seconds) for url in urls]

    def pinned(self, conversation_id: str) -> _Endpoint:
        return self._clients[zlib.crc32(conversation_id.encode()) % len(self._clients)]

    async def send(self, conversation_id: str, text: str,
                   metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The bot's replies; metadata reaches the actions (`session_started_metadata` at a session start)."""
        body = orjson.dumps({"sender": conversation_id, "message": text, "metadata": metadata or {}})
        try:
            async with self.pinned(conversation_id).session().post(
                    "/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}) as response:
                if response.status >= 400:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                replies = orjson.loads(await response.read())
        except (aiohttp.ClientError, asyncio.TimeoutError, orjson.JSONDecodeError) as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa answered with something other than a list of messages")
        return [r for r in replies if isinstance(r, dict)]

    async def close(self) -> None:
        for client in self._clients:
            await client.close()
