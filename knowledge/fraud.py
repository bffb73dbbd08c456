"""Recognises payment instructions that the company never gives: personal accounts, a particular bank card,
unofficial accounts, cash to a visitor. A customer who quotes one gets a clear warning."""
from __future__ import annotations

import re

_CUES = [
    r"(个人|私人|对私)(账户|账号|帐户|帐号|卡)",
    r"(转账|转钱|汇款|打钱)(给|到)",
    r"(办|开|申请)(一|个|张)?.{0,8}(银行卡|信用卡)",
    r"\d{3,}开头的.{0,4}(卡|账户|帐户)",
    r"(关注|加|绑定).{0,14}(公众号|微信号|微信|qq|群).{0,10}(缴费|交费|充值|交钱|付款|转账|绑定)",
    r"(绑定|绑).{0,6}(公众号|微信号)",
    r"(上门|到家).{0,6}(收|要)(现金|钱|费)",
    r"(扫|扫描).{0,4}(个人|私人)?(二维码|收款码)",
]
_COMPILED = [re.compile(cue, re.IGNORECASE) for cue in _CUES]


def mentions_suspicious_payment(text: str) -> bool:
    compact = re.sub(r"\s+", "", text or "")
    return any(p.search(compact) for p in _COMPILED)
