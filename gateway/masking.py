"""Masks phone, ID card and bank card numbers in anything logged or shown to agents by default.

Customers write numbers with full-width digits (１３８…), spaces and hyphens ("6222 0212 3456 7890"), so the
patterns accept any digit form with optional separators; what is masked keeps its first and last digits so an
agent can still confirm a number with the customer.
"""
from __future__ import annotations

import re

_D = r"[0-9０-９]"            # a digit, half- or full-width
_S = r"[\s\-－]?"             # an optional separator between digits


def _digits(count: int) -> str:
    return _S.join([_D] * count)


_ID_CARD = re.compile(rf"(?<![0-9０-９])({_digits(6)}){_S}((?:{_D}{_S}){{7}}{_D}){_S}({_digits(3)}{_S}[0-9０-９XxＸｘ])(?![0-9０-９])")
_BANK_CARD = re.compile(rf"(?<![0-9０-９])({_digits(4)})((?:{_S}{_D}){{8,11}}){_S}({_digits(4)})(?![0-9０-９])")
_MOBILE = re.compile(rf"(?<![0-9０-９])([1１]{_S}[3-9３-９]{_S}{_D}){_S}({_digits(4)}){_S}({_digits(4)})(?![0-9０-９])")


def mask_text(text: str | None) -> str:
    if not text:
        return text or ""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    text = _BANK_CARD.sub(lambda m: f"{m.group(1)} **** **** {m.group(3)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_value(value):
    """Masks strings inside nested dicts and lists (a handoff packet)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value
