"""All gateway settings, read from the environment in this one place."""
from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SERVICE_TOKEN = "dev-only-service-token"
DEV_SECRET = "dev-only-session-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    environment: str = "development"             # "production" refuses the development secrets below
    database_url: str = f"sqlite:///{ROOT / '.run' / 'gateway.db'}"
    redis_url: str | None = None                 # unset: the launcher starts an embedded Redis
    rasa_url: str = "http://127.0.0.1:5005"      # several, comma-separated: conversations are pinned
    rasa_timeout_seconds: float = 10.0
    # A message waits this long for its conversation's previous one to be answered, then gets 503 with Retry-After
    # (nothing stored; a retry is safe). Under a burst on a loaded machine a fifth message can wait longer.
    turn_wait_seconds: float = 30.0
    action_server_url: str = "http://127.0.0.1:5055"   # the knowledge preview asks the action server
    gateway_service_token: str = DEV_SERVICE_TOKEN   # the action server's token for /internal
    session_secret: str = DEV_SECRET             # signs widget tokens
    widget_token_max_age_days: int = 30
    agent_session_hours: int = 12
    max_message_chars: int = 500
    max_body_bytes: int = 64 * 1024
    handoff_wait_seconds: int = 120              # no agent by then: place in queue and a callback offer
    working_hours_start: time = time(8, 0)
    working_hours_end: time = time(20, 0)
    messages_per_minute: int = 30                # per conversation, widget
    widget_sessions_per_minute: int = 120        # new widget sessions per client address (carrier NAT shares one)
    login_failures_per_name: int = 10            # failed logins per account name in 15 minutes, then 429
    login_failures_per_address: int = 100        # per client address (a call centre's agents share one)
    # Sites allowed to frame the widget (embed.js): a CSP frame-ancestors source list, e.g.
    # "https://www.company.example https://*.company.example"; the console can never be framed.
    widget_frame_ancestors: str = "*"
    # PIPL: conversations idle this long are deleted, closed tickets keep only masked personal fields
    # (gateway/retention.py); an hourly job of one gateway process applies it.
    retention_days: int = 180
    bindings_file: Path | None = None            # channels -> companies (config/bindings.example.yml); unset: unbound

    # Voice IVR: the telephony platform's token for /voice/v1 (endpoint disabled while unset).
    voice_token: str | None = None
    voice_low_confidence: float = 0.6             # below: read the recognised text back for confirmation

    # WeChat official account (公众号); the endpoint is disabled while WECHAT_TOKEN is unset.
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_encoding_aes_key: str | None = None   # set: 安全模式 (AES) messages
    wechat_api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    wechat_reply_budget_seconds: float = 4.5     # WeChat gives up after 5 s and retries
    wechat_timestamp_tolerance_seconds: int = 300
    wechat_template_ticket_status: str | None = None   # template id for ticket status changes
    # Outage notices (gateway/notices): the template for subscribers outside the 48-hour customer-service window,
    # and how often the push job (one gateway process of the deployment, a Redis lease) looks for changes.
    wechat_template_outage_notice: str | None = None
    notice_push_seconds: float = 5.0

    @model_validator(mode="after")
    def refuse_development_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            for name, value, dev in (("GATEWAY_SERVICE_TOKEN", self.gateway_service_token, DEV_SERVICE_TOKEN),
                                     ("SESSION_SECRET", self.session_secret, DEV_SECRET)):
                if value == dev or len(value) < 24:
                    raise ValueError(f"{name} must be set to a strong secret in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
