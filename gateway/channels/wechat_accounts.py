"""The deployment's WeChat official accounts: the default one on /wechat (WECHAT_TOKEN, WECHAT_APP_ID…, serving
the default company) and each further one on /wechat/{name} (bindings file: app id and company; environment:
WECHAT_<NAME>_TOKEN, WECHAT_<NAME>_APP_SECRET, WECHAT_<NAME>_ENCODING_AES_KEY).

A conversation names its account: wechat:<openid> on the default account, wechat:<name>:<openid> on another, so
agent replies and ticket notices leave through the account the customer wrote to (an openid is only valid there).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import ids
from gateway.bindings import Bindings
from gateway.config import Settings

if TYPE_CHECKING:
    from gateway.channels.wechat_api import WeChatApi


@dataclass(frozen=True)
class WeChatAccount:
    name: str | None               # None: the default account on /wechat
    token: str
    app_id: str | None
    app_secret: str | None
    aes_key: str | None
    company: str | None

    def conversation_id(self, openid: str) -> str:
        return ids.conversation_id(ids.Channel.WECHAT, openid if self.name is None else f"{self.name}:{openid}")

    @property
    def can_send(self) -> bool:
        """The customer-service and template message APIs need the app id and secret."""
        return bool(self.app_id and self.app_secret)


def configured_accounts(settings: Settings, bindings: Bindings) -> dict[str | None, WeChatAccount]:
    """Accounts whose token is set; the others answer 404."""
    accounts: dict[str | None, WeChatAccount] = {}
    if settings.wechat_token:
        accounts[None] = WeChatAccount(None, settings.wechat_token, settings.wechat_app_id, settings.wechat_app_secret,
                                       settings.wechat_encoding_aes_key, bindings.default_company)
    for name, binding in bindings.wechat_accounts.items():
        env = f"WECHAT_{name.upper()}_"
        token = os.environ.get(env + "TOKEN")
        if token:
            accounts[name] = WeChatAccount(name, token, binding.app_id, os.environ.get(env + "APP_SECRET"),
                                           os.environ.get(env + "ENCODING_AES_KEY"), binding.company)
    return accounts


def account_and_openid(conversation_id: str) -> tuple[str | None, str]:
    """(account name or None for the default account, openid) of a WeChat conversation id."""
    name, _, openid = ids.native_id(conversation_id).rpartition(":")
    return name or None, openid


class WeChatApis:
    """The outbound API of each account that has its app secret, found by conversation id."""

    def __init__(self, settings: Settings, accounts: dict[str | None, WeChatAccount]) -> None:
        from gateway.channels.wechat_api import WeChatApi

        self._apis = {name: WeChatApi(settings, account.app_id, account.app_secret)
                      for name, account in accounts.items() if account.can_send}

    def __bool__(self) -> bool:
        return bool(self._apis)

    def for_conversation(self, conversation_id: str) -> tuple[WeChatApi | None, str]:
        name, openid = account_and_openid(conversation_id)
        return self._apis.get(name), openid
