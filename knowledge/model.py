"""Typed records of the knowledge base, as written in knowledge/*.yml."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Authority(str, Enum):
    OFFICIAL_STANDARD = "official_standard"
    COMPANY_RULE = "company_rule"
    GENERIC_SPEC = "generic_spec"
    RESEARCH = "research"


UTILITY_LABELS = {"gas": "燃气", "electricity": "电力", "heat": "供热"}
UTILITY_BY_LABEL = {label: code for code, label in UTILITY_LABELS.items()}
# Whose promise a source states; "none" for regulations, generic specifications, study notes and research.
COMPANY_LABELS = {"kunlun": "昆仑燃气", "tianfu": "天富热电", "grid": "国家电网", "none": ""}


@dataclass(frozen=True)
class Source:
    id: str
    file: str
    title: str
    publisher: str
    utility: str
    authority: Authority
    cite_as: str
    company: str = "none"

    @property
    def company_label(self) -> str:
        """The company's name for a customer; empty when no company promises the document."""
        return COMPANY_LABELS.get(self.company, "")


@dataclass(frozen=True)
class TimeLimit:
    id: str
    service: str
    utility: str
    value: float
    unit: str
    clock_starts: str
    description: str
    source: Source
    clause: str
    commitment: bool
    company: str = ""
    applies_to: str = ""


@dataclass(frozen=True)
class Entry:
    id: str
    utility: str
    intent: str
    title: str
    answer: str
    examples: tuple[str, ...]
    source: Source
    clause: str
    business: str | None = None
    time_limits: tuple[TimeLimit, ...] = field(default=())

    @property
    def utility_label(self) -> str | None:
        return UTILITY_LABELS.get(self.utility)

    @property
    def company(self) -> str:
        """kunlun, tianfu, grid or none: the company whose document the answer comes from."""
        return self.source.company

    @property
    def company_label(self) -> str:
        return self.source.company_label

    @property
    def citation(self) -> str:
        """Short source line shown under every answer."""
        if self.source.authority is Authority.GENERIC_SPEC:
            return f"参考{self.source.cite_as}{self.clause}（行业通用规范，以当地公司规定为准）"
        return f"依据{self.source.cite_as}{self.clause}"
