"""Every answer belongs to the company whose document it comes from, or to none: a regulation, a generic
specification and study notes promise nothing, so their answers are general practice, never a commitment."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge import load_knowledge_base
from knowledge.loader import KnowledgeError
from knowledge.model import COMPANY_LABELS, Authority

KB = load_knowledge_base()
GENERAL_PRACTICE = "一般做法，以当地公司规定为准"
EXPECTED_COMPANIES = {
    "kunlun_gas_handbook": "kunlun", "urban_gas_regulation": "none", "tianfu_service_rules": "tianfu",
    "power_service_spec_generic": "none", "grid_95598_standard": "grid", "grid_service_conduct_norm": "grid",
    "power_facility_regulation": "none", "power_service_essays": "none", "huashang_one_stop_research": "none",
}


def test_every_source_names_its_company() -> None:
    assert {source.id: source.company for source in KB.sources.values()} == EXPECTED_COMPANIES
    assert KB.sources["kunlun_gas_handbook"].company_label == "昆仑燃气"
    assert KB.sources["power_service_essays"].company_label == ""


@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_an_entry_belongs_to_the_company_of_its_source(entry) -> None:
    assert entry.company == entry.source.company
    assert entry.company in COMPANY_LABELS
    if entry.company == "tianfu":
        assert "天富" in entry.answer, "a company rule names its company: it binds no other company"


def test_entries_of_each_document_carry_its_company() -> None:
    assert KB.by_id["gas.repair.indoor"].company == "kunlun"
    assert KB.by_id["gas.theft.tianfu"].company == "tianfu"
    assert KB.by_id["electricity.repair.arrival"].company == "grid"
    assert KB.by_id["electricity.tariff.general"].company == "none"
    assert KB.by_id["electricity.open_account.general"].company == "none"
    assert KB.by_id["gas.construction.protection"].company == "none"


@pytest.mark.parametrize("entry", [e for e in KB.entries if e.source.authority is Authority.GENERIC_SPEC],
                         ids=lambda e: e.id)
def test_generic_answers_are_labelled_general_practice(entry) -> None:
    assert entry.company == "none"
    assert GENERAL_PRACTICE in entry.answer
    assert not entry.time_limits, "a generic text promises no time limit"
    assert "行业通用规范，以当地公司规定为准" in entry.citation


def test_a_source_without_a_known_company_is_refused(tmp_path: Path) -> None:
    (tmp_path / "entries").mkdir()
    (tmp_path / "sources.yml").write_text(yaml.safe_dump({"sources": [{
        "id": "s", "file": "000.txt", "title": "t", "authority": "official_standard", "cite_as": "《t》",
        "company": "somebody"}]}))
    (tmp_path / "time_limits.yml").write_text("time_limits: []\n")
    with pytest.raises(KnowledgeError, match="company"):
        load_knowledge_base(tmp_path)
