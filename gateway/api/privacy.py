"""A customer's data on their request (PIPL): supervisors export it or erase it. Every call is audited."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator

from gateway.api.deps import RedisDep, SessionDep, SupervisorDep
from gateway.retention import Customer, erase_customer, export_customer
from gateway.strict_json import StrictJSONRoute
from gateway.text import CleanStr

router = APIRouter(prefix="/agent/api/privacy", tags=["privacy"], route_class=StrictJSONRoute)

PHONE = r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
CONVERSATION = r"^(?:web|wechat|voice):[\w:.\-]{1,110}$"


class CustomerRequest(BaseModel):
    phone: CleanStr | None = Field(default=None, pattern=PHONE)
    conversation_id: CleanStr | None = Field(default=None, pattern=CONVERSATION)

    @model_validator(mode="after")
    def exactly_one(self) -> CustomerRequest:
        if (self.phone is None) == (self.conversation_id is None):
            raise ValueError("give the customer's phone or one conversation id")
        return self

    def customer(self, company: str | None) -> Customer:
        return Customer(phone=self.phone, conversation_id=self.conversation_id, company=company)


@router.get("/export")
async def export(who: Annotated[CustomerRequest, Query()], session: SessionDep, supervisor: SupervisorDep) -> dict:
    """Everything stored about one customer (their conversations, messages, ratings and tickets), unmasked."""
    return await export_customer(session, who.customer(supervisor.company), supervisor.username)


@router.post("/erase")
async def erase(body: CustomerRequest, session: SessionDep, redis: RedisDep, supervisor: SupervisorDep) -> dict:
    """Deletes the customer's conversations (transcripts, handoffs, the bot's memory of them) and masks the
    personal fields of their tickets, which stay as the company's service record."""
    return (await erase_customer(session, redis, body.customer(supervisor.company), supervisor.username)).as_dict()
