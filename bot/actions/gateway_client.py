"""The gateway's internal API (docs/api_contract.md): tickets, handoffs and the published knowledge versions. One client, explicit timeouts, one
clear error for everything that is not a 2xx answer."""
from __future__ import annotations

import asyncio
import weakref
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.actions.settings import GatewaySettings, gateway_settings
from core.ids import channel_of  # noqa: F401  (re-exported for the actions)


class GatewayError(Exception):
    """The gateway did not answer in time, could not be reached, or answered with an error status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        """No answer, a timeout, or a server-side failure (5xx, 429): the same request may succeed later.
        A 4xx means the gateway refused this request itself, and sending it again would not help."""
        return self.status is None or self.status >= 500 or self.status == 429


IDLE_CONNECTION_SECONDS = 2.0
_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = weakref.WeakKeyDictionary()


def _session() -> aiohttp.ClientSession:
    """One session, and so kept-alive connections, per event loop (the action server has one; tests make their
    own). A connection idle for 2 s is closed, before the gateway's keep-alive (5 s) would close it, so no call
    goes out on a connection the gateway is closing. A new connection per call cost the gateway an accept, a
    handshake and a close each time."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = _sessions[loop] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS))
    return session


class GatewayClient:
    """Async client for the action server → gateway calls, over the event loop's kept-alive connections."""

    def __init__(self, settings: GatewaySettings | None = None, timeout_seconds: float | None = None) -> None:
        self._settings = settings or gateway_settings()
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds or self._settings.timeout_seconds)

    async def create_ticket(self, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """POST /internal/tickets; the same key with the same body returns the same ticket."""
        ticket = await self._request("POST", "/internal/tickets", json=body,
                                     headers={"Idempotency-Key": idempotency_key})
        if not ticket.get("ticket_no"):
            raise GatewayError("POST /internal/tickets answered without a ticket number")
        return ticket

    async def tickets_for(self, conversation_id: str, ticket_no: str | None = None) -> list[dict[str, Any]]:
        """The customer's tickets, newest first; with ticket_no only that one, and only if it is theirs."""
        params = {"ticket_no": ticket_no} if ticket_no else None
        answer = await self._request("GET", f"/internal/conversations/{quote(conversation_id, safe='')}/tickets",
                                     params=params)
        tickets = answer.get("tickets")
        if not isinstance(tickets, list):
            raise GatewayError("ticket lookup answered without a ticket list")
        return tickets

    async def verify(self, conversation_id: str, reference: dict[str, str], phone_last4: str) -> dict[str, Any]:
        """POST /internal/conversations/{id}/verify with {"account_no"} or {"ticket_no"} and the phone's last
        four digits: {"verified": bool, "attempts_left": n}; 429 (a GatewayError) after five tries an hour."""
        return await self._request("POST", f"/internal/conversations/{quote(conversation_id, safe='')}/verify",
                                   json={**reference, "phone_last4": phone_last4})

    async def hand_off(self, packet: dict[str, Any]) -> dict[str, Any]:
        """POST /internal/handoffs: queue the conversation for a human agent."""
        return await self._request("POST", "/internal/handoffs", json=packet)

    async def knowledge_live(self) -> dict[str, Any]:
        """GET /internal/knowledge/live: {"version", "status"} of the newest knowledge version not refused."""
        return await self._request("GET", "/internal/knowledge/live")

    async def knowledge_version(self, number: int) -> dict[str, Any]:
        """GET /internal/knowledge/versions/{n}: {"version", "status", "entries"}."""
        return await self._request("GET", f"/internal/knowledge/versions/{int(number)}")

    async def knowledge_verdict(self, number: int, accepted: bool, detail: str | None) -> dict[str, Any]:
        """POST /internal/knowledge/versions/{n}/check: this action server's audit of a published version."""
        return await self._request("POST", f"/internal/knowledge/versions/{int(number)}/check",
                                   json={"accepted": accepted, "detail": detail[:4000] if detail else None})

    async def outage_notices(self, conversation_id: str, place: str, *, utility: str | None = None,
                             company: str | None = None, within_hours: float = 24 * 7,
                             known: bool = True) -> dict[str, Any]:
        """GET /internal/notices: the place named in `place` (a sentence or an answer), else with known=True the
        addresses on the customer's tickets and subscriptions; {"place": {"text", "source"} | None, "notices": [...]}
        with each notice's text for a screen and for the phone."""
        params: dict[str, Any] = {"place": place[:300], "conversation_id": conversation_id,
                                  "within_hours": within_hours, "known": "true" if known else "false"}
        params.update({key: value for key, value in (("utility", utility), ("company", company)) if value})
        answer = await self._request("GET", "/internal/notices", params=params)
        if not isinstance(answer.get("notices"), list):
            raise GatewayError("notice lookup answered without a notice list")
        return answer

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._settings.service_token}", **kwargs.pop("headers", {})}
        url = self._settings.url + path
        try:
            async with _session().request(method, url, headers=headers, timeout=self._timeout, **kwargs) as response:
                if response.status >= 300:
                    detail = (await response.text())[:300]
                    raise GatewayError(f"{method} {path} answered {response.status}: {detail}",
                                       status=response.status)
                answer = await response.json(content_type=None)
        except (asyncio.TimeoutError, TimeoutError) as error:  # distinct classes on Python 3.10
            raise GatewayError(f"{method} {path}: no answer within {self._timeout.total:g} s") from error
        except aiohttp.ClientError as error:
            raise GatewayError(f"{method} {path}: {error.__class__.__name__}: {error}") from error
        except ValueError as error:
            raise GatewayError(f"{method} {path}: the answer is not JSON") from error
        if not isinstance(answer, dict):
            raise GatewayError(f"{method} {path}: the answer is not a JSON object")
        return answer


