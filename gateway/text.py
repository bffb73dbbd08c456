"""Text from outside is cleaned once at the edge: control characters (NUL above all, which PostgreSQL refuses
in text) never reach storage or the assistant."""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from knowledge.companies import companies

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


CleanStr = Annotated[str, AfterValidator(clean)]


def _known_company(company: str) -> str:
    if company not in companies():
        raise ValueError("unknown company: GET /api/widget/companies lists them")
    return company


CompanyId = Annotated[str, Field(max_length=20), AfterValidator(_known_company)]   # an id of knowledge/companies.yml
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TICKET_PATTERN = r"^[A-Za-z]{2}\d{8}-\d{4}$"
CONVERSATION_PATTERN = r"^[\w:.@-]{1,120}$"   # web:…, wechat:<openid>, voice:<call id>, or a REST sender id
