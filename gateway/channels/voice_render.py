"""The assistant's messages as speech: no buttons or links, options spoken with their key, short sentences,
ticket and phone numbers read digit by digit, plain text and SSML."""
from __future__ import annotations

import re
from html import escape
from typing import Any

DIGITS = "零一二三四五六七八九"
_TICKET = re.compile(r"(?<![A-Za-z])([A-Z]{2})(\d{8})-(\d{4})(?!\d)")
_LONG_NUMBER = re.compile(r"(?<![\d.])\d{7,}(?![\d.])")
_GROUPED_TICKET = re.compile(r"（[A-Z]{2} \d{4} \d{4} \d{4}）")  # the written form's "（BX 2026 1123 0007）"
_MARKUP = re.compile(r"[【】]")


def spell_digits(digits: str) -> str:
    """20318845 -> 二零三一 八八四五: groups of four, 一 read as 幺 as Chinese call centres do."""
    spoken = "".join(DIGITS[int(d)] if d.isdigit() else d for d in digits).replace("一", "幺")
    if len(digits) == 11 and digits.startswith("1"):  # a mobile number: 3-4-4
        return f"{spoken[:3]} {spoken[3:7]} {spoken[7:]}"
    return " ".join(spoken[i:i + 4] for i in range(0, len(spoken), 4))


def _speakable(text: str) -> str:
    text = _GROUPED_TICKET.sub("", _MARKUP.sub("", text))
    text = _TICKET.sub(lambda m: f"{' '.join(m.group(1))}，{spell_digits(m.group(2))}，{spell_digits(m.group(3))}", text)
    text = _LONG_NUMBER.sub(lambda m: spell_digits(m.group(0)), text)
    text = re.sub(r"^\s*\d+\.\s*", "", text, flags=re.MULTILINE)
    return re.sub(r"\s*\n+\s*", "。", text).replace("。。", "。").strip("。 ") + "。"


def options_prompt(buttons: list[dict[str, str]]) -> str:
    return "；".join(f"{b['title']}请按{i}" for i, b in enumerate(buttons, 1)) + "。" if buttons else ""


def speech(messages: list[dict[str, Any]]) -> tuple[str, str]:
    """(plain text, SSML) for the messages, options last."""
    buttons = [b for m in messages for b in (m.get("buttons") or [])]
    sentences = [_speakable(m["text"]) for m in messages if m.get("text")]
    if buttons:
        sentences.append(options_prompt(buttons))
    text = "".join(sentences)
    ssml = "<speak>" + '<break time="300ms"/>'.join(escape(s) for s in sentences) + "</speak>"
    return text, ssml
