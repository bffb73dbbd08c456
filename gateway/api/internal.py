"""Internal API for the action server: tickets with idempotency keys, ticket lookup, handoff packets."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select

from core import ids
from gateway import handoffs
from gateway.api.deps import RedisDep, ServiceDep, SessionDep, SettingsDep
from gateway.conversations import get_or_create
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


@router.post("/tickets", status_code=201)
async def create(body: TicketRequest, response: Response, session: SessionDep, _: ServiceDep,
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> dict:
    if not idempotency_key:
        raise HTTPException(400, "Idempotency-Key header is required")
    fields = body.model_dump(exclude={"company"})
    try:
        ticket, created = await create_for_conversation(session, body.conversation_id, body.channel, body.company,
                                                         fields, idempotency_key, actor="assistant")
    except IdempotencyConflict:
        raise HTTPException(409, "Idempotency-Key was used with a different request") from None
    if not created:
        response.status_code = 200
    return as_dict(ticket, history=True)


@router.get("/conversations/{conversation_id}/tickets")
async def tickets_of(session: SessionDep, _: ServiceDep,
                     conversation_id: Annotated[str, Path(pattern=CONVERSATION_PATTERN)],
                     ticket_no: Annotated[str | None, Query(pattern=TICKET_PATTERN)] = None) -> dict:
    """The customer's tickets (newest five), or the one numbered when it is theirs: opened by this channel
    identity, or with a contact phone the customer has proved on this conversation."""
    return {"tickets": [as_dict(t, history=True) for t in await of_conversation(session, conversation_id, ticket_no)]}


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
