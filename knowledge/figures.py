"""Finds the figures (number + unit) a Chinese text states, whatever numerals it uses.

Used to audit the knowledge base: every figure an answer gives must be one its source states. Sources write
"铃响三声", "40min", "12S", "24 小时"; answers write "3声", "40分钟". spaCy's Chinese character tokens with
`like_num` (which knows 三, 二十四, 两) and a token Matcher find the figures; cn2an turns numerals into values.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import cn2an
import spacy
from spacy.matcher import Matcher

UNITS = {
    "工作日": "working_days", "小时": "hours", "分钟": "minutes", "min": "minutes", "秒": "seconds", "s": "seconds",
    "S": "seconds", "个月": "months", "天": "days", "日": "days", "年": "years", "次": "times", "声": "times",
    "米": "metres", "元": "yuan",
}


class Figure(NamedTuple):
    value: float
    unit: str


@lru_cache(maxsize=1)
def _pipeline() -> tuple[spacy.language.Language, Matcher]:
    nlp = spacy.blank("zh")  # character segmentation: numerals and units are always separate tokens
    matcher = Matcher(nlp.vocab)
    for surface, unit in UNITS.items():
        pattern = [{"LIKE_NUM": True, "OP": "+"}, {"ORTH": "个", "OP": "?"}, *({"ORTH": ch} for ch in surface)]
        matcher.add(unit, [pattern], greedy="LONGEST")
    return nlp, matcher


def _value(numeral: str) -> float | None:
    try:
        return float(cn2an.cn2an(numeral, "smart"))
    except (ValueError, KeyError):
        return None


def figures(text: str) -> set[Figure]:
    nlp, matcher = _pipeline()
    doc = nlp("".join(text.split()))
    found = set()
    for match_id, start, end in matcher(doc):
        if start > 0 and doc[start - 1].text == "第":  # an ordinal (第二天), not a quantity
            continue
        digits = "".join(t.text for t in doc[start:end] if t.like_num)
        value = _value(digits)
        if value is not None:
            found.add(Figure(value, nlp.vocab.strings[match_id]))
    return found
