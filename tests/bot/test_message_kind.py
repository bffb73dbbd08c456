"""Question, request, both or follow-up from the wording, and the intents the wording corrects."""
from __future__ import annotations

import pytest

from bot.components.message_kind import corrected_intent
from bot.components.message_kind_patterns import Kind, about_utilities, followup_in_context, message_kind


@pytest.mark.parametrize("text, kind", [
    ("燃气费怎么交", Kind.QUESTION),
    ("我上周投诉了 按规定多久给答复", Kind.QUESTION),
    ("燃气坏了报修一般几个小时上门", Kind.QUESTION),
    ("被查出偷电会怎么处罚", Kind.QUESTION),
    ("停电了 帮我报修", Kind.REQUEST),
    ("能帮我报修吗", Kind.REQUEST),
    ("我要投诉", Kind.REQUEST),
    ("燃气表坏了 多久能来修", Kind.BOTH),
    ("家里停电了", Kind.STATEMENT),
    ("燃气表不走了", Kind.STATEMENT),
    ("暖气怎么不热了", Kind.STATEMENT),
    ("我家燃气表不知道什么原因不走了", Kind.STATEMENT),
    ("那农村呢？", Kind.FOLLOWUP),
    ("那电费呢", Kind.FOLLOWUP),
    ("打雷下暴雨要停电的话，你们会提前说一声不", Kind.QUESTION),
    ("那一般几个人来", Kind.FOLLOWUP),
    # follow-ups without 呢: a condition and a question, no business of their own
    ("农村的话多久", Kind.FOLLOWUP),
    ("要是商铺要几天", Kind.FOLLOWUP),
    ("嗯 那个 换成非居民多长时间", Kind.FOLLOWUP),
    ("如果是高压用户的话呢", Kind.FOLLOWUP),
    ("燃气报装的话要带什么材料", Kind.QUESTION),
    ("如果燃气表坏了怎么办", Kind.BOTH),
    # someone else's offer retold is no request of the customer's
    ("邻居说有人能帮我把电表改慢 这样是不是违法", Kind.QUESTION),
    ("营业员讲可以帮忙代办过户，这个收钱吗？", Kind.QUESTION),
    ("师傅说帮我登记了，今天能来吗", Kind.QUESTION),
    ("你说 帮我报个修", Kind.REQUEST),
    # 吗 in the middle, before an alternative
    ("报修以后 当天会来人吗 还是得等明天", Kind.QUESTION),
    # what staff do, described: 客户经理上门帮忙办 is no request of the customer's
    ("报装的时候客户经理上门帮忙办手续，这个另外收服务费吗", Kind.QUESTION),
    ("请师傅帮我看看燃气表", Kind.REQUEST),
    # a rule recalled or expected, asked without 吗 or a question mark (voice)
    ("嗯 那个 供电质量 就是说 是指哪几个方面啊", Kind.QUESTION),
    ("供电服务那个八字方针 是哪几个字来着", Kind.QUESTION),
    ("师傅借了我家梯子 还回来随便一扔 他们不是应该放回原处", Kind.QUESTION),
])
def test_the_kind_of_message(text: str, kind: Kind) -> None:
    assert message_kind(text) is kind


@pytest.mark.parametrize("text, followup", [
    ("农村的话多久", True), ("多久能到", True), ("收费吗", True), ("也一样吗", True), ("那山区呢", True),
    ("嗯 那个 商铺的话呢", True),
    ("那农村呢？离镇上挺远的那种", True), ("那要是过了期限以后还是没有解决呢？", True),
    ("具体都包括哪些项目？", True), ("结果会怎么通知我？", True),
    ("明天会下雨吗", False), ("北京有什么好玩的", False), ("电费怎么交", False), ("燃气费怎么交", False),
    ("如果闻到煤气味怎么办", False), ("你是谁", False),
])
def test_what_only_makes_sense_after_an_answer(text: str, followup: bool) -> None:
    """After an answer, a short question with no business of its own is about that answer."""
    assert followup_in_context(text) is followup


def test_requests_with_nothing_for_a_utility_are_not_about_us() -> None:
    assert not about_utilities("设置一个每天上午8点的闹钟")
    assert not about_utilities("把客厅的灯打开")
    assert about_utilities("幸福小区8栋1单元1201"), "an address answers a form"
    assert about_utilities("13812345678") and about_utilities("不需要")
    assert about_utilities("一三八 一二三四 五六七八"), "a phone number read out answers a form"
    assert about_utilities("个人家里用"), "a customer type answers the installation form"


@pytest.mark.parametrize("text, intent, expected, topic", [
    ("燃气坏了报修一般几个小时上门", "report_fault", "ask_process", "report_fault"),
    ("我上周投诉了 按规定多久给答复", "check_ticket", "ask_process", None),
    ("我的投诉有回复了吗", "check_ticket", "check_ticket", None),
    ("商铺报装天然气要接外线的话多久通气", "apply_installation", "ask_process", "apply_installation"),
    ("停电了 帮我报修", "ask_outage", "report_fault", None),
    ("燃气表坏了 多久能来修", "report_fault", "report_fault", None),
    ("检查完了让我签字 我不签行不行", "request_human", "ask_process", None),
    ("我要转人工", "request_human", "request_human", None),
    ("把声音关掉", "report_emergency", "out_of_scope", None),
    ("厨房燃气管子好像漏了", "report_emergency", "report_emergency", None),
    ("今天会下雨吗", "ask_outage", "out_of_scope", None),
    ("那农村呢？", "nlu_fallback", "ask_process", None),
    ("那山区呢", "affirm", "ask_process", None),
    ("停电了你们接到电话多快派人出来啊", "nlu_fallback", "report_fault", None),
    ("家里没电了 你们师傅大概多久能到", "ask_outage", "report_fault", None),
    ("停电了 什么时候来电啊", "ask_outage", "ask_outage", None),
    ("举报以后一般多长时间会给我答复？", "report_emergency", "ask_process", None),
    ("那大工业用户偷电呢？", "report_emergency", "ask_process", None),   # a follow-up names no danger
    # a story with a status word, ending in a question about the rule
    ("我反映电费的事快一周了还没消息 按规定应该多长时间内给结果", "check_ticket", "ask_process", None),
    ("暴雨来之前电力公司会发停电预警吗", "out_of_scope", "ask_process", None),
    ("我家自己动了电表的线让它走得慢点，这算偷电不", "report_fault", "ask_process", "report_fault"),
])
def test_intents_the_wording_corrects(text: str, intent: str, expected: str, topic: str | None) -> None:
    assert corrected_intent(text, intent, message_kind(text)) == (expected, topic)


@pytest.mark.parametrize("text, intent, expected", [
    ("偷电是不是违法的", "bot_challenge", "ask_process"),
    ("窃点到底指什么", "affirm", "ask_process"),
    ("燃气安检收费吗", "deny", "ask_fee"),
    ("你是机器人吗", "bot_challenge", "bot_challenge"),
    ("好的", "affirm", "affirm"),
    ("我提了个意见 大概多久有人核实", "nlu_fallback", "ask_process"),
    ("上门检查完要我签字 不签可以吗", "nlu_fallback", "ask_process"),
    ("帮我写一首诗好吗", "nlu_fallback", "out_of_scope"),
    ("客服人员说话有什么规范 能不能打断用户", "request_human", "ask_process"),
    ("客服态度太差了 我要找人工", "request_human", "request_human"),
    # none of greet, goodbye or thank asks how long
    ("嗯 我给营业厅提了个建议 然后多久会有人回复", "goodbye", "ask_process"),
    ("谢谢啊 那报修以后一般多久能到", "thank", "ask_process"),
    ("好的谢谢 再见", "goodbye", "goodbye"),
    ("谢谢 那明天会下雨吗", "thank", "thank"),
])
def test_utility_questions_the_classifier_took_for_small_talk_or_doubted_are_questions(
        text: str, intent: str, expected: str) -> None:
    assert corrected_intent(text, intent, message_kind(text))[0] == expected
