"""Customers' typos and speech-recognition homophones of our domain words, read as the words they mean.

燃汽 / 暧气 / 点费 are typed with the wrong character but read the same; a voice transcript writes 报修 as 保修 and
燃气 as 然气. Every correction keeps the text's length (one character for one character), so positions found in
the corrected text are positions in what the customer wrote: the tokenizer feeds the corrected words to the
featurizers as lemmas while entity spans stay on the original text, and the knowledge search, the ranker and the
message-kind cues read the corrected text too. Standard-library only: the knowledge package imports it as well.
"""
from __future__ import annotations

import re

# (what the customer wrote, what they meant): same length; a lookaround keeps a real word intact.
_CORRECTIONS: tuple[tuple[str, str], ...] = (
    # gas
    (r"燃汽|燃器", "燃气"), (r"(?<!天)然气", "燃气"), (r"天燃气", "天然气"), (r"煤汽", "煤气"),
    (r"(?<=[停通漏断供用])汽", "气"), (r"气废", "气费"),
    # heat
    (r"暧气|(?<!取)暖器|暖汽", "暖气"), (r"共暖|供曖", "供暖"),
    # electricity
    (r"点费|电废|店费", "电费"), (r"停点", "停电"), (r"窃点", "窃电"), (r"偷点(?=[的了吗呢啊被会要是算，,？?\s]|$)", "偷电"),
    (r"电标", "电表"), (r"抄标", "抄表"), (r"供点|共电", "供电"), (r"(?<=天富)热点", "热电"),
    # services
    (r"交废", "交费"), (r"缴废", "缴费"), (r"报休|保修(?![期卡书])", "报修"), (r"抢休", "抢修"), (r"维休", "维修"),
    (r"头诉|投述|投拆|投素", "投诉"), (r"举抱|举暴", "举报"), (r"报撞", "报装"), (r"营业听", "营业厅"),
    (r"过护", "过户"), (r"消户", "销户"), (r"户好", "户号"), (r"申情", "申请"), (r"报俢|报侈", "报修"),
    (r"营叶厅", "营业厅"), (r"服物", "服务"), (r"配和", "配合"),
    (r"工做日", "工作日"), (r"时线(?![路])", "时限"), (r"(?<=解决)放案|(?<=解决)方按", "方案"),
    (r"(?<=抢修)对(?![象于待比应接方])", "队"),
)
_PATTERN = re.compile("|".join(f"(?:{p})" for p, _ in _CORRECTIONS))
_COMPILED = tuple((re.compile(p), meant) for p, meant in _CORRECTIONS)


def corrected(text: str) -> str:
    """The text with every known typo or homophone of a domain word replaced; same length as the text."""
    if not text or not _PATTERN.search(text):
        return text or ""
    for pattern, meant in _COMPILED:
        text = pattern.sub(meant, text)
    return text
