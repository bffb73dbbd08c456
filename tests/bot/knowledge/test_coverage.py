"""The coverage map (knowledge/coverage.yml) accounts for every customer-relevant unit of the source documents:
each unit names the entries that answer it, or a reason from a closed list. The expected units are derived from
the documents themselves (indicator numbers, 营业厅 processes, 章/条/项 of the Tianfu rules, sections of the
generic specification) or, for the free-form 003 collection, listed here with the heading each must match."""
from __future__ import annotations

import re

import cn2an
import pytest
import yaml

from knowledge import load_knowledge_base
from knowledge.loader import KNOWLEDGE_DIR

SOURCES_DIR = KNOWLEDGE_DIR / "source_documents"
KB = load_knowledge_base()
UNITS = yaml.safe_load((KNOWLEDGE_DIR / "coverage.yml").read_text(encoding="utf-8"))["units"]
BY_ID = {unit["unit"]: unit for unit in UNITS}
REASONS = {"internal_staff_procedure", "management_plan_or_report", "marketing", "duplicate_of",
           "no_customer_question", "research_not_a_commitment", "missing_from_source"}

# 003 has no numbering to derive units from: each 95598 管理标准 line and each 知识要点 of the study notes,
# with a heading that must occur in the document (so the list cannot drift from the text).
UNITS_003 = {
    "故障报修管理标准的质量考核": ["003.std.fault.answer", "003.std.fault.ticket", "003.std.fault.arrival"],
    "查询、咨询管理标准的业务内容": ["003.std.query.scope"],
    "查询、咨询管理标准的工作单": ["003.std.query.ticket"],
    "业务受理管理标准的工作单": ["003.std.business.ticket"],
    "投诉、举报管理标准的质量考核": ["003.std.complaint.answer", "003.std.complaint.ticket"],
    "投诉电话应在5日内,举报电话应在10日内予以答复": ["003.std.conduct.reply"],
    "服务的特征:": ["003.note.service_features"],
    "根据客户与服务体系的接触程度": ["003.note.contact_levels"],
    "企业理念:": ["003.note.enterprise_philosophy"],
    "服务质量的定义": ["003.note.service_quality"],
    "电力客户服务的定义": ["003.note.power_service_definition"],
    "电力客户服务的特征(简答)": ["003.note.power_service_features"],
    "服务主体:": ["003.note.subject"],
    "服务客体:": ["003.note.object"],
    "服务内容:根据供电企业": ["003.note.content"],
    "有偿服务和无偿服务": ["003.note.paid_free"],
    "传统观念与新观念的比较": ["003.note.old_new_concepts"],
    "现代电力客户服务理念": ["003.note.modern_concept"],
    "电力营销管理信息系统": ["003.note.marketing_system"],
    "供电服务人员文明服务规范:": ["003.note.conduct_norm"],
    "客户导向的业务流程": ["003.note.customer_process"],
    "企业文化的作用": ["003.note.corporate_culture"],
    "国家电网公司基本价值观": ["003.note.sgcc_values"],
    "供电优质服务的服务技巧": ["003.note.service_skills"],
    "供电服务的目标": ["003.note.service_goal"],
    "满意度调查的调查方式": ["003.note.satisfaction_survey"],
    "供电方式可分为": ["003.note.supply_mode"],
    "停电类别": ["003.note.outage_types"],
    "供电质量是指": ["003.note.supply_quality"],
    "新申请用电者": ["003.note.new_applicants"],
    "窃电是指": ["003.note.theft"],
    "《电力设施保护条例》第三条": ["003.note.facility_regulation"],
    "单一制电价": ["003.note.single_rate_tariff"],
    "供用电合同的内容": ["003.note.contract"],
    "收费方式:": ["003.note.collection_methods"],
    "电力客户服务管理制度范本": ["003.doc.management_system_template"],
    "存在的不足与营销服务策略探讨": ["003.doc.shortcomings_essays"],
    "用电客户服务方案": ["003.doc.service_plan"],
    "供电客户服务管理制度": ["003.doc.supply_service_system"],
    "电力系统客户服务制度": ["003.doc.power_system_service_system"],
    "供电公司客户服务中心": ["003.doc.service_center"],
    "电力客户服务年度工作计划": ["003.doc.annual_plans"],
    "电力客户服务岗位专业基础知识": ["003.doc.basic_knowledge"],
    "电力客户服务与需求管理": ["003.doc.demand_management"],
    "电力公司客户服务管理": ["003.doc.service_management_thesis"],
    "年终总结范文": ["003.doc.year_end_reports"],
}


def _text(prefix: str) -> str:
    return next(SOURCES_DIR.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def _number(numeral: str) -> int:
    return int(cn2an.cn2an(numeral, "smart"))


def units_000() -> list[str]:
    text = _text("000")
    total = int(re.search(r"五个方面\s*(\d+)\s*条", text).group(1))
    units = [f"000.ind.{n:02d}" for n in range(1, total + 1)]
    processes = re.search(r"营业厅服务包括(.+?)。", text).group(1)
    units += [f"000.hall.{name.removesuffix('流程')}" for name in processes.split("、")]
    return units + ["000.install.process", "000.regulation.art37"]


def units_001() -> list[str]:
    """Every 项 (or 条 without items) of every 章 as printed; chapter 6 groups its items under (一)(二)(三)."""
    found: dict[tuple, list] = {}
    chapter = article = section = None
    for line in _text("001").splitlines():
        line = line.strip()
        if m := re.match(r"第(.)章", line):
            chapter, article, section = _number(m.group(1)), None, None
        elif chapter and (m := re.match(r"第(.{1,3}?)条", line)):
            article, section = _number(m.group(1)), None
            found.setdefault((chapter, article), [])
        elif article and (m := re.match(r"\(\s*([一二三四五])\s*\)", line)):
            section = _number(m.group(1))
            found[(chapter, article)].append((section, None))
        elif article and (m := re.match(r"(\d)[、.]", line)):
            found[(chapter, article)].append((section, int(m.group(1))))
    units = []
    for (chapter, article), parts in found.items():
        base = f"001.ch{chapter}.art{article}"
        sections = {s for s, _ in parts if s is not None}
        for section in sections:
            items = [i for s, i in parts if s == section and i is not None]
            units += [f"{base}.{section}.{i}" for i in items] or [f"{base}.{section}"]
        items = [i for s, i in parts if s is None and i is not None]
        units += [f"{base}.{i}" for i in items]
        if not parts:
            units.append(base)
    return units


def units_002() -> list[str]:
    """The first copy of sections 一 to 五 (the second copy of 一 repeats it), subsection by item."""
    text = _text("002")
    body = text[text.index("一、电力系统用户服务规范概述"):text.index("**一、")]
    units, section, subsection = [], None, None
    for line in body.splitlines():
        line = line.strip()
        if m := re.match(r"([一二三四五])、", line):
            section, subsection = _number(m.group(1)), None
        elif m := re.match(r"\(([一二三])\)", line):
            subsection = _number(m.group(1))
        elif subsection and (m := re.match(r"(\d)\.", line)):
            units.append(f"002.{section}.{subsection}.{m.group(1)}")
    return units


def units_003() -> list[str]:
    return [unit for ids in UNITS_003.values() for unit in ids]


def _covered(required: str) -> bool:
    """A unit is present itself, through a coarser unit for its whole part, or inside a range such as 1-5."""
    if required in BY_ID:
        return True
    parts = required.split(".")
    for depth in range(3, len(parts)):
        if ".".join(parts[:depth]) in BY_ID:
            return True
    head, last = ".".join(parts[:-1]), parts[-1]
    for unit in BY_ID:
        if unit.startswith(head + ".") and (m := re.fullmatch(r"(\d+)-(\d+)", unit[len(head) + 1:])):
            if last.isdigit() and int(m.group(1)) <= int(last) <= int(m.group(2)):
                return True
    return False


def test_the_documents_yield_the_expected_units() -> None:
    assert len(units_000()) == 16 + 14 + 2
    assert "001.ch2.art7.5" in units_001() and "001.ch6.art6.8" in units_001() and "001.ch1.art3" in units_001()
    assert "002.4.2.2" in units_002() and "002.5.2.3" in units_002()
    text_003 = _text("003")
    for heading in UNITS_003:
        assert heading in text_003, heading


@pytest.mark.parametrize("required", units_000() + units_001() + units_002() + units_003() + ["004.paper"])
def test_every_unit_of_the_documents_is_in_the_map(required: str) -> None:
    assert _covered(required), f"{required} is missing from knowledge/coverage.yml"


def test_unit_ids_are_unique() -> None:
    ids = [unit["unit"] for unit in UNITS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u["unit"])
def test_each_unit_has_entries_or_a_valid_reason(unit: dict) -> None:
    entries, reason = unit.get("entries") or [], unit.get("reason")
    assert bool(entries) != bool(reason), "a unit names entries or gives a reason, not both, not neither"
    unknown = [i for i in entries if i not in KB.by_id]
    assert not unknown, f"unknown entries {unknown}"
    if reason:
        assert reason in REASONS, f"{reason} is not in the closed list"
    if reason == "duplicate_of":
        assert unit.get("duplicate_of") in BY_ID and unit["duplicate_of"] != unit["unit"]
    else:
        assert "duplicate_of" not in unit


def test_every_entry_answers_some_unit() -> None:
    named = {i for unit in UNITS for i in unit.get("entries") or []}
    assert not set(KB.by_id) - named, f"entries missing from the map: {sorted(set(KB.by_id) - named)}"
