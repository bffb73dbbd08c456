"""Which handbook time limit governs a ticket, and when it falls due.

The table names time limits by their id in knowledge/time_limits.yml, so every promise a ticket makes is
one a source states. A ticket for which the handbook promises nothing gets no due time, never a guess.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from gateway.sla import due, due_text
from knowledge.loader import KnowledgeBase, load_knowledge_base
from knowledge.model import TimeLimit

# (ticket type, utility, case) -> time limit id. Case: priority for repairs, customer type for installations.
SLA_TABLE: dict[tuple[str, str, str | None], str] = {
    ("repair", "gas", "normal"): "gas.repair.indoor",
    ("repair", "gas", "urgent"): "gas.repair.indoor",
    ("repair", "gas", "emergency"): "gas.emergency.dispatch",
    ("repair", "electricity", None): "electricity.repair_arrival.urban",
    ("installation", "gas", "residential"): "gas.installation.residential",
    ("installation", "gas", "non_residential_external"): "gas.installation.nonresidential_external",
    ("installation", "gas", "non_residential"): "gas.installation.nonresidential_no_external",
    ("complaint", "gas", None): "gas.complaint.reply",
    ("complaint", "electricity", None): "electricity.complaint_reply.grid",
    ("complaint", "heat", None): "heat.complaint_reply.tianfu",
}


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


def case_of(ticket_type: str, priority: str, customer_type: str | None, external_pipeline: bool | None) -> str | None:
    if ticket_type == "repair":
        return priority
    if ticket_type == "installation":
        if customer_type == "non_residential":
            return "non_residential_external" if external_pipeline else "non_residential"
        return customer_type
    return None


def sla_for(ticket_type: str, utility: str, created_at: datetime, *, priority: str = "normal",
            customer_type: str | None = None, external_pipeline: bool | None = None) -> Sla | None:
    case = case_of(ticket_type, priority, customer_type, external_pipeline)
    limit_id = SLA_TABLE.get((ticket_type, utility, case)) or SLA_TABLE.get((ticket_type, utility, None))
    if limit_id is None:
        return None
    limit = knowledge().time_limits[limit_id]
    deadline = due(created_at, limit.value, limit.unit)
    return Sla(limit, deadline.at, deadline.provisional) if deadline else None
