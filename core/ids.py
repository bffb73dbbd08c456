"""Formats of the identifiers every process reads and writes.

A conversation id is "<channel>:<id on that channel>": web:<uuid hex>, wechat:<openid> (or
wechat:<account>:<openid> for a further official account), voice:<call id>. A ticket number is a kind prefix,
the China date and a per-day counter: BX20261123-0007.
"""
from __future__ import annotations

import re
from datetime import date
from enum import Enum


class Channel(str, Enum):
    WEB = "web"
    WECHAT = "wechat"
    VOICE = "voice"
    REST = "rest"          # Rasa's REST channel straight (integrations, the evaluation)


def conversation_id(channel: Channel | str, native_id: str) -> str:
    return f"{Channel(channel).value}:{native_id}"


def channel_of(conversation: str) -> str:
    """The channel part of a conversation id; "rest" for ids of no known channel (Rasa's REST channel)."""
    head = conversation.split(":", 1)[0] if ":" in conversation else ""
    return head if head in {c.value for c in Channel} else Channel.REST.value


def native_id(conversation: str) -> str:
    """What follows the channel: the openid, the call id, the widget's uuid."""
    return conversation.split(":", 1)[1] if ":" in conversation else conversation


class TicketKind(str, Enum):
    REPAIR = "repair"
    INSTALLATION = "installation"
    COMPLAINT = "complaint"
    CALLBACK = "callback"


TICKET_PREFIXES: dict[TicketKind, str] = {TicketKind.REPAIR: "BX", TicketKind.INSTALLATION: "BZ",
                                          TicketKind.COMPLAINT: "TS", TicketKind.CALLBACK: "HD"}
KIND_OF_PREFIX = {prefix: kind for kind, prefix in TICKET_PREFIXES.items()}

# Typed or read out: "BX20261123-0007", "bx 2026 1123 0007", "BX-20261123-0007".
TICKET_NO_IN_TEXT = re.compile(r"(?<![A-Za-z])(BX|BZ|TS|HD)\s*-?\s*(\d{4})\s*(\d{4})\s*-?\s*(\d{4})(?!\d)",
                               re.IGNORECASE)


def ticket_prefix(kind: TicketKind | str, day: date) -> str:
    """The counter's key for a kind and a China date: BX20261123."""
    return f"{TICKET_PREFIXES[TicketKind(kind)]}{day:%Y%m%d}"


def ticket_no(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"


def find_ticket_no(text: str | None) -> str | None:
    """The canonical number (BX20261123-0007) in a text, typed or spoken with spaces; None when there is none."""
    match = TICKET_NO_IN_TEXT.search(text or "")
    if not match:
        return None
    kind, year, month_day, number = match.groups()
    return f"{kind.upper()}{year}{month_day}-{number}"


def grouped_ticket_no(number: str) -> str:
    """BX20261123-0007 in groups a customer can note down on a screen: BX 2026 1123 0007."""
    match = re.fullmatch(r"([A-Z]+)(\d{4})(\d{4})-?(\d+)", number or "")
    return " ".join(match.groups()) if match else number


class TicketStatus(str, Enum):
    ACCEPTED = "已受理"
    READY = "具备施工条件"      # installation: documents, payment and materials complete; the clock starts
    DISPATCHED = "已派单"
    IN_PROGRESS = "处理中"
    DONE = "已办结"
    CLOSED = "已关闭"
    REFUSED = "不予受理"


class HandoffStatus(str, Enum):
    WAITING = "waiting"        # in the queue
    ACTIVE = "active"          # an agent has claimed it
    CLOSED = "closed"


class ConversationState(str, Enum):
    """Who answers the customer now."""
    BOT = "bot"
    WAITING = "waiting"        # queued for an agent; the bot still answers dangers
    AGENT = "agent"
