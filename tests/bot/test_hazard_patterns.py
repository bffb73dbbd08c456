"""The danger detector decides who gets safety instructions first; a miss here is the costliest bug."""
import pytest

from core.hazards import Hazard, detect_hazard


@pytest.mark.parametrize("text, hazard", [
    ("厨房里有煤气味", Hazard.GAS_LEAK),
    ("楼道里一股天然气味 怎么办", Hazard.GAS_LEAK),
    ("漏气了快来", Hazard.GAS_LEAK),
    ("燃气管子裂了在嘶嘶响", Hazard.GAS_LEAK),
    ("燃气报警器一直在叫", Hazard.GAS_LEAK),
    ("家里燃气漏了", Hazard.GAS_LEAK),
    ("煤气罐好像在漏", Hazard.GAS_LEAK),
    ("我妈洗澡时热水器旁边头晕恶心", Hazard.POISONING),
    ("家里老人好像煤气中毒了", Hazard.POISONING),
    ("燃气灶着火了", Hazard.FIRE),
    ("电表箱冒烟了", Hazard.FIRE),
    ("电线掉地上了还在冒火花", Hazard.LIVE_WIRE),
    ("小区门口电线杆倒了", Hazard.LIVE_WIRE),
    ("有人触电了", Hazard.ELECTRIC_SHOCK),
    ("暖气管爆了热水往外喷", Hazard.HOT_WATER),
])
def test_dangers_are_recognised(text: str, hazard: Hazard) -> None:
    assert detect_hazard(text) is hazard


@pytest.mark.parametrize("text", [
    "燃气费怎么交", "没有煤气味了", "不是漏气 是表坏了", "燃气灶打不着火", "燃气报警器怎么安装",
    "电表不走字", "暖气不热", "停电通知在哪看", "家里气味很重", "轮胎漏气了附近哪有补胎的",
    "燃气热水器漏水了", "燃气没漏 就是打不着火",
])
def test_ordinary_messages_are_not_emergencies(text: str) -> None:
    assert detect_hazard(text) is None


def test_poisoning_outranks_leak_when_both_are_named() -> None:
    assert detect_hazard("有煤气味 我爸头晕恶心 热水器还开着") is Hazard.POISONING
