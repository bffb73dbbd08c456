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
# Agents' and system messages for WeChat customers, sent by one gateway process each (channels/wechat_delivery.py)
WECHAT_OUTBOX = f"{PREFIX}:wechat:outbox"
WECHAT_OUTBOX_MAXLEN = 100_000


def wechat_nonce(account: str | None, timestamp: str, nonce: str) -> str:
    """A signed WeChat request seen once (replays refused for the timestamp tolerance)."""
    return f"{PREFIX}:wechat:nonce:{account or ''}:{timestamp}:{nonce}"


def wechat_message(account: str | None, message_id: str) -> str:
    """One WeChat message (MsgId, or an event's sender, time and key) processed once, its retries skipped."""
    return f"{PREFIX}:wechat:msg:{account or ''}:{message_id}"


def voice_call(call_id: str) -> str:
    """A phone call's turn state (the options read out, the last full answer)."""
    return f"{PREFIX}:voice:{call_id}"


def options(conversation_id: str) -> str:
    """The numbered options last offered on a channel without buttons (WeChat text, the phone)."""
    return f"{PREFIX}:options:{conversation_id}"


def voice_turn(call_id: str, turn_id: str) -> str:
    """A phone turn's reply, kept so the platform's retry of the same turn gets the same answer."""
    return f"{PREFIX}:voice-turn:{call_id}:{turn_id}"


def retention_last_run() -> str:
    """When a gateway last ran the retention purge (epoch seconds), for the metrics' job lag."""
    return f"{PREFIX}:retention:last-run"


def job_lease(job: str) -> str:
    """Held by the one gateway process that runs a periodic job this round (SET NX with the round's length)."""
    return f"{PREFIX}:lease:{job}"


def notice_subscribe_pending(conversation_id: str) -> str:
    """The customer asked for 停电停气提醒: their next message is the address (ten minutes)."""
    return f"{PREFIX}:notices:subscribe:{conversation_id}"
