"""Turns entries into what the customer reads or hears: the answer, labelled with its utility, and its source."""
from __future__ import annotations

from knowledge.loader import KnowledgeBase
from knowledge.model import Entry

ANTI_FRAUD_ENTRY = "all.payment.anti_fraud"


def answer_text(entry: Entry, *, with_company: bool = False) -> str:
    """【燃气】answer（citation）; with_company, where answers of several companies stand side by side, the label
    also names the company whose promise it is: 【燃气·昆仑燃气】."""
    names = [entry.utility_label or ""]
    if with_company and entry.company_label and entry.company != "none":
        names.append(entry.company_label)
    label = "·".join(n for n in names if n)
    return f"{'【' + label + '】' if label else ''}{entry.answer}\n（{entry.citation}）"


def anti_fraud_reminder(kb: KnowledgeBase) -> str:
    """One line under every payment answer; the full warning is the entry itself."""
    entry = kb.by_id.get(ANTI_FRAUD_ENTRY)
    source = f"（{entry.citation}）" if entry else ""
    return ("温馨提示：我们不会让您向个人账户转账、办理指定银行卡或关注非官方账号缴费，"
            f"遇到这类要求请不要付款。{source}")


def fraud_warning(kb: KnowledgeBase) -> str:
    entry = kb.by_id.get(ANTI_FRAUD_ENTRY)
    body = entry.answer if entry else "请只通过公司公布的官方渠道缴费。"
    source = f"\n（{entry.citation}）" if entry else ""
    return f"请注意，您说的这种缴费方式很可能是诈骗，请先不要付款。{body}{source}"
