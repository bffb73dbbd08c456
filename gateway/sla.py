"""The ticket clock: due times from the handbook's time limits, counting China's working days.

Working days follow the statutory holidays and 调休 make-up days of the chinese-calendar package. Its data
ends with 2026: beyond it, weekends are the only days off and the due time is marked provisional, so an agent
knows to check it (a silent guess would be worse).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar

from gateway.clock import CHINA


@dataclass(frozen=True)
class Due:
    at: datetime
    provisional: bool = False   # the calendar did not know every day counted


def is_workday(day: date) -> tuple[bool, bool]:
    """(is a working day, the calendar knows this day)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: datetime, days: int) -> Due:
    """The end of the N-th working day after the start day (the day of application does not count)."""
    day, counted, known = start.astimezone(CHINA).date(), 0, True
    while counted < days:
        day += timedelta(days=1)
        workday, day_known = is_workday(day)
        known = known and day_known
        counted += workday
    end = datetime.combine(day, datetime.max.time().replace(microsecond=0), tzinfo=CHINA)
    return Due(end, provisional=not known)


def due(start: datetime, value: float, unit: str) -> Due | None:
    """Due time for a limit of value+unit counted from start; None for units that are not a deadline."""
    if unit == "working_days":
        return add_working_days(start, int(value))
    span = {"minutes": timedelta(minutes=value), "hours": timedelta(hours=value), "days": timedelta(days=value),
            "seconds": timedelta(seconds=value)}.get(unit)
    return Due(start + span) if span is not None else None


def due_text(moment: datetime) -> str:
    """How the customer hears the date: 11月24日16:00前, or 12月3日前 for the end of a day."""
    local = moment.astimezone(CHINA)
    if (local.hour, local.minute) == (23, 59):
        return f"{local.month}月{local.day}日前"
    return f"{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}前"
