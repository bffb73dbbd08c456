"""Internal API for the action server: tickets with idempotency keys, ticket lookup, handoff packets."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import ids
from gateway import handoffs
from gateway.api.deps import RedisDep, ServiceDep, SessionDep, SettingsDep, require_service_token
from gateway.conversations import get_or_create
from gateway.lean_route import RouteInputs, lean
from gateway.models import Ticket
from gateway.strict_json import StrictJSONRoute
from gateway.text import CONVERSATION_PATTERN, TICKET_PATTERN, CleanStr, CompanyId
from gateway.tickets import IdempotencyConflict, as_dict, create_for_conversation, of_conversation

router = APIRouter(prefix="/internal", tags=["internal"], route_class=StrictJSONRoute)
PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|待补充)$"


class TicketRequest(BaseModel):
    type: Literal["repair", "installation", "complaint"]
    utility: Literal["gas", "electricity", "heat"]
    conversation_id: str = Field(pattern=CONVERSATION_PATTERN)
    channel: Literal["web", "wechat", "voice", "rest"] = "rest"
    contact_phone: str = Field(pattern=PHONE)
    account_no: str | None = Field(default=None, pattern=r"^\d{6,12}$")
    address: CleanStr | None = Field(default=None, max_length=200)
    description: CleanStr = Field(min_length=1, max_length=1000)
    priority: Literal["normal", "urgent", "emergency"] = "normal"
    customer_type: Literal["residential", "non_residential"] | None = None
    external_pipeline: bool | None = None
    # The company the customer chose when the conversation was unbound (the form asks when several serve the
    # utility); a bound conversation's own company always wins.
    company: CompanyId | None = None
    area: Literal["urban", "rural", "remote"] | None = None     # electricity repairs (95598 arrival times)

    @field_validator("description", "address")
    @classmethod
    def not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value


class HandoffRequest(BaseModel):
    conversation_id: str = Field(pattern=CONVERSATION_PATTERN)
    channel: str = "rest"
    reason: str = "request_human"
    priority: Literal["normal", "urgent", "emergency"] = "normal"
    customer: dict = Field(default_factory=dict)
    recent_intents: list[dict] = Field(default_factory=list)
    slots: dict = Field(default_factory=dict)
    tickets: list[dict] = Field(default_factory=list)
    summary: CleanStr = Field(default="", max_length=500)
    transcript: list[dict] = Field(default_factory=list, max_length=200)


async def _new_ticket(session: AsyncSession, body: TicketRequest,
                      idempotency_key: str | None) -> tuple[SimpleNamespace, bool]:
    """(ticket, created); 400 without an Idempotency-Key, 409 for a key used with another request."""
    if not idempotency_key:
        raise HTTPException(400, "Idempotency-Key header is required")
    fields = body.model_dump(exclude={"company"})
    try:
        return await create_for_conversation(session, body.conversation_id, body.channel, body.company, fields,
                                             idempotency_key, actor="assistant")
    except IdempotencyConflict:
        raise HTTPException(409, "Idempotency-Key was used with a different request") from None


async def create(body: TicketRequest, response: Response, session: SessionDep, _: ServiceDep,
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> dict:
    ticket, created = await _new_ticket(session, body, idempotency_key)
    if not created:
        response.status_code = 200
    return as_dict(ticket, history=True)


async def _create_lean(request: Request, inputs: RouteInputs) -> Response:
    """`create` without FastAPI's per-request dependency solving (gateway/lean_route.py)."""
    values = await inputs.read(request, require_service_token)
    async with request.app.state.sessionmaker() as session:
        ticket, created = await _new_ticket(session, values["body"], values["idempotency_key"])
    return ORJSONResponse(as_dict(ticket, history=True), status_code=201 if created else 200)


async def tickets_of(session: SessionDep, _: ServiceDep,
                     conversation_id: Annotated[str, Path(pattern=CONVERSATION_PATTERN)],
                     ticket_no: Annotated[str | None, Query(pattern=TICKET_PATTERN)] = None) -> dict:
    """The customer's tickets (newest five), or the one numbered when it is theirs: opened by this channel
    identity, or with a contact phone the customer has proved on this conversation."""
    return {"tickets": [as_dict(t, history=True) for t in await of_conversation(session, conversation_id, ticket_no)]}


async def _tickets_of_lean(request: Request, inputs: RouteInputs) -> Response:
    """`tickets_of` without FastAPI's per-request dependency solving."""
    values = await inputs.read(request, require_service_token)
    async with request.app.state.sessionmaker() as session:
        tickets = await of_conversation(session, values["conversation_id"], values["ticket_no"])
    return ORJSONResponse({"tickets": [as_dict(t, history=True) for t in tickets]})


# The action server's calls on every customer visit: served lean, documented (OpenAPI) by the endpoints above.
router.add_api_route("/tickets", create, methods=["POST"], status_code=201, route_class_override=lean(_create_lean))
router.add_api_route("/conversations/{conversation_id}/tickets", tickets_of, methods=["GET"],
                     route_class_override=lean(_tickets_of_lean))


class Verification(BaseModel):
    """户号 or a ticket number (often the only thing a customer has from a phone call), and the last four digits
    of the contact phone on that account's or that ticket's record."""
    account_no: str | None = Field(default=None, pattern=r"^\d{6,12}$")
    ticket_no: str | None = Field(default=None, pattern=TICKET_PATTERN)
    phone_last4: str = Field(pattern=r"^\d{4}$")

    @model_validator(mode="after")
    def one_reference(self) -> Verification:
        if (self.account_no is None) == (self.ticket_no is None):
            raise ValueError("give exactly one of account_no and ticket_no")
        return self


VERIFY_ATTEMPTS_PER_HOUR = 5


@router.post("/conversations/{conversation_id}/verify")
async def verify(conversation_id: Annotated[str, Path(pattern=CONVERSATION_PATTERN)], body: Verification, session: SessionDep, redis: RedisDep,
                 _: ServiceDep) -> dict:
    """户号 or ticket number plus the last four digits of its contact phone proves the customer; a few attempts
    an hour per conversation keep guessing out."""
    attempts_key = f"ua:verify-attempts:{conversation_id}"
    attempts = await redis.incr(attempts_key)
    if attempts == 1:
        await redis.expire(attempts_key, 3600)
    if attempts > VERIFY_ATTEMPTS_PER_HOUR:
        raise HTTPException(429, "too many verification attempts")
    reference = (Ticket.account_no == body.account_no) if body.account_no else (Ticket.ticket_no == body.ticket_no)
    rows = await session.execute(select(Ticket.contact_phone).where(reference).order_by(Ticket.id.desc()))
    phone = next((p for p in rows.scalars().all() if p.endswith(body.phone_last4)), None)
    if phone is None:
        return {"verified": False, "attempts_left": VERIFY_ATTEMPTS_PER_HOUR - attempts}
    conversation = await get_or_create(session, conversation_id, ids.channel_of(conversation_id))
    conversation.verified_phone = phone
    await session.commit()
    return {"verified": True, "attempts_left": VERIFY_ATTEMPTS_PER_HOUR - attempts}


@router.post("/handoffs", status_code=201)
async def hand_off(body: HandoffRequest, response: Response, session: SessionDep, redis: RedisDep,
                   settings: SettingsDep, _: ServiceDep) -> dict:
    handoff, created = await handoffs.request(session, redis, settings, body.model_dump())
    if not created:
        response.status_code = 200
    return {"handoff_id": handoff.id, "queue_position": await handoffs.queue_position(session, handoff),
            "working_hours": handoffs.in_working_hours(settings)}
