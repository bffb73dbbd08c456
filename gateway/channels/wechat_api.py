"""Outbound WeChat calls (客服消息, 模板消息) through wechatpy, with the access token cached in Redis.

wechatpy refreshes an expired token and retries once by itself (40001/42001). 45015 means the customer has not
written for 48 hours: the message cannot be delivered and is recorded as such, never retried in a loop.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import redis as sync_redis
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from gateway.config import Settings

logger = logging.getLogger("gateway.wechat")
OUTSIDE_REPLY_WINDOW = 45015


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    errcode: int = 0
    detail: str = ""
    answered: bool = True      # False: no answer from WeChat (network error, timeout): it may have been delivered


class _Client(WeChatClient):
    """wechatpy's client with every URL, the token's included, under one configurable base (a proxy, or the
    local stand-in the tests run)."""

    def fetch_access_token(self):
        return self._fetch_access_token(url=f"{self.API_BASE_URL}token", params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class WeChatApi:
    """One official account's outbound API (its access token is cached under its app id)."""

    def __init__(self, settings: Settings, app_id: str | None = None, app_secret: str | None = None) -> None:
        storage = RedisStorage(sync_redis.Redis.from_url(settings.redis_url), prefix="ua:wechatpy")
        self._client = _Client(app_id or settings.wechat_app_id, app_secret or settings.wechat_app_secret,
                               session=storage, timeout=5)
        self._client.API_BASE_URL = settings.wechat_api_base_url
        self._template = settings.wechat_template_ticket_status

    async def _call(self, function, *args, **kwargs) -> Delivery:
        try:
            await asyncio.to_thread(function, *args, **kwargs)
            return Delivery(True)
        except WeChatClientException as error:
            level = logging.INFO if error.errcode == OUTSIDE_REPLY_WINDOW else logging.WARNING
            logger.log(level, "wechat call failed: %s %s", error.errcode, error.errmsg)
            return Delivery(False, int(error.errcode or 0), str(error.errmsg))
        except Exception as error:  # network errors and timeouts: report, never crash the caller
            logger.warning("wechat call failed: %r", error)
            return Delivery(False, -1, repr(error), answered=False)

    async def send_text(self, openid: str, text: str) -> Delivery:
        return await self._call(self._client.message.send_text, openid, text)

    async def send_ticket_status(self, openid: str, ticket_no: str, status: str, note: str | None) -> Delivery:
        if not self._template:
            return Delivery(False, detail="no template configured")
        data = {"first": {"value": "您的工单有新进展"}, "keyword1": {"value": ticket_no},
                "keyword2": {"value": status}, "remark": {"value": note or "如有疑问请回复消息联系我们。"}}
        return await self._call(self._client.message.send_template, openid, self._template, data)

    async def send_template(self, openid: str, template_id: str, data: dict, client_msg_id: str | None = None) -> Delivery:
        """A 模板消息; client_msg_id (WeChat's 防重入id): the same openid and id within 10 minutes is sent once."""
        body = {"touser": openid, "template_id": template_id, "data": data}
        if client_msg_id:
            body["client_msg_id"] = client_msg_id
        return await self._call(self._client.post, "message/template/send", data=body)
