"""The phone's own wording: what a caller hears for screen text, without starting the stack."""
from __future__ import annotations

from gateway.channels.voice_render import MAX_SPOKEN_CHARS, REPEAT_HINT, option_words, render

PAYMENT = ("【燃气】燃气营业厅全年365天都开门，节假日也能办理业务。您可以到营业厅缴费，也可以通过官方微信公众号等渠道充值。"
           "充值后请把燃气卡插回燃气表，等表上显示金额到账。卡表用户充值后要在三天内插卡，否则可能影响正常用气。如果是物联网表，付款后会自动到账，一般几分钟内完成。"
           "\n（依据《天然气客户标准化服务指导手册》第5条）")


def test_the_utility_label_is_said_once() -> None:
    assert render([{"text": PAYMENT}]).text.startswith("燃气营业厅全年")
    assert render([{"text": "【电力】营业厅可以办理。\n（依据《95598客户服务业务管理标准》查询咨询）"}]).text.startswith(
        "电力方面，营业厅")


def test_the_citation_is_short_and_spoken() -> None:
    spoken = render([{"text": "【燃气】24小时内上门。\n（依据《天然气客户标准化服务指导手册》第12条）"}]).text
    assert "依据燃气服务手册第12条" in spoken and "《" not in spoken and "（" not in spoken
    generic = render([{"text": "一般做法。\n（参考《电力系统用户服务规范》三（行业通用规范，以当地公司规定为准））"}]).text
    assert "参考电力行业服务规范三" in generic and "（" not in generic


def test_punctuation_is_never_doubled() -> None:
    spoken = render([{"text": "您想了解的是下面哪一项？", "buttons": [{"title": "燃气：燃气费在哪交", "payload": "/a"}]}]).text
    assert "？。" not in spoken and "。。" not in spoken


def test_options_are_a_few_words_with_their_key() -> None:
    buttons = [{"title": "燃气：燃气费在哪交、怎么缴费充值、官方缴费渠道", "payload": "/a"},
               {"title": "电力：电费怎么交，有哪些渠道", "payload": "/b"}]
    spoken = render([{"text": "您想了解的是下面哪一项？", "buttons": buttons}]).text
    assert spoken.endswith("燃气费在哪交请按1；电费怎么交请按2。")
    assert option_words("燃气：燃气费在哪交、怎么缴费充值") == "燃气费在哪交"


def test_options_that_would_sound_alike_keep_their_utility() -> None:
    buttons = [{"title": "燃气：报修多久上门", "payload": "/a"}, {"title": "电力：报修多久上门", "payload": "/b"}]
    spoken = render([{"text": "请问是哪一项？", "buttons": buttons}]).text
    assert "燃气报修多久上门请按1" in spoken and "电力报修多久上门请按2" in spoken


def test_a_long_answer_is_shortened_and_can_be_heard_in_full() -> None:
    spoken = render([{"text": PAYMENT}])
    assert spoken.text.endswith(REPEAT_HINT) and "物联网表" not in spoken.text
    assert len(spoken.text) <= MAX_SPOKEN_CHARS + len(REPEAT_HINT) + 20
    assert "依据燃气服务手册第5条" in spoken.text, "the source is kept in the short answer"
    assert "物联网表" in spoken.full_text and "物联网表" in spoken.full_ssml
    assert render([{"text": "【燃气】24小时内上门。"}]).full_text is None


def test_numbers_dates_and_times_are_marked_for_synthesis() -> None:
    spoken = render([{"text": "已登记，工单号 BX20261130-0009（BX 2026 1130 0009），承诺11月24日16:00前处理，24小时内上门。"}])
    assert '<say-as interpret-as="characters">BX</say-as><say-as interpret-as="digits">202611300009</say-as>' in spoken.ssml
    assert '<say-as interpret-as="date" format="md">11月24日</say-as>' in spoken.ssml
    assert '<say-as interpret-as="time">16:00</say-as>' in spoken.ssml
    assert '<say-as interpret-as="cardinal">24</say-as>小时' in spoken.ssml
    assert "B X，二零二六 幺幺三零，零零零九" in spoken.text and spoken.text.count("B X") == 1


def test_text_is_escaped_in_ssml() -> None:
    assert "&lt;script&gt;" in render([{"text": "<script>"}]).ssml
