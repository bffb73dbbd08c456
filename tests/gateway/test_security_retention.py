"""Retention (PIPL): old conversations deleted, closed tickets kept with masked personal fields, and one
customer's data exported or erased by a supervisor on request."""
from __future__ import annotations

import uuid
from datetime import timedelta

from redis import Redis
from sqlalchemy import func, select

from gateway.clock import now
from gateway.models import AnswerFeedback, AuditRecord, Conversation, Handoff, Message, Rating, Ticket, TicketEvent
from gateway.notices.models import NoticeSubscription
from gateway.retention import purge_expired
from tests.gateway.fast_app import logged_in, run

PHONE = "13912345678"


def _conversation(session, *, days_ago: int, state: str = "bot", phone: str | None = None) -> str:
    at = now() - timedelta(days=days_ago)
    conversation_id = f"web:{uuid.uuid4().hex}"
    session.add(Conversation(id=conversation_id, channel="web", customer_key=conversation_id, state=state,
                             verified_phone=phone, created_at=at))
    session.add(Message(conversation_id=conversation_id, role="customer", text=f"我的电话{PHONE}，燃气表坏了", at=at))
    session.add(Message(conversation_id=conversation_id, role="bot", text="好的，已为您登记。", at=at))
    return conversation_id


def _ticket(session, conversation_id: str, *, status: str, days_ago: int) -> str:
    at = now() - timedelta(days=days_ago)
    number = f"BX{at:%Y%m%d}-{uuid.uuid4().int % 9000 + 1000}"
    ticket = Ticket(ticket_no=number, type="repair", utility="gas", contact_phone=PHONE, account_no="20318845",
                    address="北京市朝阳区花家地小区3号楼2单元501", description=f"燃气表不走了，联系{PHONE}",
                    channel="web", conversation_id=conversation_id, customer_key=conversation_id, status=status,
                    created_at=at, updated_at=at)
    session.add(ticket)
    return number


def test_the_purge_deletes_old_conversations_and_masks_closed_tickets(migrated_database) -> None:
    async def arrange(session):
        old, recent = _conversation(session, days_ago=200), _conversation(session, days_ago=10)
        waiting = _conversation(session, days_ago=200, state="waiting")
        await session.flush()
        session.add(Handoff(id=str(uuid.uuid4()), conversation_id=old, channel="web", reason="customer_request",
                            packet={"summary": f"客户电话{PHONE}"}, status="closed", created_at=now()))
        session.add(Rating(conversation_id=old, score=5))
        closed = _ticket(session, old, status="已关闭", days_ago=200)
        still_open = _ticket(session, old, status="处理中", days_ago=200)
        await session.flush()
        ticket = (await session.execute(select(Ticket).where(Ticket.ticket_no == closed))).scalar_one()
        session.add(TicketEvent(ticket_id=ticket.id, status="已关闭", by="zhang", note=f"已电话{PHONE}回访",
                                at=now() - timedelta(days=200)))
        await session.commit()
        return old, recent, waiting, closed, still_open

    old, recent, waiting, closed, still_open = run(migrated_database, arrange)
    erased = run(migrated_database, lambda session: purge_expired(session, days=180))
    assert erased.conversations >= 1 and erased.tickets_masked >= 1

    async def check(session):
        present = set(await session.scalars(select(Conversation.id).where(Conversation.id.in_([old, recent, waiting]))))
        assert present == {recent, waiting}          # idle 200 days: gone; recent or with an agent: kept
        assert await session.scalar(select(func.count()).select_from(Message)
                                    .where(Message.conversation_id == old)) == 0
        assert await session.scalar(select(func.count()).select_from(Handoff)
                                    .where(Handoff.conversation_id == old)) == 0
        masked = (await session.execute(select(Ticket).where(Ticket.ticket_no == closed))).scalar_one()
        assert masked.contact_phone == "139****5678" and masked.account_no == "****8845"
        assert masked.address == "北京市朝阳区****" and PHONE not in masked.description
        assert masked.customer_key.startswith("anon:") and masked.conversation_id.startswith("anon:")
        assert all(PHONE not in (e.note or "") for e in masked.history)
        kept = (await session.execute(select(Ticket).where(Ticket.ticket_no == still_open))).scalar_one()
        assert kept.contact_phone == PHONE and kept.address.endswith("501")   # open: the crew still needs it
        assert await session.scalar(select(func.count()).select_from(AuditRecord)
                                    .where(AuditRecord.action == "privacy.purge")) >= 1
    run(migrated_database, check)


def test_a_shorter_retention_period_is_configurable(migrated_database) -> None:
    conversation = run(migrated_database, lambda s: _commit(s, lambda: _conversation(s, days_ago=40)))
    run(migrated_database, lambda session: purge_expired(session, days=180))
    assert run(migrated_database, lambda s: s.get(Conversation, conversation)) is not None
    run(migrated_database, lambda session: purge_expired(session, days=30))
    assert run(migrated_database, lambda s: s.get(Conversation, conversation)) is None


async def _commit(session, make):
    value = make()
    await session.commit()
    return value


def test_a_supervisor_exports_and_erases_one_customers_data(make_client, migrated_database, redis_url) -> None:
    phone = f"137{uuid.uuid4().int % 10**8:08d}"

    async def arrange(session):
        conversation = _conversation(session, days_ago=1, phone=phone)
        other = _conversation(session, days_ago=1)
        await session.flush()
        ticket = _ticket(session, conversation, status="处理中", days_ago=1)
        await session.commit()
        await session.execute(Ticket.__table__.update().where(Ticket.ticket_no == ticket).values(contact_phone=phone))
        await session.commit()
        return conversation, other, ticket

    conversation, other, ticket = run(migrated_database, arrange)
    agent = logged_in(make_client(), "fast-agent")
    assert agent.get("/agent/api/privacy/export", params={"phone": phone}).status_code == 403
    assert agent.post("/agent/api/privacy/erase", json={"phone": phone}).status_code == 403

    boss = logged_in(make_client(), "fast-boss")
    assert boss.get("/agent/api/privacy/export").status_code == 422
    assert boss.post("/agent/api/privacy/erase", json={"phone": phone, "conversation_id": conversation}).status_code == 422
    exported = boss.get("/agent/api/privacy/export", params={"phone": phone}).json()
    assert [c["id"] for c in exported["conversations"]] == [conversation]
    assert exported["conversations"][0]["messages"][0]["text"].startswith("我的电话")
    assert [t["ticket_no"] for t in exported["tickets"]] == [ticket] and exported["tickets"][0]["contact_phone"] == phone

    tracker = f"assistant:tracker:{conversation}"      # Rasa's Redis tracker store (bot/endpoints.yml)
    redis = Redis.from_url(redis_url)
    redis.set(tracker, "{}")
    assert boss.post("/agent/api/privacy/erase", json={"phone": phone}).json() == \
        {"conversations": 1, "messages": 2, "tickets_masked": 1}
    assert run(migrated_database, lambda s: s.get(Conversation, conversation)) is None and not redis.exists(tracker)
    assert run(migrated_database, lambda s: s.get(Conversation, other)) is not None      # another customer's stays
    after = boss.get("/agent/api/privacy/export", params={"phone": phone}).json()
    assert after["conversations"] == [] and after["tickets"] == []
    record = boss.get(f"/agent/api/tickets/{ticket}").json()
    assert record["contact_phone"] == f"{phone[:3]}****{phone[-4:]}" and record["address"] == "北京市朝阳区****"
    actions = run(migrated_database, lambda s: s.scalars(select(AuditRecord.action).where(
        AuditRecord.actor == "fast-boss", AuditRecord.action.like("privacy.%"))))
    assert {"privacy.export", "privacy.erase"} <= set(actions)


def test_the_purge_also_deletes_a_conversations_answer_ratings_and_outage_reminders(migrated_database) -> None:
    """A reminder holds the customer's address; a rating points at a message: both go with the conversation."""
    async def arrange(session):
        old = _conversation(session, days_ago=200)
        await session.flush()
        answer = Message(conversation_id=old, role="bot", text="燃气费可以到营业厅缴纳。", at=now() - timedelta(days=200),
                         meta={"kind": "answer", "entries": ["gas.hall.payment"]})
        session.add(answer)
        await session.flush()
        session.add(AnswerFeedback(message_id=answer.id, conversation_id=old, channel="web", company=None,
                                   entry_id="gas.hall.payment", helpful=False, at=now() - timedelta(days=200)))
        session.add(NoticeSubscription(conversation_id=old, channel="web", company=None, address="花家地小区3号楼",
                                       place={}, place_key="花家地", created_at=now() - timedelta(days=200)))
        await session.commit()
        return old

    old = run(migrated_database, arrange)
    run(migrated_database, lambda session: purge_expired(session, days=180))

    async def left(session):
        return [await session.scalar(select(func.count()).select_from(model).where(model.conversation_id == old))
                for model in (Conversation, Message, AnswerFeedback, NoticeSubscription) if model is not Conversation] \
            + [await session.scalar(select(func.count()).select_from(Conversation).where(Conversation.id == old))]

    assert run(migrated_database, left) == [0, 0, 0, 0]
