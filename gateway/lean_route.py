"""Routes served by a handler written out instead of FastAPI's per-request dependency solving (the hottest ones:
every customer message, the action server's ticket and notice calls). Their parameters and body are read and
validated as FastAPI reads them for the route's own endpoint: the same fields with the same validators, in the
same order, with FastAPI's own 422 errors and the same locations, so clients cannot tell. The endpoint still
documents the route in the OpenAPI schema."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from copy import deepcopy
from typing import Any, TypeVar

from fastapi import HTTPException, Request, Response
from fastapi._compat import is_sequence_field
from fastapi.exceptions import RequestValidationError
from fastapi.params import Param
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from gateway.strict_json import strict_loads

M = TypeVar("M", bound=BaseModel)


def _json_content(content_type: str | None) -> bool:
    """As FastAPI decides (email.message's reading of the header): JSON when no content type is given, or
    application/json or application/*+json."""
    if not content_type:
        return True
    content = content_type.partition(";")[0].strip().lower()
    if content.count("/") != 1:         # email.message takes it for text/plain
        return False
    maintype, subtype = content.split("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_body(request: Request) -> Any:
    """The body as FastAPI reads it, before any dependency runs: None when empty (or JSON null), parsed JSON
    (strictly, gateway/strict_json.py) for a JSON content type, else the bytes; 422 for malformed JSON and 400
    when the body cannot be read, as FastAPI answers."""
    try:
        raw = await request.body()
        if not raw:
            return None
        return strict_loads(raw) if _json_content(request.headers.get("content-type")) else raw
    except json.JSONDecodeError as error:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error",
                                       "input": {}, "ctx": {"error": error.msg}}], body=error.doc) from error
    except HTTPException:
        raise
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error


def _missing(loc: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def _validated(model: type[M], value: Any) -> M:
    if value is None:
        raise RequestValidationError([_missing(("body",))])
    try:
        return model.model_validate(value, from_attributes=True)   # as FastAPI validates a body
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)],
                                     body=value) from None


async def validated_body(request: Request, model: type[M]) -> M:
    """The body as `model`, or RequestValidationError (422) as FastAPI would raise it for a body parameter."""
    return _validated(model, await read_body(request))


_SOURCES: dict[str, Callable[[Request], Mapping[str, Any]]] = {
    "path": lambda request: request.path_params, "query": lambda request: request.query_params,
    "header": lambda request: request.headers, "cookie": lambda request: request.cookies}


class RouteInputs:
    """A route's path, query, header and cookie parameters and its body, validated by the route's own FastAPI
    fields: values by parameter name, or FastAPI's RequestValidationError listing every error."""

    def __init__(self, route: APIRoute) -> None:
        dependant = route.dependant
        self._params = [(field, field.field_info.in_.value) for field in
                        (*dependant.path_params, *dependant.query_params, *dependant.header_params,
                         *dependant.cookie_params)]
        for field, _ in self._params:    # a parameter model or a list (FastAPI reads those otherwise)
            if not isinstance(field.field_info, Param) or is_sequence_field(field) or \
                    isinstance(field.type_, type) and issubclass(field.type_, BaseModel):
                raise TypeError(f"{route.path}: parameter {field.name} is not a plain one (not read here)")
        if len(dependant.body_params) > 1 or any(getattr(f.field_info, "embed", False) for f in dependant.body_params):
            raise TypeError(f"{route.path}: one body parameter, not embedded, is read here")
        self._body = dependant.body_params[0] if dependant.body_params else None

    async def read(self, request: Request, check: Callable[[Request], None] | None = None) -> dict[str, Any]:
        """In FastAPI's order: the body is read (a malformed one refused), then `check` runs (the dependencies, the
        caller's credentials), then parameters and body are validated."""
        body = await read_body(request) if self._body is not None else None
        if check is not None:
            check(request)
        return self.values(request, body)

    def values(self, request: Request, body: Any = None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for field, source in self._params:
            self._validate(field, _SOURCES[source](request).get(field.alias), (source, field.alias), values, errors)
        if self._body is not None:
            self._validate(self._body, body, ("body",), values, errors)
        if errors:
            raise RequestValidationError(errors, body=body)
        return values

    @staticmethod
    def _validate(field: Any, value: Any, loc: tuple[str, ...], values: dict[str, Any],
                  errors: list[dict[str, Any]]) -> None:
        if value is None:
            if field.required:
                errors.append(_missing(loc))
            else:
                values[field.name] = deepcopy(field.default)
            return
        valid, problems = field.validate(value, values, loc=loc)
        if problems:
            errors.extend(problems)
        else:
            values[field.name] = valid


LeanHandler = Callable[[Request, RouteInputs], Awaitable[Response]]


def lean(handler: LeanHandler) -> type[APIRoute]:
    """A route class (APIRouter.add_api_route's route_class_override) whose requests `handler` serves whole, given
    the route's inputs; the endpoint it is added with documents the route and is never called."""

    class LeanRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            inputs = RouteInputs(self)

            async def serve(request: Request) -> Response:
                return await handler(request, inputs)
            return serve

    LeanRoute.__qualname__ = LeanRoute.__name__ = f"LeanRoute_{handler.__name__}"
    return LeanRoute
