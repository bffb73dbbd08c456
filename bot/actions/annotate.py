"""Tells the gateway what a turn was (core/turns.py): an answer and its entries, a menu, or an unanswered question."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from core.turns import TurnKind, UnansweredReason, annotation


def note_answer(dispatcher: CollectingDispatcher, entries: list[str], *, company: str | None = None) -> None:
    dispatcher.utter_message(json_message=annotation(TurnKind.ANSWER, entries=entries, company=company))


def note_menu(dispatcher: CollectingDispatcher, entries: list[str], *, company: str | None = None) -> None:
    dispatcher.utter_message(json_message=annotation(TurnKind.MENU, entries=entries, company=company))


def note_unanswered(dispatcher: CollectingDispatcher, reason: UnansweredReason, *, utility: str | None = None,
                    company: str | None = None) -> None:
    dispatcher.utter_message(json_message=annotation(TurnKind.UNANSWERED, reason=reason, utility=utility,
                                                     company=company))
