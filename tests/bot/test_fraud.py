import pytest

from knowledge.fraud import mentions_suspicious_payment


@pytest.mark.parametrize("text", [
    "昆仑燃气缴费需要先办理一个以960873开头的银行卡然后绑定在公众号klgs1234598764里",
    "有人让我把电费转账到个人账户",
    "客服让我加一个微信号缴费是真的吗",
    "上门的师傅说要收现金交燃气费",
    "让我扫个人收款码交暖气费",
])
def test_instructions_the_company_never_gives_are_flagged(text: str) -> None:
    assert mentions_suspicious_payment(text)


@pytest.mark.parametrize("text", [
    "燃气费怎么交", "可以在营业厅交电费吗", "欠费了怎么办", "微信公众号能交燃气费吗", "交电费能用银行卡吗",
])
def test_ordinary_payment_questions_are_not_flagged(text: str) -> None:
    assert not mentions_suspicious_payment(text)
