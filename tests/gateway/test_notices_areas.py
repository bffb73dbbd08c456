"""Places in notices and customers' addresses (gateway/notices/areas.py) and the notice texts (render.py)."""
from __future__ import annotations

from datetime import datetime

import pytest

from gateway.clock import CHINA
from gateway.notices import render
from gateway.notices.areas import Coverage, coverage, find_place, parse_place, same_name


def covers(area: str, address: str) -> Coverage | None:
    notice_area, place = parse_place(area), parse_place(address)
    assert notice_area is not None and place is not None, (area, address)
    return coverage(notice_area, place)


@pytest.mark.parametrize("address", ["花家地小区3号楼", "花家地社区3号楼", "花家地3号楼", "花家地小区３号楼",
                                     "花家地小区三号楼2单元501", "花家地小区3栋", "花家地小区 3 幢", "望京花家地小区3号楼",
                                     "北京市朝阳区望京街道花家地小区3号楼1单元101"])
def test_the_same_estate_written_differently_is_covered(address: str) -> None:
    assert covers("花家地小区", address) is Coverage.COVERS
    assert covers("花家地", address) is Coverage.COVERS
    assert covers("花家地社区1-5号楼", address) is Coverage.COVERS


@pytest.mark.parametrize("address", ["花家地小区9号楼", "花家地小区十二栋", "花家地6号楼"])
def test_a_building_outside_the_range_is_not_covered(address: str) -> None:
    assert covers("花家地小区1-5号楼", address) is None
    assert covers("花家地小区1至5栋、8号楼", address) is None


def test_building_lists_and_ranges() -> None:
    assert parse_place("花家地小区1至5栋、8号楼").buildings == frozenset({1, 2, 3, 4, 5, 8})
    assert parse_place("花家地小区一号楼到三号楼").buildings == frozenset({1, 2, 3})
    assert covers("花家地小区1至5栋、8号楼", "花家地小区8号楼") is Coverage.COVERS
    assert covers("花家地小区1-5号楼", "花家地小区") is Coverage.PART, "the customer named no building"


def test_other_estates_with_a_similar_name_are_not_covered() -> None:
    assert covers("花家地小区", "花家地西里3号楼") is None
    assert covers("花家地小区", "东花家地小区3号楼") is None, "one character in front makes another place"
    assert covers("朝阳区花家地小区", "海淀区花家地小区") is None


def test_villages() -> None:
    assert covers("王各庄村", "王各庄村3组") is Coverage.COVERS
    assert covers("王各庄村", "王各庄") is Coverage.COVERS
    assert covers("王各庄村", "东王各庄村") is None
    assert covers("王各庄村1-2组", "王各庄村5组") is None


def test_districts_and_streets_cover_smaller_places_only_when_the_address_names_them() -> None:
    assert covers("望京街道", "望京街道花家地小区3号楼") is Coverage.COVERS
    assert covers("朝阳区", "北京市朝阳区望京街道花家地小区3号楼") is Coverage.COVERS
    assert covers("望京街道", "花家地小区3号楼") is None, "no gazetteer: the address must name the street"
    assert covers("望京地区", "望京街道花家地小区") is Coverage.COVERS
    # asked about a whole street: a notice for a 小区 it names inside that street is part of it
    assert covers("望京街道花家地小区", "望京街道") is Coverage.PART
    assert covers("花家地小区", "望京街道") is None


def test_roads_and_numbered_compounds() -> None:
    assert covers("建设路", "建设路12号院3号楼") is Coverage.COVERS
    assert covers("建设路12号院", "建设路12号院") is Coverage.COVERS
    assert covers("建设路12号院", "建设路14号院") is None


@pytest.mark.parametrize(("sentence", "place"), [
    ("我们花家地小区3号楼今天停气吗", "花家地小区3号楼"),
    ("你好我们和平小区从早上开始就没燃气了", "和平小区"),
    ("建设路12号院停气了啥时候恢复", "建设路12号院"),
    ("光明街道今天为啥没电", "光明街道"),
    ("锦绣花园的暖气断了 是在抢修吗", "锦绣花园"),
    ("12月2日王各庄村停电吗", "王各庄村"),
])
def test_a_place_is_found_in_a_sentence(sentence: str, place: str) -> None:
    found = find_place(sentence)
    assert found is not None and found.text == place


@pytest.mark.parametrize("sentence", ["今天停电吗", "这周我们小区停不停电", "暖气什么时候恢复", "我家怎么停气了"])
def test_a_sentence_without_a_place_names_none(sentence: str) -> None:
    assert find_place(sentence) is None


def test_same_name_needs_more_than_one_character_in_front() -> None:
    assert same_name("望京花家地", "花家地") and not same_name("西花家地", "花家地") and not same_name("花家地西里", "花家地")


# -- texts -------------------------------------------------------------------------------------------------------

def notice(**fields) -> dict:
    base = {"utility": "gas", "kind": "planned", "areas": ["花家地小区1-5号楼"], "reason": "燃气管道改造",
            "starts_at": datetime(2026, 12, 2, 8, 0, tzinfo=CHINA).isoformat(),
            "ends_at": datetime(2026, 12, 2, 18, 0, tzinfo=CHINA).isoformat(), "restored_at": None, "text": None}
    return {**base, **fields}


def test_a_planned_notice_reads_its_times_in_plain_chinese() -> None:
    text = render.customer_text(notice())
    assert text == "【计划停气】花家地小区1-5号楼：12月2日（周三）8:00至18:00停气，原因：燃气管道改造。"
    overnight = render.customer_text(notice(ends_at=datetime(2026, 12, 3, 6, 30, tzinfo=CHINA).isoformat()))
    assert "12月2日（周三）8:00至12月3日（周四）6:30" in overnight


def test_a_fault_notice_says_its_restore_time_or_that_none_is_known() -> None:
    fault = notice(utility="electricity", kind="fault", reason="10千伏线路故障",
                   starts_at=datetime(2026, 11, 30, 14, 20, tzinfo=CHINA).isoformat(),
                   ends_at=datetime(2026, 11, 30, 18, 0, tzinfo=CHINA).isoformat())
    assert render.customer_text(fault) == ("【故障停电】花家地小区1-5号楼：11月30日（周一）14:20起停电，原因：10千伏线路故障；"
                                           "预计11月30日（周一）18:00恢复供电。")
    unknown = render.customer_text({**fault, "ends_at": None})
    assert "恢复时间暂未确定" in unknown and "18:00" not in unknown


def test_the_phone_hears_relative_days_and_parts_of_the_day() -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=CHINA)
    spoken = render.spoken_text(notice(), at)
    assert spoken == "花家地小区1到5号楼明天上午8点到晚上6点计划停气，原因是燃气管道改造。"
    restored = render.spoken_text(notice(kind="restored", restored_at=datetime(2026, 12, 1, 16, 30, tzinfo=CHINA)
                                         .isoformat()), at)
    assert restored == "花家地小区1到5号楼已经在今天下午4点半恢复供气了。"


def test_a_restore_message_and_template_fields() -> None:
    restored = notice(kind="restored", restored_at=datetime(2026, 12, 2, 16, 40, tzinfo=CHINA).isoformat())
    text = render.change_text("restored", restored, {}, "花家地小区3号楼")
    assert text.startswith("已恢复供气：【已恢复供气】花家地小区1-5号楼：已于12月2日（周三）16:40恢复供气")
    assert "花家地小区3号楼" in text and "退订提醒" in text
    fields = render.template_fields("restored", restored)
    assert fields["keyword1"]["value"] == "已恢复供气" and fields["keyword3"]["value"] == "12月2日（周三）16:40恢复"
    assert all(len(f["value"]) <= 20 for f in render.template_fields("published", notice(reason="因" * 40)).values())
