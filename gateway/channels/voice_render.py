"""The assistant's messages as speech, worded for a caller without a screen.

A screen shows 【燃气】, a full citation, whole entry titles as buttons and grouped ticket numbers; the phone says
the utility once, a short citation ("依据燃气服务手册第5条"), options of a few words with their key, ticket and
phone numbers digit by digit, and only the first part of a long answer (the rest on request). Plain text for
platforms that synthesise text; SSML with `say-as` on numbers, dates and times for those that take SSML.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Any

DIGITS = "零一二三四五六七八九"
REPEAT_KEY = "9"
REPEAT_HINT = f"详细内容请按{REPEAT_KEY}再听一遍。"
MAX_SPOKEN_CHARS = 110          # about 25 seconds of speech; longer answers are cut at a sentence end
MAX_OPTION_CHARS = 8

_TICKET = re.compile(r"(?<![A-Za-z])([A-Z]{2})(\d{8})-(\d{4})(?!\d)")
_LONG_NUMBER = re.compile(r"(?<![\d.:])\d{7,}(?![\d.])")
_GROUPED_TICKET = re.compile(r"（[A-Z]{2} \d{4} \d{4} \d{4}）")  # the written form's "（BX 2026 1123 0007）"
_LABEL = re.compile(r"【([^】]{1,6})】")
_CITATION = re.compile(r"[（(](依据|参考)《([^》]+)》([^（）()]*?)(?:[（(][^（）()]*[)）])?[)）]")
_LIST_MARK = re.compile(r"^\s*(?:\d+[.、]|[-•·])\s*", re.MULTILINE)
_END = "。！？；"

# Spoken names of the documents: what a caller can take in, not the printed title.
_SPOKEN_TITLES = (
    ("城镇燃气管理条例", "城镇燃气管理条例"),
    ("电力设施保护条例", "电力设施保护条例"),
    ("天然气", "燃气服务手册"),
    ("燃气", "燃气服务手册"),
    ("天富", "天富热电服务规范"),
    ("95598", "九五五九八服务标准"),
    ("文明服务", "供电服务规范"),
    ("电力系统用户服务", "电力行业服务规范"),
    ("电力客户服务", "电力客户服务"),
)


def spell_digits(digits: str) -> str:
    """20318845 -> 二零三幺 八八四五: groups of four, 一 read as 幺 as Chinese call centres do."""
    spoken = "".join(DIGITS[int(d)] if d.isdigit() else d for d in digits).replace("一", "幺")
    if len(digits) == 11 and digits.startswith("1"):  # a mobile number: 3-4-4
        return f"{spoken[:3]} {spoken[3:7]} {spoken[7:]}"
    return " ".join(spoken[i:i + 4] for i in range(0, len(spoken), 4))


def spoken_title(title: str) -> str:
    return next((spoken for word, spoken in _SPOKEN_TITLES if word in title), title)


def _spoken_citation(match: re.Match) -> str:
    clause = match.group(3).strip()
    return f"。{match.group(1)}{spoken_title(match.group(2))}{clause}。"


def _label_once(text: str) -> str:
    """【燃气】燃气营业厅… → 燃气营业厅…; 【电力】营业厅… → 电力方面，营业厅…"""
    def spoken(match: re.Match) -> str:
        label, rest = match.group(1), text[match.end():match.end() + len(match.group(1))]
        return "" if rest == match.group(1) else f"{label}方面，"
    return _LABEL.sub(spoken, text)


def _tidy(text: str) -> str:
    """Line breaks to sentence ends, no doubled punctuation (哪一项？。), one ending mark."""
    text = re.sub(r"\s*\n+\s*", "。", text)
    text = re.sub(rf"([{_END}，：、])[。，]+", r"\1", text)
    text = re.sub(r"。{2,}", "。", text).strip("。， ")
    return text + ("" if not text or text[-1] in _END else "。")


def _speakable(text: str) -> str:
    text = _GROUPED_TICKET.sub("", text)
    text = _CITATION.sub(_spoken_citation, text)
    text = _label_once(text)
    text = _LIST_MARK.sub("", text)
    return _tidy(text)


def _spell_numbers(text: str) -> str:
    text = _TICKET.sub(lambda m: f"{' '.join(m.group(1))}，{spell_digits(m.group(2))}，{spell_digits(m.group(3))}", text)
    return _LONG_NUMBER.sub(lambda m: spell_digits(m.group(0)), text)


def option_words(title: str) -> str:
    """A button title in a few words: 燃气：燃气费在哪交、怎么缴费充值 → 燃气费在哪交."""
    words = title.split("：", 1)[-1]
    words = re.split(r"[、，,；;（(/]", words)[0].strip()
    return words[:MAX_OPTION_CHARS]


def options_prompt(buttons: list[dict[str, str]]) -> str:
    """Options spoken with their key. Options that would sound the same keep their utility label."""
    short = [option_words(b["title"]) for b in buttons]
    if len(set(short)) < len(short):
        short = [b["title"].split("：", 1)[0] + (option_words(b["title"]) if "：" in b["title"] else "")
                 for b in buttons]
    return "；".join(f"{words}请按{i}" for i, words in enumerate(short, 1)) + "。" if buttons else ""


def _shorten(sentences: list[str]) -> tuple[list[str], bool]:
    """The answer's first sentences up to MAX_SPOKEN_CHARS, then its citation; True when something was left out."""
    citations = [s for s in sentences if s.startswith(("依据", "参考"))]
    content = [s for s in sentences if s not in citations]
    spoken: list[str] = []
    for sentence in content:
        if spoken and sum(map(len, spoken)) + len(sentence) > MAX_SPOKEN_CHARS:
            return spoken + citations, True
        spoken.append(sentence)
    return sentences, False


def _sentences(text: str) -> list[str]:
    return [s for s in re.findall(rf"[^{_END}]+[{_END}]?", text) if s.strip()]


# -- SSML ---------------------------------------------------------------------------------------------------
_SSML_NUMBERS = re.compile(
    r"(?P<ticket>(?<![A-Za-z])[A-Z]{2}\d{8}-\d{4}(?!\d))"
    r"|(?P<date>\d{1,2}月\d{1,2}日)"
    r"|(?P<time>(?<!\d)\d{1,2}:\d{2}(?!\d))"
    r"|(?P<digits>(?<![\d.])\d{7,}(?![\d.]))"
    r"|(?P<number>(?<![\d.])\d+(?:\.\d+)?(?![\d.]))")


def _ssml_sentence(sentence: str) -> str:
    parts, position = [], 0
    for match in _SSML_NUMBERS.finditer(sentence):
        parts.append(escape(sentence[position:match.start()]))
        kind, value = match.lastgroup, match.group()
        if kind == "ticket":
            value = value.replace("-", "")
            parts.append(f'<say-as interpret-as="characters">{value[:2]}</say-as>'
                         f'<say-as interpret-as="digits">{value[2:]}</say-as>')
        elif kind == "date":
            parts.append(f'<say-as interpret-as="date" format="md">{escape(value)}</say-as>')
        else:
            interpret = {"time": "time", "digits": "digits", "number": "cardinal"}[kind or "number"]
            parts.append(f'<say-as interpret-as="{interpret}">{escape(value)}</say-as>')
        position = match.end()
    parts.append(escape(sentence[position:]))
    return "".join(parts)


@dataclass(frozen=True)
class Speech:
    text: str               # plain text, numbers already spelt for text-only synthesis
    ssml: str               # the same with say-as marks
    full_text: str | None   # the whole answer when the spoken one was shortened (replayed on REPEAT_KEY)
    full_ssml: str | None


def _render(sentences: list[str]) -> tuple[str, str]:
    text = "".join(_spell_numbers(s) for s in sentences)
    ssml = "<speak>" + '<break time="300ms"/>'.join(_ssml_sentence(s) for s in sentences) + "</speak>"
    return text, ssml


def render(messages: list[dict[str, Any]]) -> Speech:
    """What to say for the assistant's messages: the answer (shortened when long), then the options."""
    buttons = [b for m in messages for b in (m.get("buttons") or [])]
    sentences = [s for m in messages if m.get("text") for s in _sentences(_speakable(m["text"]))]
    short, cut = _shorten(sentences) if not buttons else (sentences, False)
    tail = [options_prompt(buttons)] if buttons else ([REPEAT_HINT] if cut else [])
    text, ssml = _render(short + tail)
    if not cut:
        return Speech(text, ssml, None, None)
    full_text, full_ssml = _render(sentences)
    return Speech(text, ssml, full_text, full_ssml)


def speech(messages: list[dict[str, Any]]) -> tuple[str, str]:
    """(plain text, SSML) for the messages, options last."""
    spoken = render(messages)
    return spoken.text, spoken.ssml
