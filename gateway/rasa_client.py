"""Rasa's REST channel on loopback: one client, explicit timeouts, one clear error."""
from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_seconds, connect=2.0))

    async def send(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        try:
            response = await self._client.post("/webhooks/rest/webhook",
                                               json={"sender": conversation_id, "message": text})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error)) from error

    async def close(self) -> None:
        await self._client.aclose()
