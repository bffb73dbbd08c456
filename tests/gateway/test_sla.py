"""The ticket clock counts China's working days, holidays and 调休 included."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from gateway.clock import CHINA
from gateway.sla import add_working_days, due, due_text
from gateway.ticket_sla import sla_for


def test_a_residential_installation_applied_for_before_national_day_skips_the_holiday() -> None:
    applied = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA)
    sla = sla_for("installation", "gas", applied, customer_type="residential")
    assert sla.limit.value == 7 and sla.limit.unit == "working_days"
    holiday = {date(2026, 10, 1) + timedelta(days=i) for i in range(7)}
    assert sla.due_at.date() > max(holiday)
    counted = [applied.date() + timedelta(days=i) for i in range(1, (sla.due_at.date() - applied.date()).days + 1)]
    import chinese_calendar
    assert sum(chinese_calendar.is_workday(d) for d in counted) == 7
    assert not sla.provisional


def test_a_make_up_working_day_counts() -> None:
    # 2026-10-10 (Saturday) is a 调休 working day after the National Day holiday.
    import chinese_calendar
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert add_working_days(datetime(2026, 10, 9, 9, tzinfo=CHINA), 1).at.date() == date(2026, 10, 10)


def test_deadlines_beyond_the_known_calendar_are_marked_provisional() -> None:
    due_at = add_working_days(datetime(2026, 12, 28, 9, tzinfo=CHINA), 7)
    assert due_at.provisional
    assert due_at.at.date() >= date(2027, 1, 6)


def test_hour_limits_count_the_clock_not_working_days() -> None:
    start = datetime(2026, 10, 1, 9, 30, tzinfo=CHINA)
    assert due(start, 24, "hours").at == start + timedelta(hours=24)
    assert sla_for("repair", "gas", start).due_at == start + timedelta(hours=24)


def test_limits_come_from_the_handbook_or_not_at_all() -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    assert sla_for("complaint", "gas", start).limit.id == "gas.complaint.reply"
    assert sla_for("installation", "gas", start, customer_type="non_residential", external_pipeline=True).limit.value == 35
    assert sla_for("installation", "gas", start, customer_type="non_residential", external_pipeline=False).limit.value == 30
    assert sla_for("repair", "heat", start) is None  # the sources promise no heat repair time


def test_due_text_reads_naturally() -> None:
    assert due_text(datetime(2026, 11, 24, 16, 5, tzinfo=CHINA)) == "11月24日16:05前"
    assert due_text(datetime(2026, 12, 3, 23, 59, 59, tzinfo=CHINA)) == "12月3日前"


def test_an_electricity_repair_in_a_village_gets_the_rural_arrival_time() -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    town = sla_for("repair", "electricity", start, address="幸福小区8栋1单元1201")
    village = sla_for("repair", "electricity", start, address="石河子乡红星村三组12号")
    assert town.limit.value == 40 and village.limit.value == 85
    assert village.due_at == start + timedelta(minutes=85)
    assert sla_for("repair", "electricity", start, company="grid", address="张家屯").limit.value == 85


def test_each_company_promises_only_what_its_own_rules_say() -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    assert sla_for("repair", "electricity", start, company="tianfu", address="红星村") is None, "Tianfu gives no time"
    assert sla_for("repair", "gas", start, company="tianfu") is None
    tianfu = sla_for("complaint", "electricity", start, company="tianfu")
    assert tianfu.limit.id == "electricity.complaint_reply.tianfu" and tianfu.limit.unit == "working_days"
    assert sla_for("complaint", "electricity", start, company="grid").limit.id == "electricity.complaint_reply.grid"
    assert sla_for("complaint", "gas", start, company="kunlun").limit.id == "gas.complaint.reply"
    assert sla_for("repair", "electricity", start, company="kunlun") is None, "Kunlun serves no electricity"


def test_a_report_is_a_complaint_with_its_companys_longer_limit() -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    tianfu = sla_for("complaint", "electricity", start, company="tianfu", description="我要举报抄表员收红包")
    assert tianfu.limit.id == "electricity.report_reply.tianfu" and tianfu.limit.value == 10
    assert tianfu.limit.unit == "working_days"
    assert sla_for("complaint", "electricity", start, company="tianfu", description="抄表员态度差").limit.value == 5
    assert sla_for("complaint", "electricity", start, description="举报有人偷电").limit.id == "electricity.report_reply.grid"
    assert sla_for("complaint", "gas", start, company="kunlun", description="举报偷气") is None, "no limit published"
