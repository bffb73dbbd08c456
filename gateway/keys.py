"""Every Redis key and channel the gateway uses, with its lifetime, in one place."""
from __future__ import annotations

PREFIX = "ua"
AGENT_SESSION_TTL = 12 * 3600
RATE_WINDOW_SECONDS = 60
DEDUPE_TTL = 24 * 3600


def agent_session(session_id: str) -> str:
    return f"{PREFIX}:agent-session:{session_id}"


def widget_sessions(address: str, window: int) -> str:
    """New widget sessions from one client address in one minute."""
    return f"{PREFIX}:widget-sessions:{address}:{window}"


def login_failures(kind: str, value: str) -> str:
    """Failed agent logins per account name (known or not) or per client address, in the current window."""
    return f"{PREFIX}:login-failures:{kind}:{value}"


def rate(conversation_id: str, window: int) -> str:
    return f"{PREFIX}:rate:{conversation_id}:{window}"


def dedupe(conversation_id: str, client_id: str) -> str:
    return f"{PREFIX}:dedupe:{conversation_id}:{client_id}"


def conversation_lock(conversation_id: str) -> str:
    return f"{PREFIX}:lock:conversation:{conversation_id}"


def conversation_channel(conversation_id: str) -> str:
    return f"{PREFIX}:events:conversation:{conversation_id}"


AGENTS_CHANNEL = f"{PREFIX}:events:agents"


def job_lease(job: str) -> str:
    """Held by the one gateway process that runs a periodic job this round (SET NX with the round's length)."""
    return f"{PREFIX}:lease:{job}"
