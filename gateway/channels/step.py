"""One step for every channel: the option a customer picked by number resolved, the message handled by the chat
path (stored, answered by the bot or routed to the agent), the options of the reply remembered. Channels parse and
verify their own wire format into an `Inbound`, call this, and render the `Turn` their own way.

Channels receive a `ChannelContext` (their dependencies), never the application itself.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import turn_gate
from gateway.channels import options
from gateway.chat import Inbound, Turn, handle
from gateway.config import Settings
from gateway.db import light_session
from gateway.notices import subscriptions
from gateway.rasa_client import RasaClient


@dataclass(frozen=True)
class ChannelContext:
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    rasa: RasaClient
    settings: Settings


async def channel_context(request: Request) -> ChannelContext:
    """FastAPI dependency: the context the application built at start."""
    return request.app.state.channel


async def converse(ctx: ChannelContext, inbound: Inbound, *, numbered_options: bool = False,
                   per_minute: int | None = None) -> Turn:
    """numbered_options: the channel shows buttons as numbered lines (WeChat text, the phone), so "1" picks the
    first option of the last reply and this reply's options are remembered for the next message.
    per_minute: the conversation's message limit (RateLimited beyond it), counted before anything else."""
    if numbered_options:
        inbound = replace(inbound, text=await options.resolve(ctx.redis, inbound.conversation_id, inbound.text))
    async with turn_gate.entered(ctx.redis, inbound.conversation_id, per_minute, inbound.client_id) as gate:
        # 停电停气提醒 / 退订提醒 and the address that follows are handled here, before the assistant
        turn = await subscriptions.intercept(ctx.sessionmaker, ctx.redis, inbound, gate.pending_address)
        if turn is None:
            async with light_session(ctx.sessionmaker) as session:
                turn = await handle(session, ctx.redis, ctx.rasa, inbound, gate=gate)
    if numbered_options:
        await options.remember(ctx.redis, inbound.conversation_id, buttons_of(turn))
    return turn


def buttons_of(turn: Turn) -> list[dict[str, str]]:
    return [button for message in turn.messages for button in (message.get("buttons") or [])]
