"""The ticket clock counts China's working days, holidays and 调休 included."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from gateway.clock import CHINA
from gateway.sla import add_working_days, due, due_text
from gateway.ticket_sla import sla_for


def test_a_residential_installation_ready_before_national_day_skips_the_holiday() -> None:
    applied = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA)
    sla = sla_for("installation", "gas", applied, company="kunlun", customer_type="residential",
                  conditions_met_on=applied.date())
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
    assert sla_for("repair", "gas", start, company="kunlun").due_at == start + timedelta(hours=24)


def test_limits_come_from_the_handbook_or_not_at_all() -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    assert sla_for("complaint", "gas", start, company="kunlun").limit.id == "gas.complaint.reply"
    kunlun = {"company": "kunlun", "customer_type": "non_residential"}
    assert sla_for("installation", "gas", start, external_pipeline=True, **kunlun).limit.value == 35
    assert sla_for("installation", "gas", start, external_pipeline=False, **kunlun).limit.value == 30
    assert sla_for("repair", "heat", start) is None  # the sources promise no heat repair time


def test_an_unbound_ticket_gets_no_companys_promise_where_several_companies_serve_the_utility() -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    assert sla_for("complaint", "gas", start) is None, "昆仑燃气 48 h or 天富热电: not known which"
    assert sla_for("repair", "electricity", start, area="urban") is None
    heat = sla_for("complaint", "heat", start)   # 天富热电 alone supplies heat: its limit is the customer's
    assert heat.limit.id == "heat.complaint_reply.tianfu" and heat.limit.source.company == "tianfu"


def test_an_installation_clock_starts_when_its_conditions_are_met() -> None:
    applied = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    waiting = sla_for("installation", "gas", applied, company="kunlun", customer_type="residential")
    assert waiting.due_at is None and "具备施工条件" in waiting.text and "7个工作日" in waiting.text
    ready = sla_for("installation", "gas", applied, company="kunlun", customer_type="residential",
                    conditions_met_on=date(2026, 12, 1))
    assert ready.due_at.date() == date(2026, 12, 10)       # 7 working days after Tuesday 1 December


def test_due_text_reads_naturally() -> None:
    assert due_text(datetime(2026, 11, 24, 16, 5, tzinfo=CHINA)) == "11月24日16:05前"
    assert due_text(datetime(2026, 12, 3, 23, 59, 59, tzinfo=CHINA)) == "12月3日前"


def test_a_grid_electricity_repair_arrives_by_area() -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=CHINA)
    grid = {"company": "grid"}
    town = sla_for("repair", "electricity", start, address="幸福小区8栋1单元1201", area="urban", **grid)
    village = sla_for("repair", "electricity", start, address="石河子乡红星村三组12号", **grid)
    remote = sla_for("repair", "electricity", start, address="塔什库尔干牧场", area="remote", **grid)
    assert (town.limit.value, village.limit.value, remote.limit.value) == (40, 85, 120)
    assert village.due_at == start + timedelta(minutes=85)
    assert sla_for("repair", "electricity", start, address="张家屯", **grid).limit.value == 85
    assert sla_for("repair", "electricity", start, address="幸福小区8栋", **grid) is None, "area not known: asked"


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
    assert sla_for("complaint", "electricity", start, company="grid",
                   description="举报有人偷电").limit.id == "electricity.report_reply.grid"
    assert sla_for("complaint", "gas", start, company="kunlun", description="举报偷气") is None, "no limit published"


def test_every_sla_row_and_every_time_limit_walks_to_its_own_company_and_the_coverage_map() -> None:
    """Each ticket promise is its own company's limit, for its utility, and a customer can also ask about it;
    each commitment in time_limits.yml is either a ticket's clock or answered by an entry the coverage map lists."""
    import yaml

    from gateway.ticket_sla import SLA_TABLE, knowledge
    from knowledge.loader import KNOWLEDGE_DIR

    kb = knowledge()
    units = yaml.safe_load((KNOWLEDGE_DIR / "coverage.yml").read_text(encoding="utf-8"))["units"]
    mapped = {entry for unit in units for entry in unit.get("entries") or []}
    asked_about = {limit.id: entry.id for entry in kb.entries for limit in entry.time_limits}
    for (kind, utility, company, case), limit_id in SLA_TABLE.items():
        if limit_id is None:
            continue
        limit = kb.time_limits[limit_id]
        assert limit.source.company == company, (kind, utility, company, case, limit_id)
        assert limit.utility == utility, limit_id
        assert limit_id in asked_about and asked_about[limit_id] in mapped, f"{limit_id}: no covered entry answers it"
    ticket_clocks = {limit_id for limit_id in SLA_TABLE.values() if limit_id}
    for limit in kb.time_limits.values():
        if limit.commitment:
            assert limit.id in ticket_clocks or asked_about.get(limit.id) in mapped, f"{limit.id}: nobody can learn it"
