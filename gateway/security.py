"""Widget session tokens, the service token of the action server, agent passwords and sessions."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections import OrderedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core import ids

_hasher = PasswordHasher()


class WidgetTokens:
    """A signed token carries the conversation id; the client never chooses it."""

    REMEMBERED = 10_000     # tokens whose signature was checked, per process

    def __init__(self, secret: str, max_age_days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="widget-session")
        self._max_age = max_age_days * 86400
        # token -> (conversation id, when the token expires): every message of a widget presents its token, and
        # checking the signature (base64, JSON, HMAC) each time was a fiftieth of the gateway's work per message
        self._checked: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def issue(self) -> tuple[str, str]:
        conversation_id = ids.conversation_id(ids.Channel.WEB, uuid.uuid4().hex)
        return self._serializer.dumps({"c": conversation_id}), conversation_id

    def conversation_of(self, token: str) -> str | None:
        remembered = self._checked.get(token)
        if remembered is not None and time.time() < remembered[1]:
            self._checked.move_to_end(token)
            return remembered[0]
        try:
            payload, signed_at = self._serializer.loads(token, max_age=self._max_age, return_timestamp=True)
            conversation_id = payload["c"]
        except (BadSignature, SignatureExpired, KeyError, TypeError):
            self._checked.pop(token, None)
            return None
        if not isinstance(conversation_id, str):
            return None
        self._checked[token] = (conversation_id, signed_at.timestamp() + self._max_age)
        if len(self._checked) > self.REMEMBERED:
            self._checked.popitem(last=False)
        return conversation_id


def service_token_valid(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# Checked when the account does not exist, so an unknown name costs the same time as a known one.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash(secrets.token_urlsafe(16))


def password_matches(password_hash: str | None, password: str) -> bool:
    """argon2 takes about 190 ms: call it through asyncio.to_thread, never on the event loop."""
    try:
        return _hasher.verify(password_hash or _UNKNOWN_ACCOUNT_HASH, password) and password_hash is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def credential_version(password_hash: str) -> str:
    """Changes whenever the password does: a session remembers it and ends when it no longer matches."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
