"""The push job: each change of a notice (published, updated, restored, withdrawn) goes once to every subscriber
whose address it covers. It runs in one gateway process of the deployment at a time (a Redis lease, renewed before
every send, like gateway/retention.py's hourly lease but short, so a dead holder is replaced within seconds).

Exactly once per subscriber and change, also across restarts and several processes:
- widget: the message goes into the customer's transcript (shown on their next visit, or live when the page is
  open) in the same transaction as the delivery row, whose (subscription, change) key is unique;
- WeChat: the delivery row is inserted (claimed) and committed before the send, and completed after it. A second
  claim of the same pair fails, so no retry, restart or second process sends it again. A claim left by a process
  that died mid-send is settled by the next holder: a template message is sent again with the same client_msg_id
  (WeChat's 防重入id sends one message per openid and id within 10 minutes); a customer-service message, which has
  no such id, is marked "uncertain" and not sent again (WeChat may have delivered it), and supervisors see the count.
A customer who wrote within 48 hours gets a customer-service message (客服消息); otherwise, or when WeChat answers
45015 (window closed), the template message (模板消息) WECHAT_TEMPLATE_OUTAGE_NOTICE.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import ids
from gateway import events, keys
from gateway.background import stop_if_cancelled
from gateway.channels.wechat_accounts import WeChatApis
from gateway.channels.wechat_api import OUTSIDE_REPLY_WINDOW, Delivery
from gateway.clock import now
from gateway.config import Settings
from gateway.conversations import add_message, message_dict
from gateway.models import Conversation, Message
from gateway.notices import render
from gateway.notices.areas import Place, coverage, parse_place
from gateway.notices.models import NoticeChange, NoticeDelivery, NoticeSubscription

logger = logging.getLogger("gateway.notices")
JOB = "notice-push"
CHANGES_PER_ROUND = 10
SERVICE_WINDOW = timedelta(hours=47, minutes=30)   # 客服消息 within 48 hours of the customer's last message
CLIENT_MSG_ID_VALID = timedelta(minutes=9)          # WeChat keeps a client_msg_id for 10 minutes
RETRY_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 3
RETRYABLE = {-1, 45009, 45047}                      # WeChat busy, API limit, too many messages to this user
DELIVERED = ("sent", "stored", "uncertain")
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def lease_seconds(settings: Settings) -> int:
    """Long enough for a send (5 s timeout), short enough that a dead holder is replaced quickly."""
    return max(3, int(settings.notice_push_seconds * 3))


@dataclass
class Pusher:
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    apis: WeChatApis
    settings: Settings
    worker: str

    # -- the lease --------------------------------------------------------------------------------------------
    async def holds_lease(self) -> bool:
        """Takes the lease when free, renews it when ours; False when another process holds it."""
        key, ttl = keys.job_lease(JOB), lease_seconds(self.settings)
        if await self.redis.set(key, self.worker, nx=True, ex=ttl):
            return True
        return bool(await self.redis.eval(_RENEW, 1, key, self.worker, ttl * 1000))

    # -- one round ----------------------------------------------------------------------------------------------
    async def round(self) -> int:
        """Settles what a dead holder left, retries, then pushes pending changes; the number of deliveries made."""
        if not await self.holds_lease():
            return 0
        done = await self._settle_abandoned()
        done += await self._retry_due()
        async with self.sessionmaker() as session:
            pending = list(await session.scalars(select(NoticeChange.id).where(NoticeChange.pushed_at.is_(None))
                                                 .order_by(NoticeChange.id).limit(CHANGES_PER_ROUND)))
        for change_id in pending:
            count = await self._push_change(change_id)
            if count is None:       # the lease went to another process: it carries on
                break
            done += count
        return done

    async def _push_change(self, change_id: int) -> int | None:
        async with self.sessionmaker() as session:
            change = await session.get(NoticeChange, change_id)
            if change is None:
                return 0
            subscribers = await self._subscribers(session, change)
            handled = set(await session.scalars(select(NoticeDelivery.subscription_id)
                                                .where(NoticeDelivery.change_id == change_id)))
        count = 0
        for subscription in subscribers:
            if subscription.id in handled:
                continue
            if not await self.holds_lease():
                return None
            count += await self._deliver(subscription, change)
        async with self.sessionmaker() as session:
            await session.execute(update(NoticeChange).where(NoticeChange.id == change_id).values(pushed_at=now()))
            await session.commit()
        return count

    async def _subscribers(self, session: AsyncSession, change: NoticeChange) -> list[NoticeSubscription]:
        """Active subscriptions (made before the change) whose address the notice covers, before or after the
        change; for a withdrawal, those that were told about the notice before."""
        notice = change.snapshot
        query = select(NoticeSubscription).where(
            NoticeSubscription.cancelled_at.is_(None), NoticeSubscription.created_at <= change.at,
            (NoticeSubscription.company.is_(None)) | (NoticeSubscription.company == notice["company"])) \
            .order_by(NoticeSubscription.id)
        if change.action == "withdrawn":
            told = select(NoticeDelivery.subscription_id).join(NoticeChange, NoticeChange.id == NoticeDelivery.change_id) \
                .where(NoticeChange.notice_id == change.notice_id, NoticeDelivery.status.in_(DELIVERED))
            return list(await session.scalars(query.where(NoticeSubscription.id.in_(told))))
        areas = list(notice["areas"]) + list((change.changes.get("areas") or [[]])[0] or [])
        parsed = [p for a in areas if (p := parse_place(a)) is not None]
        return [s for s in await session.scalars(query)
                if any(coverage(area, Place.from_dict(s.place)) is not None for area in parsed)]

    # -- one subscriber ------------------------------------------------------------------------------------------
    async def _deliver(self, subscription: NoticeSubscription, change: NoticeChange) -> int:
        text = render.change_text(change.action, change.snapshot, change.changes, subscription.address)
        if subscription.channel == ids.Channel.WEB.value:
            return await self._to_widget(subscription, change, text)
        if subscription.channel == ids.Channel.WECHAT.value:
            return await self._to_wechat(subscription, change, text)
        return 0

    async def _claim(self, session: AsyncSession, subscription_id: int, change_id: int, status: str,
                     method: str | None) -> bool:
        """Inserts the delivery row; False when the pair has one already (another process, an earlier run)."""
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        result = await session.execute(insert(NoticeDelivery).values(
            subscription_id=subscription_id, change_id=change_id, status=status, method=method, worker=self.worker,
            attempts=1, claimed_at=now(), done_at=now() if status != "claimed" else None)
            .on_conflict_do_nothing(index_elements=["subscription_id", "change_id"]))
        return bool(result.rowcount)

    async def _to_widget(self, subscription: NoticeSubscription, change: NoticeChange, text: str) -> int:
        """The transcript line and the delivery row in one transaction: the customer sees it on their next visit."""
        async with self.sessionmaker() as session:
            if not await self._claim(session, subscription.id, change.id, "stored", "widget"):
                await session.rollback()
                return 0
            if await session.get(Conversation, subscription.conversation_id) is None:
                await self._forget(session, subscription.id, "conversation deleted")
                await session.commit()
                return 0
            message = await add_message(session, subscription.conversation_id, "system", text)
            await session.commit()
        try:   # an open page shows it at once; a closed one loads it with the history
            await events.publish(self.redis, keys.conversation_channel(subscription.conversation_id), "message",
                                 message_dict(message))
        except RedisError:
            logger.info("notice stored for %s; live event not sent", subscription.conversation_id)
        return 1

    async def _to_wechat(self, subscription: NoticeSubscription, change: NoticeChange, text: str) -> int:
        async with self.sessionmaker() as session:
            if await session.get(Conversation, subscription.conversation_id) is None:
                await self._forget(session, subscription.id, "conversation deleted")
                await session.commit()
                return 0
            recent = await self._wrote_recently(session, subscription.conversation_id)
            method = "custom" if recent else "template"
            if not await self._claim(session, subscription.id, change.id, "claimed", method):
                await session.rollback()
                return 0
            await session.commit()
        return await self._send(subscription, change, text, method)

    async def _send(self, subscription: NoticeSubscription, change: NoticeChange, text: str, method: str) -> int:
        api, openid = self.apis.for_conversation(subscription.conversation_id)
        if api is None:
            await self._finish(subscription.id, change.id, "failed", method, "no WeChat API for this account")
            return 0
        result: Delivery | None = None
        if method == "custom":
            result = await api.send_text(openid, text)
            if not result.delivered and result.errcode == OUTSIDE_REPLY_WINDOW:
                method = "template"
                await self._finish(subscription.id, change.id, "claimed", method, "45015: template instead")
        if method == "template":
            template = self.settings.wechat_template_outage_notice
            if not template:
                await self._finish(subscription.id, change.id, "failed", method, "outside 48 h, no template configured")
                return 0
            result = await api.send_template(openid, template, render.template_fields(change.action, change.snapshot),
                                             client_msg_id=f"outage-{change.id}-{subscription.id}")
        assert result is not None
        if result.delivered:
            await self._finish(subscription.id, change.id, "sent", method, None, transcript=text)
            return 1
        if not result.answered:   # a template is safely sent again (same client_msg_id); a 客服消息 is not
            status = "retry" if method == "template" else "uncertain"
            await self._finish(subscription.id, change.id, status, method, result.detail[:200])
        elif result.errcode in RETRYABLE:
            await self._finish(subscription.id, change.id, "retry", method, f"{result.errcode} {result.detail}"[:200])
        else:
            await self._finish(subscription.id, change.id, "failed", method, f"{result.errcode} {result.detail}"[:200])
        return 0

    async def _finish(self, subscription_id: int, change_id: int, status: str, method: str, detail: str | None,
                      transcript: str | None = None) -> None:
        async with self.sessionmaker() as session:
            await session.execute(update(NoticeDelivery).where(
                NoticeDelivery.subscription_id == subscription_id, NoticeDelivery.change_id == change_id)
                .values(status=status, method=method, detail=detail, done_at=now()))
            if transcript is not None:   # agents see what the customer was sent
                subscription = await session.get(NoticeSubscription, subscription_id)
                if subscription is not None and await session.get(Conversation, subscription.conversation_id):
                    await add_message(session, subscription.conversation_id, "system", transcript)
            await session.commit()

    @staticmethod
    async def _wrote_recently(session: AsyncSession, conversation_id: str) -> bool:
        last = await session.scalar(select(func.max(Message.at)).where(Message.conversation_id == conversation_id,
                                                                        Message.role == "customer"))
        return last is not None and now() - last < SERVICE_WINDOW

    @staticmethod
    async def _forget(session: AsyncSession, subscription_id: int, why: str) -> None:
        """The customer's conversation is gone (retention, erasure): so is their subscription, address and all."""
        await session.execute(delete(NoticeDelivery).where(NoticeDelivery.subscription_id == subscription_id))
        await session.execute(delete(NoticeSubscription).where(NoticeSubscription.id == subscription_id))
        logger.info("subscription %s deleted: %s", subscription_id, why)

    # -- what others left, and retries ------------------------------------------------------------------------
    async def _settle_abandoned(self) -> int:
        """Claims of processes that lost the lease (died mid-send): templates within WeChat's 10 minutes are sent
        again with the same client_msg_id; everything else becomes "uncertain" and is never sent twice."""
        async with self.sessionmaker() as session:
            rows = list(await session.scalars(select(NoticeDelivery).where(
                NoticeDelivery.status == "claimed", NoticeDelivery.worker != self.worker)))
            resend = []
            for row in rows:
                if row.method == "template" and now() - row.claimed_at < CLIENT_MSG_ID_VALID and \
                        await self._take(session, row.id, "claimed"):
                    resend.append((row.subscription_id, row.change_id))
                elif (await session.execute(update(NoticeDelivery).where(
                        NoticeDelivery.id == row.id, NoticeDelivery.status == "claimed",
                        NoticeDelivery.worker == row.worker).values(
                        status="uncertain", done_at=now(), detail="sending process stopped mid-send; not resent"))).rowcount:
                    logger.warning("notice delivery %s left uncertain by %s", row.id, row.worker)
            await session.commit()
        return await self._resend(resend, "template")

    async def _retry_due(self) -> int:
        async with self.sessionmaker() as session:
            rows = list(await session.scalars(select(NoticeDelivery).where(
                NoticeDelivery.status == "retry", NoticeDelivery.done_at < now() - RETRY_AFTER)))
            again, methods = [], {}
            for row in rows:
                if row.attempts >= MAX_ATTEMPTS:
                    row.status, row.detail = "failed", f"gave up after {row.attempts} attempts: {row.detail}"[:200]
                elif await self._take(session, row.id, "retry"):
                    again.append((row.subscription_id, row.change_id))
                    methods[(row.subscription_id, row.change_id)] = row.method or "custom"
            await session.commit()
        done = 0
        for pair in again:
            done += await self._resend([pair], methods[pair])
        return done

    async def _take(self, session: AsyncSession, delivery_id: int, status: str) -> bool:
        """A conditional update: this process sends it, no other."""
        result = await session.execute(update(NoticeDelivery).where(
            NoticeDelivery.id == delivery_id, NoticeDelivery.status == status).values(
            status="claimed", worker=self.worker, attempts=NoticeDelivery.attempts + 1))
        return bool(result.rowcount)

    async def _resend(self, pairs: list[tuple[int, int]], method: str) -> int:
        done = 0
        for subscription_id, change_id in pairs:
            async with self.sessionmaker() as session:
                subscription = await session.get(NoticeSubscription, subscription_id)
                change = await session.get(NoticeChange, change_id)
            if subscription is None or change is None:
                continue
            text = render.change_text(change.action, change.snapshot, change.changes, subscription.address)
            done += await self._send(subscription, change, text, method)
        return done


async def push_forever(sessionmaker: async_sessionmaker[AsyncSession], redis: Redis, apis: WeChatApis,
                       settings: Settings) -> None:
    """Every NOTICE_PUSH_SECONDS, in whichever gateway process holds the lease."""
    pusher = Pusher(sessionmaker, redis, apis, settings, worker_name())
    while True:
        try:
            await pusher.round()
        except asyncio.CancelledError:
            raise
        except (DBAPIError, RedisError) as error:
            logger.error("notice push round skipped, storage unavailable: %s", type(error).__name__)
        except Exception:
            logger.exception("notice push round failed")
        stop_if_cancelled()
        await asyncio.sleep(settings.notice_push_seconds)
