"""The assistant's messages as a WeChat user expects them: plain text, short, options as numbered lines, and after a
knowledge answer a line asking whether it helped (words, never digits: a digit picks a numbered option)."""
from __future__ import annotations

from typing import Any

MAX_REPLY_BYTES = 2000   # WeChat truncates text replies a little above 2 KB
FEEDBACK_PROMPT = "有帮助请回复“有用”，没帮助请回复“没用”"   # the words gateway/feedback.py understands


def as_text(messages: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.get("text"):
            parts.append(message["text"])
        buttons.extend(message.get("buttons") or [])
    if buttons:
        parts.append("请回复数字：\n" + "\n".join(f"{i}. {b['title']}" for i, b in enumerate(buttons, 1)))
    if any(message.get("answer") for message in messages):
        parts.append(FEEDBACK_PROMPT)
    return "\n\n".join(parts)


def chunks(text: str) -> list[str]:
    """Splits at paragraph boundaries so each piece fits one WeChat message."""
    pieces, current = [], ""
    for paragraph in text.split("\n"):
        candidate = f"{current}\n{paragraph}" if current else paragraph
        if len(candidate.encode()) > MAX_REPLY_BYTES and current:
            pieces.append(current)
            candidate = paragraph
        current = candidate
    if current:
        pieces.append(current)
    return pieces or [""]
