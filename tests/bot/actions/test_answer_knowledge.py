"""action_answer_knowledge: what the customer reads for handbook questions."""
from __future__ import annotations

from rasa_sdk.events import SlotSet

from bot.actions.answer_knowledge import ActionAnswerKnowledge
from tests.bot.trackers import entity, make_tracker, texts, user_event


def slots(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_a_payment_answer_cites_its_source_and_warns_against_fraud(dispatcher, domain) -> None:
    tracker = make_tracker("燃气费在哪交", "ask_payment", [entity("utility", "燃气")])
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert reply.startswith("【燃气】")
    assert "营业厅" in reply
    assert "依据《天然气客户标准化服务指导手册》" in reply
    assert "不会让您向个人账户转账" in reply
    assert slots(events)["kb_last_entry"] == "gas.hall.payment"


async def test_a_quoted_scam_instruction_gets_a_clear_warning(dispatcher, domain) -> None:
    tracker = make_tracker("缴费要先办一张960873开头的银行卡再绑定公众号klgs1234598764吗", "ask_payment")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "诈骗" in reply and "先不要付款" in reply
    assert "960873" not in reply


async def test_when_the_answer_depends_on_the_utility_each_rule_is_given_labelled(dispatcher, domain) -> None:
    tracker = make_tracker("投诉多久给答复", "ask_process")
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert "哪一项" not in message["text"], "no menu: the customer reads every utility's rule"
    parts = [p for p in message["text"].split("\n\n") if p.startswith("【")]
    assert len(parts) >= 2 and any(p.startswith("【燃气·昆仑燃气】") and "48小时" in p for p in parts)
    assert all("依据《" in p or "参考《" in p for p in parts), "each part cites its own source"
    assert message["buttons"] == [{"title": "登记投诉", "payload": "/file_complaint"}]
    assert slots(events)["kb_pending_question"] is None


async def test_two_utilities_in_one_question_get_one_labelled_part_each(dispatcher, domain) -> None:
    tracker = make_tracker("燃气报修和电力报修各多久到", "ask_process")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    parts = reply.split("\n\n")
    assert parts[0].startswith("【燃气·昆仑燃气】") and "24小时" in parts[0] and "依据《" in parts[0]
    assert parts[1].startswith("【电力·国家电网】") and "40分钟" in parts[1] and "依据《" in parts[1]


async def test_a_follow_up_is_read_with_the_previous_question(dispatcher, domain) -> None:
    tracker = make_tracker("那电费呢？", "ask_process", [entity("utility", "电力")],
                           slots={"kb_last_question": "燃气费在哪交"}, message_kind="followup")
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert reply.startswith("【电力】") and ("交" in reply or "缴" in reply)
    assert slots(events)["kb_last_question"] == "费在哪交 那电费呢？"


async def test_a_repair_answer_offers_the_form_and_names_the_open_ticket(gateway, dispatcher, domain) -> None:
    ticket = gateway.add_ticket("test-customer")
    tracker = make_tracker("燃气坏了报修一般几个小时上门", "ask_process", asked_about="report_fault",
                           message_kind="question")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    answer, tickets = dispatcher.messages
    assert "24小时" in answer["text"] and answer["text"].endswith("现在帮您登记报修吗？")
    assert answer["buttons"] == [{"title": "登记报修", "payload": "/report_fault"}]
    assert ticket["ticket_no"] in tickets["text"] and "11月24日16:00前" in tickets["text"]


async def test_a_counter_business_offers_no_form(dispatcher, domain) -> None:
    tracker = make_tracker("燃气过户要带什么", "ask_process", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["buttons"] == []


async def test_the_utility_given_next_answers_the_pending_question(dispatcher, domain) -> None:
    tracker = make_tracker("燃气", "inform", [entity("utility", "燃气")],
                           slots={"kb_pending_question": "投诉多久给答复", "kb_pending_intent": "ask_process"})
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "【燃气·昆仑燃气】" in reply and "48小时" in reply, "the gas rules of each company that supplies gas"
    assert SlotSet("kb_pending_question", None) in events


async def test_a_chosen_button_answers_that_entry(dispatcher, domain) -> None:
    tracker = make_tracker('/inform{"kb_entry": "gas.refund"}', "inform", [entity("kb_entry", "gas.refund")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "5个工作日" in reply and "退款" in reply


async def test_a_question_the_handbook_cannot_answer_is_admitted_with_a_way_to_a_human(dispatcher, domain) -> None:
    tracker = make_tracker("量子力学是什么", "ask_process")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_knowledge_not_found"
    assert message["buttons"][0]["payload"] == "/request_human"


async def test_a_price_without_an_official_figure_is_not_invented(dispatcher, domain) -> None:
    tracker = make_tracker("天然气多少钱一方", "ask_fee", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    body = reply.split("\n")[0]
    assert not any(ch.isdigit() for ch in body)
    assert "公示" in body or "公开" in body or "公布" in body


async def test_an_inform_without_a_pending_question_asks_what_is_needed(dispatcher, domain) -> None:
    tracker = make_tracker("13812345678", "inform", [entity("phone", "13812345678")])
    assert await ActionAnswerKnowledge().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages[0]["response"] == "utter_noted_ask_question"


async def test_two_questions_in_one_message_get_a_part_each(dispatcher, domain) -> None:
    tracker = make_tracker("燃气费在哪交？燃气表坏了报修多久上门？", "ask_process", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    reply = dispatcher.messages[0]["text"]
    assert "营业厅" in reply and "24小时" in reply and reply.count("依据《") >= 2


async def test_a_gas_complaint_question_gets_the_customers_own_companys_rule(dispatcher, domain) -> None:
    """Unbound: each company's rule, labelled with its name; bound: only that company's, never the other's."""
    question = ("燃气投诉多久给答复", "ask_process", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, make_tracker(*question), domain)
    [unbound] = texts(dispatcher, domain)
    assert "【燃气·昆仑燃气】" in unbound and "48小时" in unbound
    assert "【燃气·天富热电】" in unbound and "5个工作日内给您答复" in unbound
    for company, own, other in (("kunlun", "48小时", "天富热电"), ("tianfu", "5个工作日内给您答复", "48小时")):
        dispatcher.messages.clear()
        await ActionAnswerKnowledge().run(dispatcher, make_tracker(*question, slots={"company": company}), domain)
        [reply] = texts(dispatcher, domain)
        assert own in reply and other not in reply, (company, reply)


async def test_an_electricity_complaint_question_follows_the_company(dispatcher, domain) -> None:
    question = ("用电投诉多久答复", "ask_process", [entity("utility", "电力")])
    await ActionAnswerKnowledge().run(dispatcher, make_tracker(*question, slots={"company": "grid"}), domain)
    [grid] = texts(dispatcher, domain)
    assert "5日内" in grid and "天富热电" not in grid
    dispatcher.messages.clear()
    await ActionAnswerKnowledge().run(dispatcher, make_tracker(*question, slots={"company": "tianfu"}), domain)
    [tianfu] = texts(dispatcher, domain)
    assert "5个工作日" in tianfu and "《天富热电客户服务规范》" in tianfu


async def test_a_utility_the_customers_company_does_not_serve_is_said_so(dispatcher, domain) -> None:
    tracker = make_tracker("暖气费怎么收", "ask_fee", [entity("utility", "供热")], slots={"company": "kunlun"})
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    said = "\n".join(texts(dispatcher, domain))
    assert said.startswith("昆仑燃气不经营供热业务")
    assert "天富热电" not in said, "another company's rule is not this customer's"


async def test_one_sentence_asking_two_questions_gets_both_answers_not_a_menu(dispatcher, domain) -> None:
    # the two close topics (reply to the application, the work) are the two questions asked: no menu
    tracker = make_tracker("燃气表移位申请以后多久给回话，多久来人施工", "ask_process", [entity("utility", "燃气")])
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert "哪一项" not in message["text"]
    assert message["text"].count("依据《") == 2
    assert slots(events)["kb_pending_question"] is None


async def test_each_asking_clause_is_searched_with_the_topic_of_the_sentence(dispatcher, domain) -> None:
    tracker = make_tracker("燃气改装迁移，申请了多久给答复，多久能上门施工？", "ask_process", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"].count("依据《") == 2, message["text"]


class _ChoicesSearch:
    """A search that always offers these two entries as equally close choices."""

    def __init__(self, first: str, second: str) -> None:
        from bot.actions.knowledge_base import knowledge_base
        from knowledge.search import Hit

        kb = knowledge_base()
        self.hits = (Hit(kb.by_id[first], 1.0), Hit(kb.by_id[second], 0.99))

    def decide(self, *args, **kwargs):
        from knowledge.search import Decision, Outcome

        return Decision(Outcome.ASK_ENTRY, self.hits)


async def test_two_close_facets_of_one_topic_are_both_answered(dispatcher, domain, monkeypatch) -> None:
    import bot.actions.answer_knowledge as module

    monkeypatch.setattr(module, "knowledge_search",
                        lambda: _ChoicesSearch("electricity.payment", "electricity.payment.general_methods"))
    tracker = make_tracker("交电费有什么办法", "ask_payment", [entity("utility", "电力")])
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    parts = [p for p in message["text"].split("\n\n") if p.startswith("【")]
    assert "哪一项" not in message["text"] and len(parts) == 2
    assert all("依据《" in p or "参考《" in p for p in parts), "each part cites its own source"
    assert slots(events)["kb_last_entry"] == "electricity.payment"


async def test_close_choices_on_different_topics_still_ask(dispatcher, domain, monkeypatch) -> None:
    import bot.actions.answer_knowledge as module

    monkeypatch.setattr(module, "knowledge_search", lambda: _ChoicesSearch("electricity.payment", "gas.refund"))
    tracker = make_tracker("交费和退钱", "ask_process")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == "您想了解的是下面哪一项？" and len(message["buttons"]) == 2


async def test_a_follow_up_without_ne_is_read_with_the_previous_question(dispatcher, domain) -> None:
    """农村的话多久 after a repair-time answer: the same question, for the countryside."""
    tracker = make_tracker("农村的话多久", "ask_process", slots={"kb_last_question": "停电报修抢修人员多久能到"},
                           message_kind="followup")
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "85分钟" in reply and "依据《" in reply
    assert slots(events)["kb_last_question"] == "停电报修抢修人员多久能到 农村的话多久"


async def test_a_follow_up_with_a_topic_of_its_own_searches_that_topic(dispatcher, domain) -> None:
    """那退款呢 after a repair question is about refunds (the follow-up outweighs the old topic)."""
    tracker = make_tracker("那退款呢", "ask_process", slots={"kb_last_question": "燃气户内设施报修多久上门？"},
                           message_kind="followup")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "退" in reply and "5个工作日" in reply


async def test_a_short_question_the_classifier_threw_out_is_a_follow_up_after_an_answer(dispatcher, domain) -> None:
    """多久能到 taken as out of scope: after an answer it is a follow-up, answered; with no answer before, it is not."""
    from bot.actions.out_of_scope import ActionOutOfScope

    tracker = make_tracker("那山区的话多久能到", "out_of_scope", slots={"kb_last_question": "停电报修抢修人员多久能到"})
    await ActionOutOfScope().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "120分钟" in reply
    dispatcher.messages.clear()
    await ActionOutOfScope().run(dispatcher, make_tracker("那山区的话多久能到", "out_of_scope"), domain)
    assert "依据《" not in "\n".join(texts(dispatcher, domain))


async def test_two_companies_named_get_one_labelled_part_each(dispatcher, domain) -> None:
    tracker = make_tracker("天富热电的投诉多久答复？国家电网那边投诉又是几天答复？", "ask_process")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "天富热电】" in reply and "5个工作日" in reply
    assert "【电力·国家电网】" in reply and "5日内" in reply


async def test_a_company_named_binds_only_the_utilities_it_serves(dispatcher, domain) -> None:
    """燃气客服热线和95598: 95598 is the grid's, which sells no gas; the gas part is still the gas company's."""
    tracker = make_tracker("燃气客服热线和95598电话分别多快接起来", "ask_process")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "不经营" not in reply
    assert "3声" in reply and ("12秒" in reply or "4次" in reply)



async def test_a_follow_up_taken_for_an_answer_to_a_form_is_still_a_follow_up(dispatcher, domain) -> None:
    """农村的话多久 classified as inform (no pending menu): after an answer it is a follow-up, not "noted"."""
    tracker = make_tracker("农村的话多久", "inform", slots={"kb_last_question": "停电报修抢修人员多久能到"})
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "85分钟" in reply


def test_one_utilitys_part_holds_both_facets_of_its_topic() -> None:
    """In a two-utility answer, a company's rule and the general practice of that utility's topic (95598's arrival
    times, the generic text's) are both given; two companies' rules, or a single answer, stay one part."""
    from bot.actions.answer_knowledge import _utility_part
    from bot.actions.knowledge_base import knowledge_base
    from knowledge.search import Decision, Hit, Outcome

    kb = knowledge_base().by_id
    grid, general = kb["electricity.repair.arrival"], kb["electricity.repair_dispatch.general"]
    facets = Decision(Outcome.EACH, (Hit(grid, 1.0), Hit(general, 0.9)), ("electricity",))
    assert _utility_part(facets) == [grid, general]
    companies = Decision(Outcome.EACH, (Hit(kb["gas.complaint.reply"], 1.0), Hit(kb["gas.complaint.tianfu"], 0.9)),
                         ("gas",))
    assert _utility_part(companies) == [kb["gas.complaint.reply"]]
    assert _utility_part(Decision(Outcome.ANSWER, (Hit(grid, 1.0),))) == [grid]


async def test_a_company_rule_asked_against_the_general_one_gets_both_labelled(dispatcher, domain) -> None:
    tracker = make_tracker("天富热电的电费投诉几天给结果？和通用规范里的时间一样吗？", "ask_process",
                           [entity("utility", "电力")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    tianfu, general = reply.split("\n\n")[:2]
    assert tianfu.startswith("【电力·天富热电】") and "5个工作日" in tianfu and "依据《天富热电客户服务规范》" in tianfu
    assert general.startswith("【电力】") and "3个工作日" in general and "参考《电力系统用户服务规范》" in general


async def test_without_a_comparison_a_company_customer_reads_their_own_rule_only(dispatcher, domain) -> None:
    tracker = make_tracker("天富热电的电费投诉几天给结果？", "ask_process", [entity("utility", "电力")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "5个工作日" in reply and "电力系统用户服务规范" not in reply


async def test_a_suspicious_payment_is_warned_against_and_the_rest_of_the_message_answered(dispatcher, domain) -> None:
    tracker = make_tracker("燃气费平时能去哪交？是不是还得专门办一张指定的银行卡？", "ask_payment",
                           [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    warning, answer = texts(dispatcher, domain)
    assert "诈骗" in warning and "先不要付款" in warning
    assert answer.startswith("【燃气") and "营业厅" in answer and "依据《" in answer


async def test_a_complaint_answer_gives_the_complaint_limit_not_the_one_for_reporting_staff(dispatcher, domain) -> None:
    """天富热电 answers complaints in 5 working days and reports against staff in 10: a complaint question reads
    only the first."""
    tracker = make_tracker("天富热电的燃气服务投诉了多久答复", "ask_process", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "5个工作日" in reply and "10个工作日" not in reply
    dispatcher.messages.clear()
    tracker = make_tracker("要举报天富热电燃气的工作人员 多久有答复", "ask_process", [entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "10个工作日" in reply and "纪检监察" in reply


async def test_right_after_an_answer_a_question_without_a_topic_of_its_own_is_about_it(dispatcher, domain) -> None:
    """约周末行吗？ names no utility and no business: after an answer about a home visit it asks about that visit."""
    history = [user_event("天富的人上门换电表之前会先打电话约吗", "ask_process"),
               {"event": "action", "name": "action_answer_knowledge"}, {"event": "action", "name": "action_listen"}]
    tracker = make_tracker("能按我方便的时间约吗？比如周末", "out_of_scope", history=history,
                           slots={"kb_last_question": "天富的人上门换电表之前会先打电话约吗"})
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "天富热电" in reply and "尽量满足您" in reply and "依据《天富热电客户服务规范》" in reply


async def test_a_question_the_classifier_placed_is_still_about_the_answer_when_it_names_no_topic(dispatcher,
                                                                                                  domain) -> None:
    """俺不会用手机，线下能提不？ taken for a payment-channel question: right after the answer on giving feedback it asks
    about feedback (the opinion box at the hall), not about paying the bill."""
    previous = "对电力服务有意见，网上能提吗？"
    history = [user_event(previous, "ask_channel"),
               {"event": "action", "name": "action_answer_knowledge"}, {"event": "action", "name": "action_listen"}]
    tracker = make_tracker("俺不会用手机，线下能提不？", "ask_channel", history=history,
                           slots={"kb_last_question": previous})
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "意见箱" in reply and "收缴" not in reply
    assert slots(events)["kb_last_question"].startswith(previous)


async def test_without_an_answer_just_before_such_a_question_is_not_read_as_a_follow_up(dispatcher, domain) -> None:
    tracker = make_tracker("能按我方便的时间约吗？比如周末", "out_of_scope",
                           slots={"kb_last_question": "天富的人上门换电表之前会先打电话约吗"})
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_noted_ask_question"


async def test_a_document_named_by_its_title_is_answered_from(dispatcher, domain) -> None:
    tracker = make_tracker("按《电力系统用户服务规范》，电力投诉受理后多久反馈处理结果？", "ask_process",
                           [entity("utility", "电力")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "3个工作日" in reply and "参考《电力系统用户服务规范》" in reply


async def test_the_re_dian_of_a_company_name_tagged_as_a_utility_is_not_one(dispatcher, domain) -> None:
    """The extractor tags 热电 (of 天富热电) as a utility; the 电力 the customer said decides."""
    tracker = make_tracker("天富热电的电力投诉几天给结果？", "ask_process",
                           [entity("utility", "热电"), entity("utility", "电力")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "5个工作日" in reply and "【供热" not in reply and "【燃气" not in reply


async def test_a_follow_up_between_the_old_topic_and_its_own_answers_its_own(dispatcher, domain) -> None:
    """在天富营业厅投诉几天答复？ then 那要是举报他们的工作人员呢？: the search with the previous question finds the
    complaint and the report rule equally close; the latest words decide, so the report's 10 working days come
    first, not a menu."""
    tracker = make_tracker("那要是举报他们的工作人员呢？", "ask_process", entities=[entity("utility", "电力")],
                           slots={"kb_last_question": "在天富热电营业厅投诉，几天之内给答复？", "company": "tianfu"},
                           message_kind="followup")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    assert "10个工作日" in reply and "纪检监察" in reply
    assert dispatcher.messages[0]["custom"]["turn"]["entries"][0] == "electricity.report.tianfu"


def test_each_utilitys_part_is_searched_with_the_sentences_that_name_it() -> None:
    from bot.actions.answer_knowledge import _utility_codes, focus_on

    question = "电费账单去哪查？昆仑燃气的收费标准在哪里公布？"
    electricity = focus_on(question, _utility_codes, "electricity")
    gas = focus_on(question, _utility_codes, "gas")
    assert electricity.count("电费账单去哪查") == 3 and electricity.count("收费标准在哪里公布") == 1
    assert gas.count("收费标准在哪里公布") == 3 and gas.count("电费账单去哪查") == 1
    one_sentence = "燃气报修和电力报修各多久到"
    assert focus_on(one_sentence, _utility_codes, "gas") == one_sentence


def test_a_parts_focus_is_its_question_not_the_story_before_it() -> None:
    """新房的燃气找昆仑报装、电要开户。燃气报装几天能装好？: the gas part weighs the time asked twice more, the story
    sentence (which names gas too) only once, in the whole message."""
    from bot.actions.answer_knowledge import _utility_codes, focus_on

    question = "新房的燃气找昆仑报装、电要开户。燃气报装几天能装好？电开户带什么？"
    gas = focus_on(question, _utility_codes, "gas")
    assert gas.count("燃气报装几天能装好") == 3 and gas.count("燃气找昆仑报装") == 1


async def test_two_utilities_asked_in_two_sentences_get_each_sentences_answer(dispatcher, domain) -> None:
    """The gas part answers where the gas price is published, not what the electricity sentence's words pull in
    (the whole message once read it as an installation fee question)."""
    question = "想查查上个月用了多少电？另外昆仑燃气的气价在哪能看到？"
    tracker = make_tracker(question, "ask_fee", entities=[entity("utility", "电"), entity("utility", "燃气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    entries = dispatcher.messages[0]["custom"]["turn"]["entries"]
    assert "gas.price" in entries and "gas.installation.fee" not in entries


async def test_a_company_named_for_one_of_two_utilities_does_not_bind_the_conversation(dispatcher, domain) -> None:
    """昆仑燃气 named for the gas part of a gas and electricity question: the customer's electricity is not Kunlun's,
    so a later electricity question is not told that Kunlun sells no electricity. Named alone, it binds."""
    question = "想查查上个月用了多少电？另外昆仑燃气的气价在哪能看到？"
    tracker = make_tracker(question, "ask_fee", entities=[entity("utility", "电"), entity("utility", "燃气")])
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    assert "company" not in slots(events)
    events = await ActionAnswerKnowledge().run(dispatcher, make_tracker("昆仑燃气的气价在哪能看到", "ask_fee"), domain)
    assert slots(events)["company"] == "kunlun"


async def test_a_company_named_in_another_utilitys_sentence_does_not_bind_this_part(dispatcher, domain) -> None:
    """偷电一般都指哪些做法？要是在天富热电偷暖气被查到…: 天富热电 belongs to the heat sentence; the electricity part is
    the general question of what counts as theft, not 天富热电's penalty."""
    question = "偷电一般都指哪些做法？要是在天富热电偷暖气被查到，居民户会怎样？"
    tracker = make_tracker(question, "ask_process", [entity("utility", "电"), entity("utility", "暖气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    [reply] = texts(dispatcher, domain)
    parts = reply.split("\n\n")
    electricity = next(p for p in parts if p.startswith("【电力"))
    assert "绕越" in electricity and "天富热电" not in electricity
    assert any(p.startswith("【供热·天富热电】") and "停热" in p for p in parts)


async def test_a_conversation_bound_to_the_company_keeps_it_for_every_part(dispatcher, domain) -> None:
    """Named in the heat sentence only, 天富热电 still binds the electricity part of a 天富热电 customer (the
    channel's company): its own complaint rule, nobody else's."""
    question = "用电方面投诉几天给答复？要是投诉天富热电的暖气，多久答复？"
    tracker = make_tracker(question, "ask_process", [entity("utility", "电"), entity("utility", "暖气")],
                           slots={"company": "tianfu"})
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    entries = dispatcher.messages[0]["custom"]["turn"]["entries"]
    assert entries == ["electricity.complaint.tianfu", "heat.complaint.tianfu"], entries


def test_a_company_of_several_utilities_names_none_of_them() -> None:
    from bot.actions.answer_knowledge import _utility_codes

    assert _utility_codes("要是在天富热电偷暖气被查到，居民户会怎样？") == {"heat"}
    assert _utility_codes("天富热电的电费") == {"electricity"}
    assert _utility_codes("国家电网多久到") == {"electricity"} and _utility_codes("昆仑燃气的气价") == {"gas"}


def test_a_parts_form_topic_is_the_business_its_own_sentences_name() -> None:
    """燃气灶多久能约安装？电路报修多久有人到现场？ classified as an installation: the electricity part asks about repair."""
    from bot.actions.answer_knowledge import part_topic

    assert part_topic(["电路报修多久有人到现场？"], "apply_installation") == "report_fault"
    assert part_topic(["燃气灶多久能约安装？"], "apply_installation") == "apply_installation"
    assert part_topic(["电费在哪交？"], "apply_installation") == "apply_installation", "no business of its own"
    assert part_topic(["报修和投诉各多久？"], "report_fault") == "report_fault", "two businesses: the message's"
    assert part_topic(["电路报修多久有人到现场？"], "ask_process") == "ask_process", "a question intent stays"
    assert part_topic(["停电了多久能通电？"], "report_fault") == "report_fault", "a restoration is no installation"


async def test_an_installation_and_a_repair_in_one_message_get_each_their_own_rule(dispatcher, domain) -> None:
    question = "刚在燃气公司买了台燃气灶等着装，家里电路又出故障了。燃气灶多久能约安装？电路报修多久有人到现场？"
    tracker = make_tracker(question, "apply_installation", [entity("utility", "燃气"), entity("utility", "电路")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    entries = dispatcher.messages[0]["custom"]["turn"]["entries"]
    assert "gas.appliance.install" in entries and "electricity.repair_survey.general" in entries, entries


async def test_each_companys_part_is_about_the_utility_its_own_question_names(dispatcher, domain) -> None:
    """昆仑 supplies the gas and 天富热电 the heat; 天富热电 sells gas too, but its question is about heat inspection."""
    question = "我们村烧的是昆仑的管道天然气，暖气是天富热电供的。入冬采暖前昆仑燃气会上门检查吗？天富来查用热的人要给我看啥证件？"
    tracker = make_tracker(question, "ask_process", [entity("utility", "天然气"), entity("utility", "暖气")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    entries = dispatcher.messages[0]["custom"]["turn"]["entries"]
    assert entries[1] == "heat.inspection.tianfu", entries


async def test_a_business_named_in_one_companys_sentence_does_not_steer_the_other(dispatcher, domain) -> None:
    """安检 is 昆仑燃气's question; 天富热电's is how many people come to check the electricity."""
    question = "昆仑燃气上门安检多久一次（我家是居民）？天富热电来查电的话至少得来几个人？"
    tracker = make_tracker(question, "ask_process", [entity("utility", "燃气"), entity("business", "安检"),
                                                     entity("utility", "电力")])
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    entries = dispatcher.messages[0]["custom"]["turn"]["entries"]
    assert entries[1] == "electricity.inspection.tianfu", entries


def test_a_parts_business_is_the_one_its_own_sentences_name() -> None:
    from bot.actions.answer_knowledge import part_business

    question = "昆仑燃气上门安检多久一次？天富热电来查电的话至少得来几个人？"
    assert part_business(["天富热电来查电的话至少得来几个人？"], question, "安检") is None
    assert part_business(["昆仑燃气上门安检多久一次？"], question, "安检") == "安检"
    assert part_business(["电路坏了多久来修？"], "燃气和电路坏了多久来修？", "报修") == "报修", "a synonym's value stays"
