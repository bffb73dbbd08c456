"""Shared dependencies: settings, database session, Redis, the Rasa client and the callers' identities.

Every dependency is `async def`, even where nothing is awaited: FastAPI runs a plain `def` dependency in a worker
thread, a thread hop per dependency per request (a tenth of the gateway's CPU per message, py-spy)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core import ids
from gateway import keys
from gateway.config import Settings
from gateway.models import Agent
from gateway.rasa_client import RasaClient
from gateway.security import credential_version, service_token_valid


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def get_redis(request: Request) -> Redis:
    return request.app.state.redis


async def get_rasa(request: Request) -> RasaClient:
    return request.app.state.rasa


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
RedisDep = Annotated[Redis, Depends(get_redis)]
RasaDep = Annotated[RasaClient, Depends(get_rasa)]


def check_service_token(authorization: str | None, settings: Settings) -> None:
    """401 unless the Authorization header carries the service token (the action server's, for /internal)."""
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    if not service_token_valid(token, settings.gateway_service_token):
        raise HTTPException(401, "invalid service token")


def require_service_token(request: Request) -> None:
    """check_service_token for a lean route (gateway/lean_route.py): the header and settings ServiceDep reads."""
    check_service_token(request.headers.get("authorization"), request.app.state.settings)


async def require_service(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    check_service_token(authorization, settings)


_WEB = ids.conversation_id(ids.Channel.WEB, "")     # "web:": ids.channel_of's answer, read without splitting


async def conversation_of(request: Request, authorization: Annotated[str | None, Header()] = None,
                    token: Annotated[str | None, Query()] = None) -> str:
    """The conversation id inside the widget's signed token (header, or query for EventSource)."""
    presented = authorization.removeprefix("Bearer ").strip() if authorization else token
    conversation_id = request.app.state.widget_tokens.conversation_of(presented) if presented else None
    if conversation_id is None or not conversation_id.startswith(_WEB):  # the widget's own channel only
        raise HTTPException(401, "会话已失效，请刷新页面")
    return conversation_id


@dataclass(frozen=True)
class AgentIdentity:
    username: str
    role: str
    company: str | None = None     # None: every company (a platform's own operators)

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def editor(self) -> bool:
        """May draft knowledge changes: supervisors, and reviewers (who also publish other people's drafts)."""
        return self.role in ("supervisor", "reviewer")

    def serves(self, company: str | None) -> bool:
        """An agent of a company sees that company's conversations and tickets only."""
        return self.company is None or company == self.company


async def current_agent(request: Request, redis: RedisDep) -> AgentIdentity:
    """The logged-in agent, re-checked on every request: a session ends when the agent is deactivated, changes
    role or password (a short database session of its own, so a live event stream holds none)."""
    session_id = request.cookies.get("agent_session")
    stored = await redis.hgetall(keys.agent_session(session_id)) if session_id else None
    if not stored:
        raise HTTPException(401, "请先登录")
    identity = AgentIdentity(stored[b"username"].decode(), stored[b"role"].decode())
    async with request.app.state.sessionmaker() as session:
        agent = await session.get(Agent, identity.username)
    if agent is None or not agent.active or agent.role != identity.role or \
            credential_version(agent.password_hash) != stored.get(b"credential", b"").decode():
        await redis.delete(keys.agent_session(session_id))
        raise HTTPException(401, "登录已失效，请重新登录")
    return AgentIdentity(identity.username, identity.role, agent.company)


async def current_supervisor(agent: Annotated[AgentIdentity, Depends(current_agent)]) -> AgentIdentity:
    if not agent.supervisor:
        raise HTTPException(403, "需要班长权限")
    return agent


async def current_editor(agent: Annotated[AgentIdentity, Depends(current_agent)]) -> AgentIdentity:
    if not agent.editor:
        raise HTTPException(403, "需要主管或审核员权限")
    return agent


ServiceDep = Annotated[None, Depends(require_service)]
ConversationDep = Annotated[str, Depends(conversation_of)]
AgentDep = Annotated[AgentIdentity, Depends(current_agent)]
SupervisorDep = Annotated[AgentIdentity, Depends(current_supervisor)]
EditorDep = Annotated[AgentIdentity, Depends(current_editor)]
