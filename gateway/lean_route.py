"""Request bodies for a route whose handler is written out instead of solved by FastAPI per request (the hottest
route, POST /api/widget/messages): parsed strictly (gateway/strict_json.py) and validated by the route's pydantic
model, with FastAPI's own 422 errors, in the same shape and with the same locations, so clients cannot tell."""
from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from gateway.strict_json import strict_loads

M = TypeVar("M", bound=BaseModel)


def _json_content(content_type: str | None) -> bool:
    """As FastAPI reads a body: JSON when no content type is given, or application/json or application/*+json."""
    if content_type is None:
        return True
    maintype, _, subtype = content_type.split(";", 1)[0].strip().lower().partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


async def validated_body(request: Request, model: type[M]) -> M:
    """The body as `model`, or RequestValidationError (422) as FastAPI would raise it for a body parameter."""
    raw = await request.body()
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    value: Any = raw
    if _json_content(request.headers.get("content-type")):
        try:
            value = strict_loads(raw)
        except json.JSONDecodeError as error:
            raise _invalid(error) from error
    try:
        return model.model_validate(value, from_attributes=True)   # as FastAPI validates a body
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)],
                                     body=value) from None


def _invalid(error: json.JSONDecodeError) -> RequestValidationError:
    return RequestValidationError([{"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error",
                                    "input": {}, "ctx": {"error": error.msg}}], body=error.doc)
