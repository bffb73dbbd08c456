"""Masks phone, ID card and bank card numbers in anything logged or shown to agents by default."""
from __future__ import annotations

import re

_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_BANK_CARD = re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_SPACED_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")


def mask_text(text: str | None) -> str:
    if not text:
        return text or ""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _BANK_CARD.sub(lambda m: f"{m.group(1)} **** **** {m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _SPACED_MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def mask_value(value):
    """Masks strings inside nested dicts and lists (a handoff packet)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value
