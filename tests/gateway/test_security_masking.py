"""One masking for every agent view and log line: phone, landline, ID card and bank card numbers."""
from core.masking import mask_text, mask_value


def test_phone_id_card_and_bank_card_numbers_are_masked() -> None:
    text = "手机13812345678 身份证110101199003071234 银行卡6222021234567890123 户号20318845"
    masked = mask_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "110101199003071234" not in masked and "110101********1234" in masked
    assert "6222021234567890123" not in masked
    assert "20318845" in masked  # a 户号 is what agents need to see


def test_nested_packets_are_masked() -> None:
    packet = {"customer": {"phone": "13912345678"}, "transcript": [{"text": "电话139 1234 5678"}]}
    assert mask_value(packet)["customer"]["phone"] == "139****5678"
    assert mask_value(packet)["transcript"][0]["text"] == "电话139****5678"


def test_the_forms_an_outside_probe_slipped_through_are_masked() -> None:
    for raw, kept in (("0571-88776655", "0571-****6655"), ("057188776655", "0571-****6655"),
                      ("138.1234.5678", "5678"), ("138\u200b1234\u200b5678", "5678"),
                      ("6222  0212  3456  7890", "7890"), ("一三八一二三四五六七八", "五六七八"),
                      ("110101900307123", "123")):
        masked = mask_text(f"联系我 {raw} 谢谢")
        digits = [c for c in raw if c.isdigit() or c in "一二三四五六七八"]
        assert raw not in masked and "****" in masked or "******" in masked, (raw, masked)
        assert kept in masked, (raw, masked)
        assert len([c for c in masked if c.isdigit() or c in "一二三四五六七八"]) < len(digits), (raw, masked)
    assert mask_text("户号20318845，三号楼201室") == "户号20318845，三号楼201室", "a 户号 and an address stay"
