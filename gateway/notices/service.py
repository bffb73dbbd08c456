"""Publishing, changing and withdrawing notices (every change kept with who, when and what), the handbook's notice
period for planned interruptions, and which notices concern a place now.

A planned interruption published later than the notice period before it starts (昆仑燃气's handbook: 48 hours for
gas, 第2条) is accepted and marked short_notice for supervisors, never refused: customers are better told late than
not at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, Row, Select, String, bindparam, func, literal_column, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clock import now
from gateway.models import AuditRecord, Conversation, Ticket
from gateway.notices import render
from gateway.notices.areas import Coverage, Place, best_coverage, parse_place
from gateway.notices.models import Notice, NoticeChange, NoticeDelivery, NoticeSubscription
from gateway.ticket_sla import knowledge
from gateway.turn_store import turns_for
from knowledge.companies import companies

UTILITIES = ("gas", "electricity", "heat")
KINDS = ("planned", "fault", "restored")
DEFAULT_NOTICE_HOURS = 48          # the handbook's period; used for every company and utility that states none
RESTORED_SHOWN_HOURS = 6           # a restored notice is still answered for this long ("已于16:40恢复")
EDITABLE = ("kind", "areas", "starts_at", "ends_at", "restored_at", "reason", "text")


class NoticeError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class NewNotice:
    utility: str
    company: str
    kind: str
    areas: list[str]
    starts_at: datetime
    ends_at: datetime | None
    reason: str
    text: str | None = None
    restored_at: datetime | None = None


@dataclass(frozen=True)
class NoticePeriod:
    hours: float
    citation: str | None        # where the company promises it; None: the deployment's default


def notice_period(utility: str, company: str) -> NoticePeriod:
    """How long before a planned interruption customers are to be told: the company's own committed limit for the
    utility (knowledge/time_limits.yml, planned_outage_notice), else DEFAULT_NOTICE_HOURS."""
    for limit in knowledge().time_limits.values():
        if limit.service == "planned_outage_notice" and limit.utility == utility and limit.commitment \
                and limit.source.company == company and limit.unit == "hours":
            return NoticePeriod(limit.value, f"{limit.source.cite_as}{limit.clause}")
    return NoticePeriod(DEFAULT_NOTICE_HOURS, None)


def short_notice_detail(notice: Notice) -> str | None:
    """For supervisors: why the notice is flagged."""
    if not notice.short_notice:
        return None
    period = notice_period(notice.utility, notice.company)
    ahead = max((notice.starts_at - notice.created_at).total_seconds() / 3600, 0)
    rule = f"（{period.citation}）" if period.citation else ""
    return f"计划停供应至少提前{period.hours:g}小时通知{rule}，本通知发布时距开始仅{ahead:.0f}小时。"


def _is_short(kind: str, utility: str, company: str, starts_at: datetime, published_at: datetime) -> bool:
    hours = notice_period(utility, company).hours
    return kind == "planned" and starts_at - published_at < timedelta(hours=hours)


def check_areas(areas: list[str]) -> list[str]:
    """The areas, tidied; NoticeError naming those that name no place."""
    tidy = [area.strip() for area in areas if area.strip()]
    unreadable = [area for area in tidy if parse_place(area) is None]
    if not tidy or unreadable:
        raise NoticeError(422, "无法识别的区域：" + "、".join(unreadable) if unreadable else "请填写影响区域")
    return list(dict.fromkeys(tidy))


def check_company(utility: str, company: str | None) -> str:
    profile = companies().get(company or "")
    if profile is None:
        raise NoticeError(422, "请指定发布通知的公司")
    if utility not in profile.utilities:
        raise NoticeError(422, f"{profile.name}不经营这项业务")
    return profile.id


def _check_times(kind: str, starts_at: datetime, ends_at: datetime | None) -> None:
    if kind == "planned" and ends_at is None:
        raise NoticeError(422, "计划停供须填写预计结束时间")
    if ends_at is not None and ends_at <= starts_at:
        raise NoticeError(422, "结束时间必须晚于开始时间")


def snapshot(notice: Notice) -> dict[str, Any]:
    """The notice as customers may see it (no author): what each change records and the push renders."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None
    return {"id": notice.id, "utility": notice.utility, "company": notice.company, "kind": notice.kind,
            "areas": list(notice.areas), "starts_at": iso(notice.starts_at), "ends_at": iso(notice.ends_at),
            "restored_at": iso(notice.restored_at), "reason": notice.reason, "text": notice.text,
            "status": notice.status, "version": notice.version, "updated_at": iso(notice.updated_at)}


def _record(session: AsyncSession, notice: Notice, action: str, actor: str, changes: dict[str, Any]) -> None:
    session.add(NoticeChange(notice_id=notice.id, version=notice.version, action=action, by=actor, at=now(),
                             changes=changes, snapshot=snapshot(notice)))
    session.add(AuditRecord(actor=actor, action=f"notice.{action}", target=f"notice:{notice.id}",
                            detail={"version": notice.version, "fields": sorted(changes),
                                    "short_notice": notice.short_notice}))


async def publish(session: AsyncSession, new: NewNotice, actor: str) -> Notice:
    _check_times(new.kind, new.starts_at, new.ends_at)
    at = now()
    notice = Notice(utility=new.utility, company=check_company(new.utility, new.company), kind=new.kind,
                    areas=check_areas(new.areas), starts_at=new.starts_at, ends_at=new.ends_at,
                    restored_at=(new.restored_at or at) if new.kind == "restored" else None, reason=new.reason,
                    text=new.text, status="published", version=1, created_by=actor, created_at=at, updated_at=at,
                    short_notice=_is_short(new.kind, new.utility, new.company, new.starts_at, at))
    session.add(notice)
    await session.flush()
    _record(session, notice, "published", actor, {"notice": [None, snapshot(notice)]})
    await session.commit()
    return notice


async def update(session: AsyncSession, notice: Notice, fields: dict[str, Any], actor: str) -> Notice:
    """A new expected end, a correction, or restored (kind "restored"): one change, pushed to subscribers."""
    if notice.status == "withdrawn":
        raise NoticeError(409, "已撤回的通知不能再修改")
    if "areas" in fields:
        fields["areas"] = check_areas(fields["areas"])
    if fields.get("kind") == "restored" and notice.kind != "restored" and not fields.get("restored_at"):
        fields["restored_at"] = now()
    changes = {name: [_plain(getattr(notice, name)), _plain(value)] for name, value in fields.items()
               if name in EDITABLE and getattr(notice, name) != value}
    if not changes:
        return notice
    kind = fields.get("kind", notice.kind)
    _check_times(kind, fields.get("starts_at", notice.starts_at), fields.get("ends_at", notice.ends_at))
    restored = kind == "restored" and notice.kind != "restored"
    for name in changes:
        setattr(notice, name, fields[name])
    notice.short_notice = _is_short(notice.kind, notice.utility, notice.company, notice.starts_at, notice.created_at)
    notice.version += 1
    notice.updated_at = now()
    _record(session, notice, "restored" if restored else "updated", actor, changes)
    await session.commit()
    return notice


async def withdraw(session: AsyncSession, notice: Notice, actor: str) -> Notice:
    if notice.status == "withdrawn":
        raise NoticeError(409, "通知已撤回")
    notice.status = "withdrawn"
    notice.version += 1
    notice.updated_at = now()
    _record(session, notice, "withdrawn", actor, {"status": ["published", "withdrawn"]})
    await session.commit()
    return notice


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# -- queries --------------------------------------------------------------------------------------------------

def is_active(notice: Notice, at: datetime) -> bool:
    return notice.kind != "restored" and notice.starts_at <= at and (notice.ends_at is None or notice.ends_at > at)


def is_current(notice: Notice, at: datetime, within_hours: float) -> bool:
    """Published, not over, and started or starting within the next `within_hours`."""
    if notice.status != "published" or notice.kind == "restored":
        return False
    return (notice.ends_at is None or notice.ends_at > at) and notice.starts_at <= at + timedelta(hours=within_hours)


def recently_restored(notice: Notice, at: datetime, hours: float = RESTORED_SHOWN_HOURS) -> bool:
    return notice.status == "published" and notice.kind == "restored" and notice.restored_at is not None \
        and at - timedelta(hours=hours) <= notice.restored_at <= at


_NOTICES = Notice.__table__


def _published_statement(by_utility: bool, by_company: bool) -> Select:
    query = select(_NOTICES).where(_NOTICES.c.status == "published", or_(
        _NOTICES.c.ends_at.is_(None), _NOTICES.c.ends_at > bindparam("since"), _NOTICES.c.restored_at > bindparam("since")))
    if by_utility:
        query = query.where(_NOTICES.c.utility == bindparam("utility"))
    if by_company:
        query = query.where(_NOTICES.c.company == bindparam("company"))
    return query.order_by(_NOTICES.c.starts_at, _NOTICES.c.id)


# built once (their SQL compiled once per dialect): the assistant asks on every fault report
_PUBLISHED = {(u, c): _published_statement(u, c) for u in (False, True) for c in (False, True)}


def published_rows(connection: Connection, utility: str | None, company: str | None, at: datetime) -> list[Row]:
    """published(), on a connection."""
    query = _PUBLISHED[bool(utility), bool(company)]
    return list(connection.execute(query, {"since": at - timedelta(days=1), "utility": utility, "company": company}))


async def published(session: AsyncSession, utility: str | None = None, company: str | None = None,
                    at: datetime | None = None) -> list[Row]:
    """Published notices not over a day ago (or restored within a day), of one utility and company if given: rows
    with a Notice's fields, read with Core statements where the chat path reads (gateway/turn_store.py; the
    assistant asks on every fault report)."""
    return await turns_for(session).read(published_rows, utility, company, at or now())


@dataclass(frozen=True)
class Match:
    notice: Notice
    area: str                  # the notice's area that concerns the place, as the company wrote it
    coverage: Coverage
    active: bool


def match_notice(notice: Notice, place: Place, at: datetime, within_hours: float,
                 restored_hours: float = RESTORED_SHOWN_HOURS) -> Match | None:
    if not (is_current(notice, at, within_hours) or recently_restored(notice, at, restored_hours)):
        return None
    parsed = [(area, parsed) for area in notice.areas if (parsed := parse_place(area)) is not None]
    best = best_coverage([p for _, p in parsed], place)
    if best is None:
        return None
    area = next(text for text, p in parsed if p is best[0])
    return Match(notice, area, best[1], is_active(notice, at))


def matching(notices: list[Row], place: Place, at: datetime, within_hours: float) -> list[Match]:
    """Of the published notices, those concerning the place: active ones first, then coming ones by start, then
    recently restored."""
    found = [m for n in notices if (m := match_notice(n, place, at, within_hours)) is not None]
    found.sort(key=lambda m: (m.notice.kind == "restored", not m.active, m.notice.starts_at))
    return found


async def for_place(session: AsyncSession, place: Place, *, utility: str | None = None, company: str | None = None,
                    within_hours: float = 24, at: datetime | None = None) -> list[Match]:
    """Notices concerning the place: active ones first, then coming ones by start, then recently restored."""
    at = at or now()
    return matching(await published(session, utility, company, at), place, at, within_hours)


# -- places known for a customer -------------------------------------------------------------------------------

@dataclass(frozen=True)
class KnownPlace:
    address: str
    source: str                 # ticket | subscription
    place: Place = field(compare=False)


_TICKETS = Ticket.__table__
_CONVERSATIONS = Conversation.__table__
_SUBSCRIPTIONS = NoticeSubscription.__table__


def _of_conversation(value: Any) -> Any:
    return select(value).where(_CONVERSATIONS.c.id == bindparam("conversation_id")).scalar_subquery()


def _known_statement() -> Select:
    """The addresses on the customer's tickets (this channel identity, or the phone given, else the one proved on
    the conversation), newest five, then those of their subscriptions: one statement."""
    phone = func.coalesce(bindparam("phone", type_=String()),
                          _of_conversation(func.nullif(_CONVERSATIONS.c.verified_phone, "")))
    newest = select(_TICKETS.c.address, _TICKETS.c.id).where(
        or_(_TICKETS.c.customer_key == _of_conversation(_CONVERSATIONS.c.customer_key), _TICKETS.c.contact_phone == phone),
        _TICKETS.c.address.is_not(None)).order_by(_TICKETS.c.id.desc()).limit(5).subquery()
    tickets = select(newest.c.address, literal_column("'ticket'", String()).label("source"),
                     literal_column("0", Integer()).label("part"), (-newest.c.id).label("position"))
    subscriptions = select(_SUBSCRIPTIONS.c.address, literal_column("'subscription'", String()),
                           literal_column("1", Integer()), _SUBSCRIPTIONS.c.id).where(
        _SUBSCRIPTIONS.c.conversation_id == bindparam("conversation_id"), _SUBSCRIPTIONS.c.cancelled_at.is_(None))
    both = union_all(tickets, subscriptions).subquery()
    return select(both.c.address, both.c.source).order_by(both.c.part, both.c.position)


_KNOWN = _known_statement()


def known_addresses(connection: Connection, conversation_id: str | None, phone: str | None) -> list[tuple[str, str]]:
    """(address, "ticket" | "subscription") the customer gave before, on a connection."""
    rows = connection.execute(_KNOWN, {"conversation_id": conversation_id or None, "phone": phone or None})
    return [(address, source) for address, source in rows if address or source == "subscription"]


def places_of(addresses: list[tuple[str, str]]) -> list[KnownPlace]:
    """The addresses that name a place, each place once (its first address)."""
    known: list[KnownPlace] = []
    for address, source in addresses:
        place = parse_place(address)
        if place is not None and all(k.place.key != place.key for k in known):
            known.append(KnownPlace(address, source, place))
    return known


async def known_places(session: AsyncSession, conversation_id: str | None = None,
                       phone: str | None = None) -> list[KnownPlace]:
    """Addresses the customer gave before: their tickets (this channel identity, or a phone they proved or call
    from), newest first, then their subscriptions."""
    return places_of(await turns_for(session).read(known_addresses, conversation_id, phone))


MAX_SPOKEN_NOTICES = 2


async def spoken_for_caller(session: AsyncSession, phone: str, company: str | None, at: datetime | None = None) -> str:
    """What a caller hears right after the greeting when an address on their tickets (contact phone = the calling
    number) is under an active notice; "" otherwise."""
    if not phone.isdigit():
        return ""
    at = at or now()
    for known in await known_places(session, phone=phone):
        active = [m for m in await for_place(session, known.place, company=company, within_hours=0, at=at) if m.active]
        if active:
            heard = "".join(render.spoken_text(snapshot(m.notice), at, m.area) for m in active[:MAX_SPOKEN_NOTICES])
            return f"您登记的地址{render.spoken_place(known.place.text)}目前在停供范围内：{heard}"
    return ""


async def delivery_counts(session: AsyncSession, notice_id: int) -> dict[str, int]:
    rows = await session.execute(select(NoticeDelivery.status).join(
        NoticeChange, NoticeChange.id == NoticeDelivery.change_id).where(NoticeChange.notice_id == notice_id))
    counts: dict[str, int] = {}
    for (status,) in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts


async def history(session: AsyncSession, notice_id: int) -> list[NoticeChange]:
    rows = await session.scalars(select(NoticeChange).where(NoticeChange.notice_id == notice_id)
                                 .order_by(NoticeChange.version))
    return list(rows.all())
