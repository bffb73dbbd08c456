"""Property tests: whatever Chinese text surrounds them and however they are typed (full-width digits, spaces,
double spaces, hyphens, dots, zero-width characters, Chinese numerals read out), valid ID card numbers (18 and
15 digits), bank card, mobile and landline numbers never survive masking in logs, transcripts shown to agents,
or handoff packets."""
from __future__ import annotations

import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from core.masking import mask_text, mask_value
from gateway.log_masking import MaskingFilter

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
NUMERALS = str.maketrans("0123456789", "零一二三四五六七八九")
BACK_FROM_NUMERALS = str.maketrans("零〇一二三四五六七八九幺两", "0012345678912")
SEPARATORS = [" ", "  ", "-", ".", "\u200b", " - "]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_check_digit(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def luhn_complete(partial: str) -> str:
    digits = [int(d) for d in partial + "0"]
    for i in range(len(digits) - 2, -1, -2):
        digits[i] = digits[i] * 2 - 9 if digits[i] * 2 > 9 else digits[i] * 2
    return partial + str((10 - sum(digits) % 10) % 10)


id_cards = st.builds(lambda region, year, month, day, seq: (b := f"{region}{year}{month:02d}{day:02d}{seq:03d}") + id_check_digit(b),
                     st.sampled_from(["110101", "310104", "440305", "510107", "650102"]),
                     st.integers(1940, 2008), st.integers(1, 12), st.integers(1, 28), st.integers(0, 999))
bank_cards = st.builds(lambda prefix, rest: luhn_complete(prefix + rest),
                       st.sampled_from(["6222", "6228", "6217", "4367", "5187"]),
                       st.text("0123456789", min_size=11, max_size=14))
old_id_cards = st.builds(lambda region, year, month, day, seq: f"{region}{year % 100:02d}{month:02d}{day:02d}{seq:03d}",
                         st.sampled_from(["110101", "310104", "440305"]), st.integers(1930, 1999),
                         st.integers(1, 12), st.integers(1, 28), st.integers(0, 999))
landlines = st.builds(lambda area, number: f"{area}{number}", st.sampled_from(["010", "021", "0571", "0991", "0755"]),
                      st.text("0123456789", min_size=8, max_size=8).filter(lambda n: n[0] != "0"))
mobiles = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"),
                    st.text("0123456789", min_size=9, max_size=9))
chinese = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=12)


@st.composite
def typed(draw, number_strategy):
    """A number as a customer might type it, inside Chinese text."""
    number = draw(number_strategy)
    text = number
    if draw(st.booleans()):
        separator = draw(st.sampled_from(SEPARATORS))
        size = draw(st.sampled_from([3, 4]))
        text = separator.join(text[i:i + size] for i in range(0, len(text), size))
    form = draw(st.sampled_from(["ascii", "full-width", "numerals"]))
    text = text.translate(FULL_WIDTH if form == "full-width" else NUMERALS if form == "numerals" else {})
    return number, f"{draw(chinese)}{text}{draw(chinese)}"


def digits_of(text: str) -> str:
    plain = text.translate(str.maketrans("０１２３４５６７８９", "0123456789")).translate(BACK_FROM_NUMERALS)
    return "".join(ch for ch in plain if ch.isdigit())


def assert_hidden(number: str, masked: str) -> None:
    assert number.rstrip("X") not in digits_of(masked), masked


ANY_NUMBER = st.one_of(typed(id_cards), typed(old_id_cards), typed(bank_cards), typed(mobiles), typed(landlines))


@settings(max_examples=300, deadline=None)
@given(ANY_NUMBER)
def test_sensitive_numbers_never_survive_masking(case) -> None:
    number, text = case
    assert_hidden(number, mask_text(text))


@settings(max_examples=100, deadline=None)
@given(typed(bank_cards), typed(id_cards), typed(mobiles))
def test_handoff_packets_and_transcripts_are_masked(card, id_card, mobile) -> None:
    packet = {"customer": {"phone": mobile[1]}, "transcript": [{"role": "customer", "text": card[1]},
                                                               {"role": "customer", "text": id_card[1]}],
              "summary": f"客户说{mobile[1]}"}
    masked = str(mask_value(packet))
    for number, _ in (card, id_card, mobile):
        assert_hidden(number, masked)


@settings(max_examples=100, deadline=None)
@given(ANY_NUMBER)
def test_log_records_are_masked(case) -> None:
    number, text = case
    record = logging.LogRecord("gateway", logging.INFO, __file__, 1, "customer said %s", (text,), None)
    MaskingFilter().filter(record)
    assert_hidden(number, record.getMessage())
