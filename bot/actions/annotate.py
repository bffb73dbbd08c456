"""What a turn was, for the gateway (core/turns.py): an answer and its entries, a menu, or an unanswered question.

Each note rides on the reply it describes (`dispatcher.utter_message(..., json_message=note)`); Rasa sends it to
the channel as a custom message right after that reply's text."""
from __future__ import annotations

from typing import Any

from core.turns import TurnKind, UnansweredReason, annotation


def answered(entries: list[str]) -> dict[str, Any]:
    return annotation(TurnKind.ANSWER, entries=entries)


def menu(entries: list[str]) -> dict[str, Any]:
    return annotation(TurnKind.MENU, entries=entries)


def unanswered(reason: UnansweredReason, *, utility: str | None = None) -> dict[str, Any]:
    return annotation(TurnKind.UNANSWERED, reason=reason, utility=utility)
