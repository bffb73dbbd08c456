"""Configuration of the action server: the only module that reads the environment.

Read at call time, not import time, so a test (or a restarted gateway on another port) is picked up without
reloading the actions.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

logger = logging.getLogger(__name__)

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8000"
DEV_SERVICE_TOKEN = "dev-only-service-token"
GATEWAY_TIMEOUT_SECONDS = 5.0
_warned = False


@dataclass(frozen=True)
class GatewaySettings:
    url: str
    service_token: str
    timeout_seconds: float = GATEWAY_TIMEOUT_SECONDS


def gateway_settings() -> GatewaySettings:
    """GATEWAY_URL (default http://127.0.0.1:8000) and GATEWAY_SERVICE_TOKEN (development default, logged)."""
    global _warned
    token = os.environ.get("GATEWAY_SERVICE_TOKEN") or DEV_SERVICE_TOKEN
    if token == DEV_SERVICE_TOKEN and not _warned:
        logger.warning("GATEWAY_SERVICE_TOKEN is not set: calling the gateway with the development token")
        _warned = True
    return GatewaySettings(url=(os.environ.get("GATEWAY_URL") or DEFAULT_GATEWAY_URL).rstrip("/"),
                           service_token=token)
