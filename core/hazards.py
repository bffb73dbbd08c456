"""Phrases that mean danger now: a gas leak, fire, poisoning, a fallen live wire, a burst hot-water pipe.

Kept free of Rasa imports: the NLU override component and the actions both use it. Precision matters more
than recall here only in one direction: a false alarm costs a customer a few lines of safety advice, a miss
can cost a life, so the patterns are broad but skip negated mentions ("没有煤气味了").
"""
from __future__ import annotations

import re
from enum import Enum


class Hazard(str, Enum):
    GAS_LEAK = "gas_leak"
    POISONING = "poisoning"
    FIRE = "fire"
    ELECTRIC_SHOCK = "electric_shock"
    LIVE_WIRE = "live_wire"
    HOT_WATER = "hot_water"


_NEGATIONS = re.compile(r"[没无不未别]")
# 漏气 also happens to tyres and balls; without a gas word nearby that is not our emergency.
_OTHER_LEAKS = re.compile(r"轮胎|车胎|胎|气球|篮球|足球|排球|游泳圈|气垫|充气|自行车|电动车")
_GAS_WORDS = re.compile(r"燃气|煤气|天然气|液化气|管道气|气表|燃气灶|热水器")

_PATTERNS: dict[Hazard, list[str]] = {
    Hazard.POISONING: [
        r"(煤气|燃气|一氧化碳|co)中毒", r"(热水器|燃气|煤气|炉子).{0,12}(头晕|头疼|头痛|恶心|晕倒|昏迷|晕过去)",
        r"(头晕|恶心|晕倒|昏迷).{0,12}(热水器|燃气|煤气)",
    ],
    Hazard.GAS_LEAK: [
        r"(煤气|燃气|天然气|液化气)(的)?(味|味道|臭味)",
        r"(漏气|泄漏|泄露|跑气|冒气|嘶嘶)",
        r"(燃气|煤气|天然气|气)管.{0,6}(破|断|裂|漏)", r"闻到.{0,6}(臭鸡蛋|气)味",
        r"燃气报警器.{0,4}(响|叫|报警)", r"(漏|泄)(煤|燃|天然)?气",
        # 燃气漏了, 煤气罐好像在漏: the leak said after the gas (热水器漏水 is water, not gas)
        r"(燃气|煤气|天然气|液化气|煤气罐|液化气罐|气罐|燃气灶|燃气表|气表|气阀|阀门)(好像|可能|有点|一直|在)*漏(?![水电])",
    ],
    Hazard.FIRE: [
        r"(着火|起火|失火|火灾|冒烟|烧起来|爆炸|炸了)", r"(燃气灶|煤气罐|燃气表|热水器|电表箱|配电箱|变压器).{0,6}(着|起|冒)火",
    ],
    Hazard.ELECTRIC_SHOCK: [
        r"(被电(到|着|击|打)?了?|触电|电到人|电着人|漏电电人|电击|被电打)",
    ],
    Hazard.LIVE_WIRE: [
        r"电线.{0,8}(掉|落|断|垂|拖)(在|到)?(地|下来|了)", r"(电线|电缆|高压线|电杆|电线杆).{0,8}(冒火|打火|火花|放电|倒了|断了)",
        r"(冒火花|打火花|滋滋冒火)",
    ],
    Hazard.HOT_WATER: [
        r"(暖气|供热|采暖|热水)管.{0,8}(爆|崩|裂|喷)", r"(暖气片|暖气).{0,6}(爆了|崩了|喷水|喷热水|往外喷)",
    ],
}
_COMPILED = {hazard: [re.compile(p, re.IGNORECASE) for p in patterns] for hazard, patterns in _PATTERNS.items()}


def _affirmed(match: re.Match[str]) -> bool:
    """False for a negated mention: 没有煤气味了, 燃气灶打不着火, 不是漏气."""
    window = match.string[max(0, match.start() - 3):match.end()]
    return not _NEGATIONS.search(window)


def detect_hazard(text: str) -> Hazard | None:
    """The most serious hazard named in the text, or None. Order: poisoning, gas leak, fire, electric shock, wire,
    hot water."""
    compact = re.sub(r"\s+", "", text or "")
    for hazard, patterns in _COMPILED.items():
        if hazard is Hazard.GAS_LEAK and _OTHER_LEAKS.search(compact) and not _GAS_WORDS.search(compact):
            continue
        if any(_affirmed(m) for p in patterns for m in p.finditer(compact)):
            return hazard
    return None


# 如果闻到燃气味怎么办, 万一燃气泄漏了打什么电话: a danger imagined, not reported. It still gets the safety advice
# first; no emergency ticket is raised and no agent called until the customer says it is happening now.
_IMAGINED = re.compile(r"如果|要是|万一|假如|假设|一旦|的话")


def imagined(text: str) -> bool:
    """The danger is named as a condition (如果…, 万一…, …的话), not as something happening."""
    return _IMAGINED.search(re.sub(r"\s+", "", text or "")) is not None

