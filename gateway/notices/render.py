"""Outage notices in words: for a screen ("12月2日（周三）8:00至18:00"), for the phone ("明天上午8点到下午6点"), for a
push message about one change, and as WeChat template fields. Every time comes from the notice; none is made up
(a fault whose end is not known says so)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from gateway.clock import CHINA

VERBS = {"gas": ("燃气", "停气", "供气"), "electricity": ("电力", "停电", "供电"), "heat": ("供热", "停暖", "供暖")}
WEEKDAYS = "一二三四五六日"
MAX_AREAS_SHOWN = 4
TEMPLATE_FIELD_CHARS = 20      # WeChat cuts template keyword values beyond this
UNSUBSCRIBE_HINT = "回复“退订提醒”可取消提醒。"


def _at(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.astimezone(CHINA) if value else None
    return datetime.fromisoformat(value).astimezone(CHINA)


def day(moment: datetime) -> str:
    return f"{moment.month}月{moment.day}日（周{WEEKDAYS[moment.weekday()]}）"


def clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def period(starts: datetime, ends: datetime | None) -> str:
    """12月2日（周三）8:00至18:00; 12月2日（周三）22:00至12月3日（周四）6:00; 11月30日（周一）14:20起."""
    if ends is None:
        return f"{day(starts)}{clock(starts)}起"
    if ends.date() == starts.date():
        return f"{day(starts)}{clock(starts)}至{clock(ends)}"
    return f"{day(starts)}{clock(starts)}至{day(ends)}{clock(ends)}"


def areas_text(areas: list[str]) -> str:
    shown = "、".join(areas[:MAX_AREAS_SHOWN])
    return shown + (f"等{len(areas)}处" if len(areas) > MAX_AREAS_SHOWN else "")


def label(notice: dict[str, Any]) -> str:
    """【计划停气】, 【故障停电】, 【已恢复供暖】."""
    _, stop, supply = VERBS[notice["utility"]]
    if notice["kind"] == "restored":
        return f"已恢复{supply}"
    return ("计划" if notice["kind"] == "planned" else "故障") + stop


def customer_text(notice: dict[str, Any], where: str | None = None) -> str:
    """One notice for a screen. where: the area that concerns the customer (default: all the notice's areas)."""
    _, stop, supply = VERBS[notice["utility"]]
    starts, ends, restored = _at(notice["starts_at"]), _at(notice.get("ends_at")), _at(notice.get("restored_at"))
    assert starts is not None
    place = where or areas_text(notice["areas"])
    reason = notice["reason"].rstrip("。")
    if notice["kind"] == "restored":
        when = f"已于{day(restored)}{clock(restored)}恢复{supply}" if restored else f"已恢复{supply}"
        text = f"【{label(notice)}】{place}：{when}（此前{stop}原因：{reason}）。"
    elif notice["kind"] == "planned":
        text = f"【{label(notice)}】{place}：{period(starts, ends)}{stop}，原因：{reason}。"
    else:
        end = f"预计{day(ends)}{clock(ends)}恢复{supply}" if ends else "恢复时间暂未确定，有进展会及时发布"
        text = f"【{label(notice)}】{place}：{day(starts)}{clock(starts)}起{stop}，原因：{reason}；{end}。"
    own = (notice.get("text") or "").strip()
    return text + (own if not own or own[-1] in "。！？" else own + "。")


# -- the phone -------------------------------------------------------------------------------------------------

def spoken_clock(moment: datetime) -> str:
    """8:00 → 上午8点, 18:30 → 晚上6点半, 12:05 → 中午12点5分."""
    hour = moment.hour
    part = "凌晨" if hour < 6 else "上午" if hour < 12 else "中午" if hour == 12 else "下午" if hour < 18 else "晚上"
    twelve = hour if hour <= 12 else hour - 12
    minutes = "" if moment.minute == 0 else "半" if moment.minute == 30 else f"{moment.minute}分"
    return f"{part}{twelve}点{minutes}"


def spoken_day(moment: datetime, at: datetime) -> str:
    delta = (moment.date() - at.astimezone(CHINA).date()).days
    if delta in (0, 1, 2):
        return ("今天", "明天", "后天")[delta]
    return f"{moment.month}月{moment.day}日星期{WEEKDAYS[moment.weekday()].replace('日', '天')}"


def spoken_place(text: str) -> str:
    return re.sub(r"(\d+)\s*(?:-|—|–|~|～)\s*(\d+)", r"\1到\2", text)


def spoken_text(notice: dict[str, Any], at: datetime, where: str | None = None) -> str:
    """One notice for a caller: relative days, 上午/下午, ranges read as 到."""
    _, stop, supply = VERBS[notice["utility"]]
    starts, ends, restored = _at(notice["starts_at"]), _at(notice.get("ends_at")), _at(notice.get("restored_at"))
    assert starts is not None
    place = spoken_place(where or areas_text(notice["areas"]))
    reason = notice["reason"].rstrip("。")
    if notice["kind"] == "restored":
        when = f"已经在{spoken_day(restored, at)}{spoken_clock(restored)}" if restored else "已经"
        return f"{place}{when}恢复{supply}了。"
    start = f"{spoken_day(starts, at)}{spoken_clock(starts)}"
    if notice["kind"] == "planned":
        end = "" if ends is None else f"到{'' if ends.date() == starts.date() else spoken_day(ends, at)}{spoken_clock(ends)}"
        return f"{place}{start}{end}计划{stop}，原因是{reason}。"
    end = f"预计{spoken_day(ends, at)}{spoken_clock(ends)}恢复{supply}" if ends else "恢复时间还没有确定"
    return f"{place}从{start}起因为{reason}{stop}，{end}。"


# -- push messages about one change ----------------------------------------------------------------------------

def change_text(action: str, notice: dict[str, Any], changes: dict[str, Any], address: str) -> str:
    """The message a subscriber gets for one change of a notice covering their address."""
    _, stop, supply = VERBS[notice["utility"]]
    body = customer_text(notice)
    mine = f"您订阅提醒的地址“{address}”在范围内。"
    if action == "published":
        head = f"{stop}提醒：" if notice["kind"] != "restored" else f"恢复{supply}："
    elif action == "restored":
        head = f"已恢复{supply}："
    elif action == "withdrawn":
        starts, ends = _at(notice["starts_at"]), _at(notice.get("ends_at"))
        assert starts is not None
        return (f"通知取消：原定{period(starts, ends)}{areas_text(notice['areas'])}的{label(notice)}通知已撤回，"
                f"请以最新通知为准。{UNSUBSCRIBE_HINT}")
    else:
        head = f"{stop}通知有更新" + (_what_changed(changes) or "") + "："
    return f"{head}{body}{mine}{UNSUBSCRIBE_HINT}"


def _what_changed(changes: dict[str, Any]) -> str:
    if "ends_at" in changes and changes["ends_at"][1]:
        return "（预计恢复时间已调整）"
    if "starts_at" in changes:
        return "（时间已调整）"
    if "areas" in changes:
        return "（范围已调整）"
    return ""


def template_fields(action: str, notice: dict[str, Any]) -> dict[str, dict[str, str]]:
    """模板消息 keyword values (WeChat's rules since 2023: no first/remark, at most 20 characters a value)."""
    _, stop, supply = VERBS[notice["utility"]]
    starts, ends, restored = _at(notice["starts_at"]), _at(notice.get("ends_at")), _at(notice.get("restored_at"))
    assert starts is not None
    kind = {"published": label(notice), "updated": f"{stop}通知更新", "restored": f"已恢复{supply}",
            "withdrawn": f"{stop}通知撤回"}[action]
    when = f"{day(restored)}{clock(restored)}恢复" if action == "restored" and restored else period(starts, ends)
    values = (kind, areas_text(notice["areas"]), when, notice["reason"])
    return {f"keyword{n}": {"value": _cut(value)} for n, value in enumerate(values, 1)}


def _cut(value: str) -> str:
    return value if len(value) <= TEMPLATE_FIELD_CHARS else value[:TEMPLATE_FIELD_CHARS - 1] + "…"
