"""validate_installation_form: a new connection (报装). Besides the shared slots (forms.py) it asks who will use
the supply and, only for a non-residential gas customer, whether a pipe must come in from outside the building."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms import TicketFormValidation
from bot.actions.tracker_view import latest_intent, latest_text

# Non-residential first: 非居民 contains 居民, 个体户 contains 个.
_NON_RESIDENTIAL = re.compile(r"非居民|商铺|商户|商业|门面|门店|店|饭店|饭馆|餐馆|餐厅|餐饮|酒店|宾馆|单位|机关|学校|幼儿园|"
                              r"医院|工厂|厂|企业|公司|工业|写字楼|超市|养殖|食堂|个体")
_RESIDENTIAL = re.compile(r"居民|住户|家用|家里|家庭|住宅|住家|自己住|个人|商品房|自建房|农户|自己家")
# "没有管道" means a pipe is needed, although it contains both 没有 and 有管道: checked first.
_PIPE_MISSING = re.compile(r"没有管道|没管道|还没通|没通|没有燃气管|没接")
_PIPE_NOT_NEEDED = re.compile(r"不需要|不用|不要|用不着|没必要|已经有|有管道|楼里有|已通|通了")
_PIPE_NEEDED = re.compile(r"需要|要接|得接|要的|要")


def customer_type_of(text: str) -> str | None:
    """residential for 居民, non_residential for 商铺/饭店/单位/工厂/非居民..."""
    if _NON_RESIDENTIAL.search(text or ""):
        return "non_residential"
    return "residential" if _RESIDENTIAL.search(text or "") else None


def pipeline_needed(text: str, intent: str | None) -> bool | None:
    """需要 → True, 不需要 → False; a bare yes or no answers the question too."""
    text = text or ""
    if _PIPE_MISSING.search(text):
        return True
    if _PIPE_NOT_NEEDED.search(text):
        return False
    if _PIPE_NEEDED.search(text):
        return True
    return {"affirm": True, "deny": False}.get(intent or "")


class ValidateInstallationForm(TicketFormValidation):
    def name(self) -> str:
        return "validate_installation_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        """external_pipeline only for a non-residential gas customer."""
        asks_pipeline = tracker.get_slot("utility") == "燃气" and tracker.get_slot("customer_type") == "non_residential"
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        return [slot for slot in slots if slot != "external_pipeline" or asks_pipeline]

    async def extract_customer_type(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        """我们饭店要开通天然气 says who the customer is: not asked again."""
        if self._activating(tracker):
            kind = customer_type_of(latest_text(tracker))
            return {"customer_type": kind} if kind else {}
        return {}  # when asked, the from_text mapping fills it

    async def validate_customer_type(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        parsed = value if value in ("residential", "non_residential") else customer_type_of(str(value or ""))
        return self._judge("customer_type", parsed, dispatcher, tracker)

    async def validate_external_pipeline(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> dict[str, Any]:
        parsed = value if isinstance(value, bool) else pipeline_needed(str(value or ""), latest_intent(tracker))
        return self._judge("external_pipeline", parsed, dispatcher, tracker)
