"""Everyday wording read with the handbook's words beside it (knowledge/colloquial.py)."""
from __future__ import annotations

import pytest

from knowledge import load_knowledge_base
from knowledge.colloquial import with_handbook_words
from knowledge.search import KnowledgeSearch


@pytest.mark.parametrize("said, handbook", [
    ("投诉完了多久能给个准话", "答复"),
    ("修电的多会儿能到", "抢修人员"),
    ("俺们村停电了", "农村"),
    ("礼拜天营业厅开门不", "周日"),
    ("燃气管子想挪个地方", "迁移"),
    ("偷电被逮着了会咋样", "查获"),
    ("投诉以后多久有回应", "响应"),
    ("营业厅让我找这个找那个 推来推去的", "首问负责制"),
])
def test_everyday_phrases_get_the_handbook_words_beside_them(said: str, handbook: str) -> None:
    read = with_handbook_words(said)
    assert read.startswith(said) and handbook in read


def test_a_question_in_the_handbook_words_is_left_alone() -> None:
    assert with_handbook_words("燃气投诉多久答复") == "燃气投诉多久答复"


def test_a_village_repair_question_in_everyday_words_finds_the_arrival_times() -> None:
    search = KnowledgeSearch(load_knowledge_base(), semantic=False)
    assert search.rank("修电的多会儿能到 俺们村的", limit=1)[0].entry.id == "electricity.repair.arrival"


@pytest.mark.parametrize(("said", "handbook"), [("天富上门查用热之前会约时间吗", "用热检查"),
                                                ("查用电的人上门要带证件吗", "用电检查"),
                                                ("来查偷气的人能不让进吗", "用气检查")])
def test_checking_someones_use_reads_as_the_handbooks_inspection(said: str, handbook: str) -> None:
    assert handbook in with_handbook_words(said)


def test_checking_a_meter_or_a_pipe_is_not_an_inspection_of_use() -> None:
    assert with_handbook_words("供电公司多久检查一次电表") == "供电公司多久检查一次电表"
    assert with_handbook_words("上门检查燃气管道收费吗") == "上门检查燃气管道收费吗"
