"""The OpenAPI document as the gateway really answers: a 422 is either FastAPI's list of validation errors or a
refusal in words ({"detail": "没有这个来源文件：…"}) when a well-formed request breaks a rule of the service (an
unknown source document, nothing to publish, an area no one can place)."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

REFUSAL = {"title": "Refusal", "type": "object", "required": ["detail"],
           "properties": {"detail": {"type": "string", "title": "Detail"}}}
VALIDATION = {"$ref": "#/components/schemas/HTTPValidationError"}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                                 description=app.description)
            schema.setdefault("components", {}).setdefault("schemas", {})["Refusal"] = REFUSAL
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    response = operation.get("responses", {}).get("422")
                    content = (response or {}).get("content", {}).get("application/json")
                    if content is not None and content.get("schema") == VALIDATION:
                        content["schema"] = {"anyOf": [VALIDATION, {"$ref": "#/components/schemas/Refusal"}]}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
