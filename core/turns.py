"""What the bot says about a turn besides its text, for the gateway to keep with the reply: which knowledge
entries answered, a menu of entries offered, or a question left unanswered and why.

The bot sends it as a custom message of its own after the turn's text ({"custom": {"turn": {...}}}); the gateway
takes it out of the replies, stores it with the reply it belongs to (messages.meta) and never shows it as text.
The feedback buttons, the unanswered-question inbox and the analytics page read it.
"""
from __future__ import annotations

from enum import Enum
from typing import Any

KEY = "turn"


class TurnKind(str, Enum):
    ANSWER = "answer"            # one or more knowledge entries answered (entries: their ids)
    MENU = "menu"                # the customer was asked to pick one of close entries (entries: the choices)
    UNANSWERED = "unanswered"    # nothing the assistant knows answers it (reason: UnansweredReason)


class UnansweredReason(str, Enum):
    NO_ENTRY = "no_entry"                  # a question the knowledge base has no entry for
    FALLBACK = "fallback"                  # the assistant did not understand the message
    OUT_OF_SCOPE = "out_of_scope"          # taken as unrelated, though it names a utility
    MENU_UNPICKED = "menu_unpicked"        # a menu was offered and the customer picked none of it
    RATED_UNHELPFUL = "rated_unhelpful"    # the customer rated the answer 没用
    HANDOFF_AFTER_ANSWER = "handoff_after_answer"  # asked for a human right after an answer


def annotation(kind: TurnKind, *, entries: list[str] | None = None, reason: UnansweredReason | None = None,
               utility: str | None = None, company: str | None = None) -> dict[str, Any]:
    turn: dict[str, Any] = {"kind": kind.value}
    if entries:
        turn["entries"] = list(entries)
    if reason is not None:
        turn["reason"] = reason.value
    if utility:
        turn["utility"] = utility
    if company:
        turn["company"] = company
    return {KEY: turn}


def turn_of(reply: dict[str, Any]) -> dict[str, Any] | None:
    """The annotation a reply of Rasa's REST channel carries, if it is one."""
    custom = reply.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get(KEY), dict):
        return custom[KEY]
    return None
