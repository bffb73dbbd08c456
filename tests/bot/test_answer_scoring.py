"""The scorer of the independent evaluation: numerals, facts, citations of the right document, invented figures."""
from __future__ import annotations

from scripts.answer_scoring import contains, invented_figures, normalise, score

GAS = {"doc": "000", "must": [["24小时", "二十四小时"]], "wrong": [["48小时"]]}
CITED = "（依据《天然气客户标准化服务指导手册》第12条）"


def test_numerals_are_normalised_on_both_sides() -> None:
    assert normalise("四十八小时内") == "48小时内" and normalise("两名工作人员") == "2名工作人员"
    assert contains("一般二十四个小时内上门", "24个小时")
    assert normalise("一般") == "一般"


def test_a_short_number_never_matches_inside_a_longer_one() -> None:
    assert not contains("15日内答复", "5日") and contains("5日内答复", "5日")


def test_right_needs_every_fact_the_right_citation_and_no_wrong_fact() -> None:
    assert score(GAS, "燃气报修24小时内上门。" + CITED).right
    assert not score(GAS, "燃气报修24小时内上门。").right, "no citation"
    assert not score(GAS, "燃气报修24小时内上门。（依据《95598客户服务业务管理标准》）").right, "another document"
    assert score(GAS, "上门时间以工单为准。" + CITED).missing == ["24小时"]
    assert score(GAS, "24小时内上门，投诉48小时内答复。" + CITED).wrong == ["48小时"]


def test_a_two_document_question_needs_both_citations() -> None:
    both = {"doc": ["000", "001"], "must": [["48小时"], ["5个工作日"]], "wrong": []}
    reply = "燃气：48小时内答复（依据《天然气客户标准化服务指导手册》第16条）；电：5个工作日（依据《天富热电客户服务规范》第六章）"
    assert score(both, reply).right
    assert not score(both, reply.split("；")[0] + "；电：5个工作日").right


def test_an_unanswerable_question_is_right_without_invented_figures_and_with_the_official_place() -> None:
    price = {"doc": "000", "must": [], "wrong": [["960873"]]}
    assert score(price, "气价由当地物价部门核定，请以营业厅公示或服务热线答复为准。").right
    assert not score(price, "气价是每立方米3.2元，详情咨询营业厅。").right
    assert invented_figures("每立方米3.2元") == ["3.2元"]
    assert not score(price, "抱歉，我不知道。").right, "says nothing about where to ask"
    assert not score(price, "请向卡号960873开头的银行卡转账，可以咨询营业厅").right


def test_a_question_no_document_may_answer_needs_its_words_but_no_citation() -> None:
    """The tuning set's writer lists what an unanswerable reply must say (没有, 不是正式规定…); no citation is possible."""
    unanswerable = {"doc": "002", "kind": "unanswerable", "must": [["没有", "无法"]], "wrong": [["9:00"]]}
    assert score(unanswerable, "我这里没有营业时间，请拨打95598查询。").right
    assert not score(unanswerable, "请拨打95598查询。").right, "says nothing of not knowing"
    assert not score(unanswerable, "没有公布，一般9:00开门，请拨打95598查询。").right, "a wrong fact"
    assert not score(unanswerable, "我这里没有，一般17小时。请拨打95598查询。").right, "an invented figure"
    paper = {"doc": "004", "kind": "plain", "must": [["不是正式", "没有"]], "wrong": []}
    assert score(paper, "这是研究论文的建议，不是正式规定，以当地营业厅答复为准。").right
    assert not score({**paper, "doc": "003"}, "不是正式规定，请问营业厅。").right, "a document that answers: cited"


def test_the_sources_abbreviations_are_not_taken_for_invented_figures() -> None:
    assert invented_figures("按标准应在12秒内接听，高压指1千伏及以上，低压0.4千伏，315千伏安") == []
