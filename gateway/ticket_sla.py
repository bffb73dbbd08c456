"""Which handbook time limit governs a ticket, and when it falls due.

The table names time limits by their id in knowledge/time_limits.yml, so every promise a ticket makes is
one a source states. A ticket for which the handbook promises nothing gets no due time, never a guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from core.areas import is_rural_address
from gateway.clock import CHINA
from gateway.sla import due, due_text
from knowledge.companies import companies
from knowledge.loader import KnowledgeBase, load_knowledge_base
from knowledge.model import TimeLimit

# (ticket type, utility, company, case) -> time limit id; None: the company publishes no limit for it. Case:
# priority for gas repairs, area for electricity repairs, customer type for installations, "report" for a 举报.
SLA_TABLE: dict[tuple[str, str, str, str | None], str | None] = {
    ("repair", "gas", "kunlun", "normal"): "gas.repair.indoor",
    ("repair", "gas", "kunlun", "urgent"): "gas.repair.indoor",
    ("repair", "gas", "kunlun", "emergency"): "gas.emergency.dispatch",
    ("repair", "gas", "tianfu", None): None,              # Tianfu's rules give no repair time
    ("repair", "electricity", "grid", "urban"): "electricity.repair_arrival.urban",
    ("repair", "electricity", "grid", "rural"): "electricity.repair_arrival.rural",
    ("repair", "electricity", "grid", "remote"): "electricity.repair_arrival.remote",
    ("repair", "electricity", "grid", None): None,        # area not known: the arrival time depends on it
    ("repair", "electricity", "tianfu", None): None,      # no arrival time in Tianfu's rules
    ("installation", "gas", "kunlun", "residential"): "gas.installation.residential",
    ("installation", "gas", "kunlun", "non_residential_external"): "gas.installation.nonresidential_external",
    ("installation", "gas", "kunlun", "non_residential"): "gas.installation.nonresidential_no_external",
    ("complaint", "gas", "kunlun", None): "gas.complaint.reply",
    ("complaint", "gas", "tianfu", None): "gas.complaint_reply.tianfu",
    ("complaint", "electricity", "grid", None): "electricity.complaint_reply.grid",
    ("complaint", "electricity", "tianfu", None): "electricity.complaint_reply.tianfu",
    ("complaint", "heat", "tianfu", None): "heat.complaint_reply.tianfu",
    # 举报 (reporting theft or a staff member's misconduct) is a complaint with its own, longer limit.
    ("complaint", "electricity", "grid", "report"): "electricity.report_reply.grid",
    ("complaint", "electricity", "tianfu", "report"): "electricity.report_reply.tianfu",
    ("complaint", "heat", "tianfu", "report"): "heat.report_reply.tianfu",
    ("complaint", "gas", "kunlun", "report"): None,     # Kunlun's handbook gives no limit for 举报
    ("complaint", "gas", "tianfu", "report"): "gas.report_reply.tianfu",
}
AREAS = ("urban", "rural", "remote")
_REPORT = re.compile(r"举报|检举|揭发")


@dataclass(frozen=True)
class Sla:
    limit: TimeLimit
    due_at: datetime | None          # None: the clock has not started (an installation awaiting its conditions)
    provisional: bool

    def as_dict(self) -> dict:
        return {"limit_id": self.limit.id, "value": self.limit.value, "unit": self.limit.unit,
                "clock_starts": self.limit.clock_starts, "provisional": self.provisional,
                "citation": f"依据{self.limit.source.cite_as}{self.limit.clause}"}

    @property
    def text(self) -> str:
        if self.limit.value == 0:
            return "接报后立即出发"
        if self.due_at is None:
            return (f"从资料、资金、工程材料齐备（具备施工条件）之日起{self.limit.value:g}个工作日内完成；"
                    "条件齐备后工作人员会确认日期，届时可以查到具体完成时限")
        suffix = "（节假日安排未公布，日期以工作人员确认为准）" if self.provisional else ""
        return due_text(self.due_at) + suffix


def waits_for_conditions(limit: TimeLimit) -> bool:
    """Installation limits run from the day documents, payment and materials are complete, not from the request."""
    return "具备施工条件" in limit.clock_starts


@lru_cache(maxsize=1)
def knowledge() -> KnowledgeBase:
    return load_knowledge_base()


def area_of(area: str | None, address: str | None) -> str | None:
    """The area the customer gave, or the countryside when the address names a village; None: not known."""
    if area in AREAS:
        return area
    return "rural" if is_rural_address(address) else None


def case_of(ticket_type: str, utility: str, priority: str, customer_type: str | None, external_pipeline: bool | None,
            address: str | None = None, description: str | None = None, area: str | None = None) -> str | None:
    if ticket_type == "complaint":
        return "report" if _REPORT.search(description or "") else None
    if ticket_type == "repair" and utility == "electricity":
        return area_of(area, address)
    if ticket_type == "repair":
        return priority
    if ticket_type == "installation":
        if customer_type == "non_residential":
            return "non_residential_external" if external_pipeline else "non_residential"
        return customer_type
    return None


def serving(utility: str) -> list[str]:
    """The companies whose documents cover this utility."""
    return [c.id for c in companies().values() if utility in c.utilities]


def ticket_company(utility: str, company: str | None) -> str | None:
    """Whose promise a ticket carries: the conversation's company, or the only company serving the utility.
    Unknown among several (the customer did not know): None, and the ticket promises no time of anyone's."""
    if company is not None:
        return company
    candidates = serving(utility)
    return candidates[0] if len(candidates) == 1 else None


def limit_id_for(ticket_type: str, utility: str, company: str | None, case: str | None) -> str | None:
    """The time limit id for this ticket, or None when the customer's company states none for it (a company that
    does not serve the utility states none either, nor does an unknown company)."""
    company = ticket_company(utility, company)
    if company is None:
        return None
    for key in ((ticket_type, utility, company, case), (ticket_type, utility, company, None)):
        if key in SLA_TABLE:
            return SLA_TABLE[key]
    return None


def sla_for(ticket_type: str, utility: str, created_at: datetime, *, priority: str = "normal",
            customer_type: str | None = None, external_pipeline: bool | None = None, company: str | None = None,
            address: str | None = None, description: str | None = None, area: str | None = None,
            conditions_met_on: date | None = None) -> Sla | None:
    case = case_of(ticket_type, utility, priority, customer_type, external_pipeline, address, description, area)
    limit_id = limit_id_for(ticket_type, utility, company, case)
    if limit_id is None:
        return None
    limit = knowledge().time_limits[limit_id]
    start = created_at
    if waits_for_conditions(limit):
        if conditions_met_on is None:
            return Sla(limit, None, False)
        start = datetime.combine(conditions_met_on, time(0, 0), tzinfo=CHINA)
    deadline = due(start, limit.value, limit.unit)
    return Sla(limit, deadline.at, deadline.provisional) if deadline else None
