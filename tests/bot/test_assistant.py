"""End to end: the trained model, the action server and Rasa on a real Redis, spoken to over Rasa's REST
channel. These assert what the customer receives."""
from __future__ import annotations

import pytest
import redis

pytestmark = pytest.mark.stack


KUNLUN = {"company": "kunlun"}   # bound by the channel (the first message's metadata), as the gateway does
GRID = {"company": "grid"}


def replies(assistant, conversation: str, text: str, metadata: dict | None = None) -> list[str]:
    return [m.get("text", "") for m in assistant.say(conversation, text, metadata)]


def test_a_payment_question_is_answered_from_the_handbook_with_its_source(assistant, conversation) -> None:
    answer = "\n".join(replies(assistant, conversation, "燃气费在哪交"))
    assert "营业厅" in answer
    assert "依据《天然气客户标准化服务指导手册》" in answer
    assert "个人账户" in answer


def test_a_gas_leak_in_the_middle_of_another_topic_gets_safety_instructions_first(assistant, conversation) -> None:
    replies(assistant, conversation, "过户需要带什么材料")
    first, *rest = replies(assistant, conversation, "等一下 厨房里好像有煤气味")
    assert first.startswith("燃气泄漏很危险")
    assert "不要开关电灯" in first and "打开门窗" in first
    assert any("人工客服" in r for r in rest)


def test_an_emergency_during_a_choice_still_comes_first(assistant, conversation) -> None:
    question = assistant.say(conversation, "投诉以后多长时间给回复")
    assert question[0].get("buttons"), "the answer offers to register a complaint"
    first = replies(assistant, conversation, "电线掉下来了还在冒火花")[0]
    assert "远离掉落或冒火花的电线" in first


def test_a_rule_that_differs_by_utility_is_given_for_each_labelled(assistant, conversation) -> None:
    answer = "\n".join(replies(assistant, conversation, "投诉以后多长时间给回复"))
    assert "【燃气" in answer and "48小时" in answer and "【电力" in answer
    assert answer.count("依据《") + answer.count("参考《") >= 2, "each part cites its own source"


def test_a_follow_up_is_answered_in_the_context_of_the_previous_answer(assistant, conversation) -> None:
    replies(assistant, conversation, "农村停电报修多久能到")
    assert "120分钟" in "\n".join(replies(assistant, conversation, "那山区呢"))


def test_follow_ups_without_ne_are_answered_in_the_context_of_the_previous_answer(assistant, conversation) -> None:
    """农村的话多久, 要是山区多长时间: no 呢, no utility word; after an answer, they are about it."""
    replies(assistant, conversation, "城里停电报修抢修多久能到")
    assert "85分钟" in "\n".join(replies(assistant, conversation, "农村的话多久"))
    assert "120分钟" in "\n".join(replies(assistant, conversation, "要是山区多长时间"))


def test_a_question_naming_two_companies_gets_each_ones_rule(assistant, conversation) -> None:
    answer = "\n".join(replies(assistant, conversation, "天富热电的投诉多久答复？国家电网那边投诉又是几天答复？"))
    assert "天富热电】" in answer and "5个工作日" in answer and "【电力·国家电网】" in answer and "5日内" in answer


def test_unrelated_requests_are_declined_politely(assistant, conversation) -> None:
    for text in ("明天北京天气怎么样", "帮我订一张去上海的火车票", "放首周杰伦的歌"):
        assert replies(assistant, conversation, text) == [
            "抱歉，这个问题不在我的服务范围。我能帮您办理燃气、电力、供热的缴费咨询、报修、报装、投诉和业务办理。"], text


def test_a_request_for_a_human_is_acknowledged(assistant, conversation) -> None:
    assert "正在为您转接人工客服" in replies(assistant, conversation, "转人工")[0]


def test_conversations_are_kept_in_redis_and_apart(assistant, conversation) -> None:
    other = conversation + "-other"
    replies(assistant, conversation, "燃气投诉以后多长时间给回复")
    # The other customer has asked nothing: their follow-up must not be read with this customer's question.
    assert not any("48小时" in r for r in replies(assistant, other, "那要是超时了呢"))
    assert any("5个工作日" in r for r in replies(assistant, conversation, "那要是超时了呢"))
    store = redis.Redis.from_url(assistant.redis_url)
    assert store.exists(f"assistant:tracker:{conversation}")
    assert store.exists(f"assistant:tracker:{other}")


def test_a_fault_report_becomes_a_ticket_after_the_readback(assistant, conversation) -> None:
    assert "地址" in replies(assistant, conversation, "我家暖气一点都不热")[0]
    assert "电话" in replies(assistant, conversation, "幸福小区8栋1单元1201")[0]
    assert "户号" in replies(assistant, conversation, "一三八 一二三四 五六七八")[0]
    readback = replies(assistant, conversation, "没有")[0]
    assert "138****5678" in readback and "13812345678" not in readback and "幸福小区8栋1单元1201" in readback
    announcement = "\n".join(replies(assistant, conversation, "对的"))
    [ticket] = [t for t in assistant.gateway.tickets.values() if t["body"]["conversation_id"] == conversation]
    assert ticket["body"]["utility"] == "heat" and ticket["body"]["contact_phone"] == "13812345678"
    assert ticket["ticket_no"] in announcement and "维修人员" in announcement


def test_a_gas_leak_in_the_middle_of_the_repair_form_comes_first_and_ends_the_form(assistant, conversation) -> None:
    assert "燃气、电力还是供热" in replies(assistant, conversation, "我要报修")[0]
    first, *rest = replies(assistant, conversation, "等等 厨房里好像有煤气味")
    assert first.startswith("燃气泄漏很危险")
    assert any("紧急抢修工单" in r for r in rest)
    assert replies(assistant, conversation, "好的谢谢") == ["不客气，能帮到您就好。还有别的问题吗？"]


# ---- Question or request (the wording decides) --------------------------------------------------------------

def test_a_question_that_names_a_repair_is_answered_and_the_form_offered(assistant, conversation) -> None:
    [answer] = assistant.say(conversation, "燃气坏了报修一般几个小时上门")
    assert "24小时" in answer["text"] and "依据《天然气客户标准化服务指导手册》" in answer["text"]
    assert answer["buttons"] == [{"title": "登记报修", "payload": "/report_fault"}]
    assert "地址" not in answer["text"], "a question starts no form"


def test_a_question_about_a_complaint_already_made_gets_the_rule_not_a_lookup(assistant, conversation) -> None:
    answer = "\n".join(replies(assistant, conversation, "我上周投诉了 按规定多久给答复"))
    assert "没有查到" not in answer and "工单号" not in answer
    assert "48小时" in answer or "5日" in answer or "5个工作日" in answer


def test_a_request_starts_its_form(assistant, conversation) -> None:
    asked = "\n".join(replies(assistant, conversation, "停电了 帮我报修", GRID))
    assert "遇到了什么问题" in asked or "地址" in asked, asked
    assert "依据《" not in asked, "a request gets the form, not an answer"


def test_a_fault_with_a_question_gets_the_time_limit_then_the_form(assistant, conversation) -> None:
    said = replies(assistant, conversation, "燃气表坏了 多久能来修", KUNLUN)
    assert "24小时" in said[0] and "依据《" in said[0]
    assert "地址" in said[-1]


def test_a_question_inside_a_form_is_answered_and_the_form_asks_again(assistant, conversation) -> None:
    assert "地址" in replies(assistant, conversation, "我家燃气表不走字了", KUNLUN)[-1]
    said = replies(assistant, conversation, "你们一般多久能上门？")
    assert any("24小时" in r for r in said), said
    assert "地址" in said[-1], "the same question of the form again"
    assert "电话" in replies(assistant, conversation, "幸福小区8栋1单元1201")[-1], "the address was not taken from the question"


def test_a_question_at_the_readback_is_answered_and_the_readback_repeated(assistant, conversation) -> None:
    replies(assistant, conversation, "我家燃气表不走字了", KUNLUN)
    replies(assistant, conversation, "幸福小区8栋1单元1201")
    replies(assistant, conversation, "13812345678")
    assert "信息对吗" in replies(assistant, conversation, "跳过")[-1]
    said = replies(assistant, conversation, "报修以后一般多久上门？")
    assert any("24小时" in r for r in said) and "信息对吗" in said[-1]
    assert not [t for t in assistant.gateway.tickets.values() if t["body"]["conversation_id"] == conversation]


def test_two_utilities_in_one_question_are_answered_in_labelled_parts(assistant, conversation) -> None:
    answer = "\n".join(replies(assistant, conversation, "燃气报修和电力报修各多久到"))
    assert "【燃气" in answer and "24小时" in answer and "【电力" in answer and "40分钟" in answer


# ---- Whose promises: the company, and the area of a 国家电网 repair ---------------------------------------------

def test_an_unbound_gas_repair_asks_which_company_and_the_answer_binds_the_conversation(assistant, conversation) -> None:
    asked = replies(assistant, conversation, "我家燃气表不走字了")[-1]
    assert "哪家公司" in asked and "昆仑燃气" in asked and "天富热电" in asked
    assert "地址" in replies(assistant, conversation, "天富热电")[-1]
    replies(assistant, conversation, "幸福小区8栋1单元1201")
    replies(assistant, conversation, "13812345678")
    replies(assistant, conversation, "跳过")
    announcement = "\n".join(replies(assistant, conversation, "对的"))
    [ticket] = [t for t in assistant.gateway.tickets.values() if t["body"]["conversation_id"] == conversation]
    assert ticket["body"]["company"] == "tianfu"
    assert "天富热电没有公布处理时限" in announcement and "24小时" not in announcement
    later = "\n".join(replies(assistant, conversation, "用电方面投诉一般多久答复"))   # bound from now on:
    assert "5个工作日" in later and "国家电网" not in later                              # 天富热电's rule, not 95598's


def test_a_grid_electricity_repair_asks_the_area_unless_the_address_says_it(assistant, conversation) -> None:
    replies(assistant, conversation, "家里停电了 帮我报修", GRID)
    assert "城区、农村" in replies(assistant, conversation, "幸福小区8栋1单元1201")[-1]
    assert "电话" in replies(assistant, conversation, "农村")[-1]
    village = f"{conversation}-village"
    replies(assistant, village, "家里停电了 帮我报修", GRID)
    assert "电话" in replies(assistant, village, "红旗乡东湾村三组12号")[-1], "the address says countryside"


def test_the_action_server_serves_its_metrics(assistant, conversation) -> None:
    import urllib.request

    replies(assistant, conversation, "燃气费在哪交")
    with urllib.request.urlopen(assistant.metrics_url, timeout=10) as response:
        text = response.read().decode()
    runs = next(line for line in text.splitlines() if line.startswith('actions_runs_total{action="action_answer_knowledge"}'))
    assert float(runs.split()[-1]) >= 1
    assert 'actions_run_seconds_bucket{action="action_answer_knowledge",le="0.1"}' in text
