"""Validates the action server's replies with one schema validator built once, not one per call.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)` for every custom
action. With the jsonschema Rasa pins (4.17), that call first checks the schema itself against the Draft 2020-12
metaschema, which costs about 40 ms of CPU each time: under load it was two thirds of the Rasa process's time
(py-spy; docs/benchmarks.md, "What was cut, and how it was found"). The schema is a constant, so the replacement
builds its validator once and keeps Rasa's behaviour: an invalid reply raises the same `ValidationError` with
the same hint.
"""
from __future__ import annotations

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


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
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
