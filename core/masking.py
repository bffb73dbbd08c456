"""Masks phone, ID card and bank card numbers in anything logged or shown to agents by default.

Customers write numbers with full-width digits (１３８…), Chinese numerals read out (一三八), spaces, double
spaces, hyphens, dots and invisible zero-width characters ("6222  0212 3456 7890", "138.1234.5678"), so the
patterns accept any digit form with optional separators; what is masked keeps its first and last digits so an
agent can still confirm a number with the customer. Landlines keep their area code (0571-****6655); old
15-digit ID numbers are masked like 18-digit ones.
"""
from __future__ import annotations

import re

_D = r"[0-9０-９零〇一二三四五六七八九幺两]"   # a digit: half- or full-width, or a Chinese numeral read out
_S = r"[\s\-－.．·\u200b-\u200d\u2060\ufeff]{0,3}"   # optional separators between digits ("138 - 1234"), zero-width included
# Boundaries look at Arabic digits only: a number beside ordinary Chinese text (一…) is still a number.
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９])"


def _digits(count: int) -> str:
    return _S.join([_D] * count)


_ID_CARD = re.compile(rf"{_NOT_DIGIT_BEFORE}({_digits(6)}){_S}((?:{_D}{_S}){{7}}{_D}){_S}({_digits(3)}{_S}[0-9０-９XxＸｘ])"
                      rf"{_NOT_DIGIT_AFTER}")
_OLD_ID_CARD = re.compile(rf"{_NOT_DIGIT_BEFORE}({_digits(6)}){_S}((?:{_D}{_S}){{5}}{_D}){_S}({_digits(3)}){_NOT_DIGIT_AFTER}")
_BANK_CARD = re.compile(rf"{_NOT_DIGIT_BEFORE}({_digits(4)})((?:{_S}{_D}){{8,11}}){_S}({_digits(4)}){_NOT_DIGIT_AFTER}")
_MOBILE = re.compile(rf"{_NOT_DIGIT_BEFORE}([1１一幺]{_S}[3-9３-９三四五六七八九]{_S}{_D}){_S}({_digits(4)}){_S}({_digits(4)})"
                     rf"{_NOT_DIGIT_AFTER}")
# 0571-88776655, 057188776655, 010 12345678: area code kept, the number masked but its last four digits.
# Area codes: 010 and 02x have three digits, the rest four.
_AREA = rf"[0０零〇]{_S}(?:[12１２一二幺两]{_S}{_D}|[3-9３-９三四五六七八九]{_S}{_D}{_S}{_D})"
_LANDLINE = re.compile(rf"{_NOT_DIGIT_BEFORE}({_AREA}){_S}"
                       rf"((?:{_D}{_S}){{3,4}})({_digits(4)}){_NOT_DIGIT_AFTER}")


def mask_text(text: str | None) -> str:
    if not text:
        return text or ""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    text = _BANK_CARD.sub(lambda m: f"{m.group(1)} **** **** {m.group(3)}", text)
    text = _OLD_ID_CARD.sub(lambda m: f"{m.group(1)}******{m.group(3)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


def mask_value(value):
    """Masks strings inside nested dicts and lists (a handoff packet)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value
