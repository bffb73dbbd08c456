"""JSON bodies parsed strictly: Python's json module accepts NaN, Infinity and lone surrogates ("\\ud800"),
which later fail deep inside (a database driver, Redis) as a 500. Routes built with StrictJSONRoute refuse them
up front with the usual 422."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def strict_loads(body: bytes) -> Any:
    """json.loads without NaN/Infinity and without lone surrogates; json.JSONDecodeError otherwise."""
    text = body.decode("utf-8", errors="strict") if isinstance(body, bytes) else body
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError(str(error), text, 0) from None
    if _has_lone_surrogate(value):
        raise json.JSONDecodeError("lone surrogate in a string", text, 0)
    return value


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = strict_loads(await self.body())
            except UnicodeDecodeError as error:
                raise json.JSONDecodeError("body is not UTF-8", "", 0) from error
        return self._json


class StrictJSONRoute(APIRoute):
    """FastAPI answers json.JSONDecodeError from request.json() with its standard 422."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))
        return strict_handler
