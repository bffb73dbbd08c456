"""Scores one reply of the assistant against one question of the independent set (tests/answer_eval/).

A reply is right when
  - answerable question: it contains every decisive fact (any accepted variant of each), cites the document
    the question was written from (依据《…》 / 参考《…》 naming it: DOC_NAMES), and states none of the question's
    wrong facts;
  - unanswerable question: it states no wrong fact, invents no figure (every number with a unit in it is a figure
    some source document states), and says where the official answer is found (营业厅, the hotline, 95598, …).
    A question no document may answer (kind `unanswerable`, or written from the research paper 004 alone, which is
    never cited) needs no citation even when the writer listed words it must contain (没有, 不是正式规定…): those
    words, no wrong fact, no invented figure and the official place.

Numerals are normalised on both sides (三 → 3, 四十八 → 48, full-width → ASCII); 两天 and 48小时 are equal only when
the set lists both as variants of one fact. A variant that starts with a digit never matches inside a longer
number (5日 is not in 15日).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cn2an

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "knowledge" / "source_documents"
CITATION = re.compile(r"(依据|参考)《[^》]+》")
OFFICIAL_PLACE = re.compile(r"营业厅|热线|95598|客服电话|服务电话|官网|官方|公众号|当地|公告|人工客服|供电公司|燃气公司|咨询")
_UNIT = (r"个工作日|工作日|个小时|小时|分钟|min|秒|个月|天|日|周|年|次|元|块钱|块|角|%|％|千伏安|千伏|kVA|kV|kv|伏|V|"
         r"千瓦时|千瓦|kW|度|立方米|立方|方|米|倍")
_FIGURE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\s*({_UNIT})")
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万]+")


def normalise(text: str) -> str:
    """NFKC, no spaces, Chinese numerals as digits (四十八小时 → 48小时, 两名 → 2名)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", "", text)

    def number(match: re.Match) -> str:
        word = match.group()
        if word in ("一", "十") and len(word) == 1:  # 一般, 十分: words, not numbers, when alone
            return word
        try:
            return str(cn2an.cn2an(word, "smart"))
        except (ValueError, KeyError, IndexError):
            return word
    return _CN_NUMBER.sub(number, text)


def contains(reply: str, variant: str) -> bool:
    """The variant in the normalised reply; a leading digit must not continue a longer number."""
    needle = normalise(str(variant))
    if not needle:
        return False
    prefix = r"(?<![\d.])" if needle[0].isdigit() else ""
    suffix = r"(?![\d])" if needle[-1].isdigit() else ""
    return re.search(prefix + re.escape(needle) + suffix, normalise(reply)) is not None


_ABBREVIATED = ((re.compile(r"(\d)\s*(?:KV·A|kV·A|KVA|kVA|kva)"), r"\1千伏安"), (re.compile(r"(\d)\s*(?:KV|kV|kv)"), r"\1千伏"),
                (re.compile(r"(\d)\s*[Ss](?![A-Za-z])"), r"\1秒"), (re.compile(r"(\d)\s*min\b"), r"\1分钟"))


def figures(text: str) -> set[tuple[str, str]]:
    """Every number with a unit: {('48', '小时'), ...}; 个小时 counts as 小时, 个工作日 as 工作日, and the sources'
    abbreviations (12S, 0.4KV, 315KVA, 40min) as the words an answer uses."""
    text = normalise(text)
    for pattern, words in _ABBREVIATED:
        text = pattern.sub(words, text)
    found = set()
    for value, unit in _FIGURE.findall(text):
        unit = {"个小时": "小时", "个工作日": "工作日", "min": "分钟", "％": "%", "块钱": "元", "块": "元",
                "立方": "立方米", "方": "立方米", "kv": "kV"}.get(unit, unit)
        found.add((value.rstrip("0").rstrip(".") if "." in value else value, unit))
    return found


@functools.lru_cache(maxsize=1)
def source_figures() -> frozenset[tuple[str, str]]:
    """Every figure stated anywhere in the source documents."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt")))
    return frozenset(figures(text))


def invented_figures(reply: str) -> list[str]:
    """Figures in the reply that no source document states (a price, an hour, a limit made up)."""
    known = source_figures()
    return sorted(f"{v}{u}" for v, u in figures(reply) - known
                  if (v, u.replace("工作日", "日")) not in known and (v, u.replace("日", "天")) not in known)


# How a citation names each source document (its printed title, or the company whose rules it holds).
DOC_NAMES = {
    "000": ("天然气客户标准化服务指导手册", "城镇燃气管理条例", "昆仑燃气"),
    "001": ("天富",),
    "002": ("电力系统用户服务规范",),
    "003": ("95598", "供电服务人员文明服务规范", "电力设施保护条例", "电力客户服务", "国家电网"),
    "004": ("装表接电",),
}


def cited(reply: str, docs: list[str] | None = None) -> bool:
    """A citation in the reply; with docs, one that names each of those documents."""
    quoted = [m.group() for m in CITATION.finditer(reply or "")]
    if not docs:
        return bool(quoted)
    return all(any(name in q for q in quoted for name in DOC_NAMES.get(doc, ())) for doc in docs)


def documents(question: dict[str, Any]) -> list[str]:
    doc = question.get("doc")
    return [str(d) for d in doc] if isinstance(doc, list) else [str(doc)]


def no_document_answers(question: dict[str, Any]) -> bool:
    """Unanswerable by the set's own label, or written from the research paper alone: nothing may be cited."""
    return question.get("kind") == "unanswerable" or documents(question) == ["004"]


@dataclass
class Verdict:
    right: bool
    missing: list[str] = field(default_factory=list)     # decisive facts not found (first variant of each)
    wrong: list[str] = field(default_factory=list)       # wrong facts stated
    invented: list[str] = field(default_factory=list)    # figures no source states
    cited: bool = False                                   # cites the question's own document(s)
    points_to_official: bool = False


def score(question: dict[str, Any], reply: str) -> Verdict:
    must = [v if isinstance(v, list) else [v] for v in question.get("must") or []]
    wrong_facts = [v if isinstance(v, list) else [v] for v in question.get("wrong") or []]
    missing = [variants[0] for variants in must if not any(contains(reply, v) for v in variants)]
    wrong = [variants[0] for variants in wrong_facts if any(contains(reply, v) for v in variants)]
    invented = invented_figures(reply)
    has_citation, official = cited(reply, documents(question)), OFFICIAL_PLACE.search(reply or "") is not None
    if must and not no_document_answers(question):
        right = not missing and not wrong and has_citation
    elif must:
        right = not missing and not wrong and not invented and official
    else:
        right = not wrong and not invented and official
    return Verdict(right, missing, wrong, invented, has_citation, official)
