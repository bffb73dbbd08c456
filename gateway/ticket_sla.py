"""Which handbook time limit governs a ticket, and when it falls due.

The table names time limits by their id in knowledge/time_limits.yml, so every promise a ticket makes is
one a source states. A ticket for which the handbook promises nothing gets no due time, never a guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from gateway.sla import due, due_text
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
    ("repair", "electricity", "tianfu", None): None,      # no arrival time in Tianfu's rules
    ("installation", "gas", "kunlun", "residential"): "gas.installation.residential",
    ("installation", "gas", "kunlun", "non_residential_external"): "gas.installation.nonresidential_external",
    ("installation", "gas", "kunlun", "non_residential"): "gas.installation.nonresidential_no_external",
    ("complaint", "gas", "kunlun", None): "gas.complaint.reply",
    ("complaint", "electricity", "grid", None): "electricity.complaint_reply.grid",
    ("complaint", "electricity", "tianfu", None): "electricity.complaint_reply.tianfu",
    ("complaint", "heat", "tianfu", None): "heat.complaint_reply.tianfu",
    # 举报 (reporting theft or a staff member's misconduct) is a complaint with its own, longer limit.
    ("complaint", "electricity", "grid", "report"): "electricity.report_reply.grid",
    ("complaint", "electricity", "tianfu", "report"): "electricity.report_reply.tianfu",
    ("complaint", "heat", "tianfu", "report"): "heat.report_reply.tianfu",
    ("complaint", "gas", "kunlun", "report"): None,     # Kunlun's handbook gives no limit for 举报
}
# An unbound conversation gets the limits of the company whose document states them for that utility.
DOCUMENT_OWNER = {"gas": "kunlun", "electricity": "grid", "heat": "tianfu"}
_REPORT = re.compile(r"举报|检举|揭发")
# An address in the countryside (村, 乡, 屯, 组, 队): the 95598 standard's rural arrival time, not the town's.
_RURAL = re.compile(r"村|乡|屯|[^小]组|队")


@dataclass(frozen=True)
class Sla:
    limit: TimeLimit
    due_at: datetime
    provisional: bool

    def as_dict(self) -> dict:
        return {"limit_id": self.limit.id, "value": self.limit.value, "unit": self.limit.unit,
                "clock_starts": self.limit.clock_starts, "provisional": self.provisional,
                "citation": f"依据{self.limit.source.cite_as}{self.limit.clause}"}

    @property
    def text(self) -> str:
        if self.limit.value == 0:
            return "接报后立即出发"
        suffix = "（节假日安排未公布，日期以工作人员确认为准）" if self.provisional else ""
        return due_text(self.due_at) + suffix


@lru_cache(maxsize=1)
def knowledge() -> KnowledgeBase:
    return load_knowledge_base()


def case_of(ticket_type: str, utility: str, priority: str, customer_type: str | None, external_pipeline: bool | None,
            address: str | None = None, description: str | None = None) -> str | None:
    if ticket_type == "complaint":
        return "report" if _REPORT.search(description or "") else None
    if ticket_type == "repair" and utility == "electricity":
        return "rural" if _RURAL.search(address or "") else "urban"
    if ticket_type == "repair":
        return priority
    if ticket_type == "installation":
        if customer_type == "non_residential":
            return "non_residential_external" if external_pipeline else "non_residential"
        return customer_type
    return None


def limit_id_for(ticket_type: str, utility: str, company: str | None, case: str | None) -> str | None:
    """The time limit id for this ticket, or None when the customer's company states none for it (a company that
    does not serve the utility states none either)."""
    company = company or DOCUMENT_OWNER.get(utility)
    for key in ((ticket_type, utility, company, case), (ticket_type, utility, company, None)):
        if key in SLA_TABLE:
            return SLA_TABLE[key]
    return None


def sla_for(ticket_type: str, utility: str, created_at: datetime, *, priority: str = "normal",
            customer_type: str | None = None, external_pipeline: bool | None = None, company: str | None = None,
            address: str | None = None, description: str | None = None) -> Sla | None:
    case = case_of(ticket_type, utility, priority, customer_type, external_pipeline, address, description)
    limit_id = limit_id_for(ticket_type, utility, company, case)
    if limit_id is None:
        return None
    limit = knowledge().time_limits[limit_id]
    deadline = due(created_at, limit.value, limit.unit)
    return Sla(limit, deadline.at, deadline.provisional) if deadline else None
