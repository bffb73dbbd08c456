"""A tiny gateway that speaks the internal API of docs/api_contract.md, for tests: a real HTTP server on a free
loopback port, in a thread with its own event loop (usable from async action tests and from the end-to-end
stack alike). Tickets belong to the customer of a conversation; by default each conversation is its own customer.
"""
from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "test-service-token"
PREFIXES = {"repair": "BX", "installation": "BZ", "complaint": "TS"}
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|待补充)$")
CITATION = "依据《天然气客户标准化服务指导手册》第12条"


@dataclass
class ContractGateway:
    token: str = TOKEN
    delay_seconds: float = 0.0
    ticket_status: int | None = None  # answer ticket creation with this error status instead
    lost_answers: int = 0             # register this many tickets, then answer 502 as if the answer got lost
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)
    handoffs: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    ticket_requests: list[dict[str, Any]] = field(default_factory=list)
    verified_phones: dict[str, str] = field(default_factory=dict)
    verify_attempts: dict[str, int] = field(default_factory=dict)
    url: str = ""

    # -- seeding and reading ------------------------------------------------------------------------------------
    def customer_of(self, conversation_id: str) -> str:
        return self.customers.get(conversation_id, conversation_id)

    def add_ticket(self, conversation_id: str, type_: str = "repair", **fields: Any) -> dict[str, Any]:
        return self._new_ticket({"type": type_, "conversation_id": conversation_id, "priority": "normal", **fields})

    def _new_ticket(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = PREFIXES[body["type"]]
        number = f"{prefix}20261123-{sum(t.startswith(prefix) for t in self.tickets) + 1:04d}"
        ticket = {"ticket_no": number, "type": body["type"], "status": "已受理", "priority": body.get("priority"),
                  "created_at": "2026-11-23T16:00:00+08:00", "due_at": "2026-11-24T16:00:00+08:00",
                  "due_text": "11月24日16:00前", "sla": {"value": 24, "unit": "hours", "citation": CITATION},
                  "history": [{"status": "已受理", "at": "2026-11-23T16:00:00+08:00", "by": "assistant", "note": None}],
                  "company": body.get("company"), "area": body.get("area"),
                  "customer": self.customer_of(body["conversation_id"]), "body": body}
        if body.get("company") == "tianfu" and body["type"] == "repair":   # Tianfu publishes no repair time
            ticket.update(due_at=None, due_text=None, sla=None)
        self.tickets[number] = ticket
        return ticket

    @staticmethod
    def public(ticket: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in ticket.items() if k not in ("customer", "body")}

    # -- HTTP ---------------------------------------------------------------------------------------------------
    def _app(self) -> web.Application:
        @web.middleware
        async def checks(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return web.json_response({"detail": "unauthorized"}, status=401)
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            return await handler(request)

        app = web.Application(middlewares=[checks])
        app.router.add_post("/internal/tickets", self._create_ticket)
        app.router.add_get("/internal/conversations/{conversation_id}/tickets", self._tickets_of)
        app.router.add_post("/internal/conversations/{conversation_id}/verify", self._verify)
        app.router.add_post("/internal/handoffs", self._hand_off)
        return app

    async def _create_ticket(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return web.json_response({"detail": "Idempotency-Key header is required"}, status=400)
        body = await request.json()
        self.ticket_requests.append({"key": key, "body": body})
        if self.ticket_status:
            return web.json_response({"detail": "unavailable"}, status=self.ticket_status)
        problem = self._invalid(body)
        if problem:
            return web.json_response({"detail": problem}, status=422)
        if key in self.keys:
            earlier, number = self.keys[key]
            if earlier != body:
                return web.json_response({"detail": "Idempotency-Key was used with a different request"}, status=409)
            return web.json_response(self.public(self.tickets[number]), status=200)
        ticket = self._new_ticket(body)
        self.keys[key] = (body, ticket["ticket_no"])
        if self.lost_answers:
            self.lost_answers -= 1
            return web.json_response({"detail": "bad gateway"}, status=502)
        return web.json_response(self.public(ticket), status=201)

    @staticmethod
    def _invalid(body: dict[str, Any]) -> str | None:
        if body.get("type") not in PREFIXES or body.get("utility") not in ("gas", "electricity", "heat"):
            return "type or utility"
        if not PHONE.match(str(body.get("contact_phone") or "")):
            return "contact_phone"
        if body.get("account_no") is not None and not re.fullmatch(r"\d{6,12}", str(body["account_no"])):
            return "account_no"
        if not str(body.get("description") or "").strip():
            return "description"
        if body.get("external_pipeline") not in (None, True, False):
            return "external_pipeline"
        if body.get("company") not in (None, "kunlun", "tianfu", "grid"):
            return "company"
        if body.get("area") not in (None, "urban", "rural", "remote"):
            return "area"
        return None

    async def _tickets_of(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation_id"]
        customer, phone = self.customer_of(conversation), self.verified_phones.get(conversation)
        own = [t for t in reversed(self.tickets.values())
               if t["customer"] == customer or (phone and t["body"].get("contact_phone") == phone)]
        wanted = request.query.get("ticket_no")
        if wanted:
            own = [t for t in own if t["ticket_no"] == wanted]
        return web.json_response({"tickets": [self.public(t) for t in own[:5]]})

    async def _verify(self, request: web.Request) -> web.Response:
        conversation, body = request.match_info["conversation_id"], await request.json()
        if ("account_no" in body) == ("ticket_no" in body) or not re.fullmatch(r"\d{4}", str(body.get("phone_last4"))):
            return web.json_response({"detail": "invalid"}, status=422)
        attempts = self.verify_attempts[conversation] = self.verify_attempts.get(conversation, 0) + 1
        if attempts > 5:
            return web.json_response({"detail": "too many verification attempts"}, status=429)
        key, value = ("account_no", body["account_no"]) if "account_no" in body else ("ticket_no", body["ticket_no"])
        phones = [t["body"].get("contact_phone") or "" for t in self.tickets.values()
                  if (t["body"].get(key) if key == "account_no" else t["ticket_no"]) == value]
        phone = next((p for p in phones if p.endswith(body["phone_last4"])), None)
        if phone:
            self.verified_phones[conversation] = phone
        return web.json_response({"verified": bool(phone), "attempts_left": 5 - attempts})

    async def _hand_off(self, request: web.Request) -> web.Response:
        packet = await request.json()
        conversation = packet["conversation_id"]
        existing = conversation in self.handoffs
        if not existing:
            packet["handoff_id"] = f"H{len(self.handoffs) + 1}"
        else:
            packet["handoff_id"] = self.handoffs[conversation]["handoff_id"]
        self.handoffs[conversation] = packet
        position = list(self.handoffs).index(conversation) + 1
        return web.json_response({"handoff_id": packet["handoff_id"], "queue_position": position,
                                  "working_hours": True}, status=200 if existing else 201)

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def __enter__(self) -> ContractGateway:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._runner = web.AppRunner(self._app())
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            host, port = self._runner.addresses[0][:2]
            self.url = f"http://{host}:{port}"
            started.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="contract-gateway", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("contract gateway did not start")
        return self

    def __exit__(self, *_: Any) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:  # a request still sleeping in delay_seconds
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
