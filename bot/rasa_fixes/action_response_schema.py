"""Validates the action server's replies with one schema validator built once, not one per call.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)` for every custom
action. With the jsonschema Rasa pins (4.17), that call first checks the schema itself against the Draft 2020-12
metaschema, which costs about 40 ms of CPU each time: under load it was two thirds of the Rasa process's time
(py-spy; docs/benchmarks.md, "What was cut, and how it was found"). The schema is a constant, so the replacement
builds its validator once and keeps Rasa's behaviour: an invalid reply raises the same `ValidationError` with
the same hint.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


@lru_cache(maxsize=1)
def _by_event_type() -> tuple[Any, dict[str, list[Any]]] | None:
    """The schema split where it is expensive: each event must match exactly one of about twenty `oneOf`
    alternatives, and jsonschema tries them all. Every alternative names its event type (`const`), so an event
    can only match the alternatives of its own type: the reply without the `oneOf`, then each event against
    its type's alternatives, decides the same. None when the schema is not shaped so (a later Rasa)."""
    spec = copy.deepcopy(RemoteAction.action_response_format_spec())
    try:
        items = spec["properties"]["events"]["items"]
        alternatives = items.pop("oneOf")
    except (KeyError, TypeError):
        return None
    cls = validator_for(spec)
    by_type: dict[str, list[Any]] = {}
    for alternative in alternatives:
        event_type = alternative.get("properties", {}).get("event", {}).get("const")
        if not isinstance(event_type, str):
            return None
        by_type.setdefault(event_type, []).append(cls(alternative))
    return cls(spec), by_type


def _valid_by_event_type(result: Any) -> bool:
    split = _by_event_type()
    if split is None:
        return False
    without_one_of, by_type = split
    if not without_one_of.is_valid(result):
        return False
    for event in result.get("events") or []:
        matching = [v for v in by_type.get(event["event"], []) if v.is_valid(event)]
        if len(matching) != 1:
            return False
    return True


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    if _valid_by_event_type(result):
        return True
    try:      # invalid, or not decided by the split: the whole schema, raising Rasa's own error
        _validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


def install() -> None:
    """Replaces Rasa's per-call validation; idempotent."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
