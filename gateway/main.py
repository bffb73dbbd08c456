"""The gateway application: `create_app()` wires settings, database, Redis, Rasa and the routers."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from gateway import handoffs, keys, log_masking, metrics, openapi, retention, turn_gate
from gateway.api import agent, internal, knowledge, privacy, stats, widget
from gateway.background import stop_if_cancelled
from gateway.bindings import load_bindings
from gateway.body_limit import BodyLimit
from gateway.channels import voice, wechat
from gateway.channels.step import ChannelContext
from gateway.channels.wechat_accounts import WeChatApis, configured_accounts
from gateway.channels.wechat_delivery import deliver_forever
from gateway.config import Settings, get_settings
from gateway.db import make_engine, make_sessionmaker
from gateway.notices import api as notices_api
from gateway.notices.push import push_forever
from gateway.rasa_client import RasaClient
from gateway.security import WidgetTokens, service_token_valid
from gateway.security_headers import SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"
logger = logging.getLogger("gateway")


async def _callback_offers(app: FastAPI) -> None:
    """Every few seconds: customers waiting too long are told their place and offered a callback."""
    while True:
        await asyncio.sleep(5)
        try:
            async with app.state.sessionmaker() as session:
                await handoffs.offer_callbacks(session, app.state.redis, app.state.settings)
        except (DBAPIError, RedisError) as error:  # an outage: one line per round, not a traceback
            logger.error("callback offer round skipped, storage unavailable: %s", type(error).__name__)
        except Exception:  # a failed round must not stop the loop
            logger.exception("callback offer round failed")
        stop_if_cancelled()


RETENTION_ROUND_SECONDS = 3600


async def _retention(app: FastAPI) -> None:
    """Hourly, in one gateway process of the deployment (a Redis lease): the PIPL retention purge."""
    while True:
        try:
            if await app.state.redis.set(keys.job_lease("retention"), "1", nx=True, ex=RETENTION_ROUND_SECONDS - 60):
                async with app.state.sessionmaker() as session:
                    erased = await retention.purge_expired(session, app.state.settings.retention_days)
                await app.state.redis.set(keys.retention_last_run(), str(time.time()))
                if erased.conversations or erased.tickets_masked:
                    logger.info("retention purge: %s", erased.as_dict())
        except (DBAPIError, RedisError) as error:
            logger.error("retention purge skipped, storage unavailable: %s", type(error).__name__)
        except Exception:
            logger.exception("retention purge failed")
        stop_if_cancelled()
        await asyncio.sleep(RETENTION_ROUND_SECONDS)


# The pages: the customers' chat widget, the agent console and its pages for supervisors and operators.
PAGES = {"/": "widget.html", "/agent": "agent.html", "/agent/knowledge": "knowledge.html",
         "/agent/analytics": "analytics.html", "/agent/notices": "notices.html"}


def _page(path: Path):
    async def page() -> FileResponse:
        return FileResponse(path)
    return page


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.redis_url:
            raise RuntimeError("REDIS_URL is not set (scripts/stack.py starts an embedded Redis for you)")
        log_masking.install()
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.sessionmaker = make_sessionmaker(engine)
        # Every command times out (5 s; connecting 2 s): a hung Redis answers 503, it does not hang the gateway.
        # Subscriptions wait with their own timeouts (events.stream, wechat_delivery).
        app.state.redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2,
                                         health_check_interval=30)
        app.state.rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
        turn_gate.configure(settings.rasa_timeout_seconds, settings.turn_wait_seconds)
        app.state.channel = ChannelContext(app.state.sessionmaker, app.state.redis, app.state.rasa, settings)
        app.state.widget_tokens = WidgetTokens(settings.session_secret, settings.widget_token_max_age_days)
        tasks = [asyncio.create_task(_callback_offers(app)), asyncio.create_task(_retention(app))]
        app.state.wechat_accounts = configured_accounts(settings, load_bindings(settings.bindings_file))
        app.state.wechat_apis = WeChatApis(settings, app.state.wechat_accounts)
        if app.state.wechat_apis:
            tasks.append(asyncio.create_task(deliver_forever(app.state.redis, app.state.wechat_apis)))
        # outage notices to subscribers: one process of the deployment at a time (gateway/notices/push.py)
        tasks.append(asyncio.create_task(push_forever(app.state.sessionmaker, app.state.redis,
                                                      app.state.wechat_apis, settings)))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.state.rasa.close()
        await app.state.redis.aclose()
        await engine.dispose()

    production = settings.environment == "production"   # no public API documentation in production
    app = FastAPI(title="Utility assistant gateway", version="1.0", lifespan=lifespan,
                  docs_url=None if production else "/docs", redoc_url=None if production else "/redoc",
                  openapi_url=None if production else "/openapi.json")

    openapi.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(metrics.RequestMetrics)
    app.add_middleware(SecurityHeaders, widget_frame_ancestors=settings.widget_frame_ancestors)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(RedisError)
    async def unavailable(request: Request, error: Exception) -> JSONResponse:
        # The database or Redis is down: say so clearly; the client may retry (idempotency keys and client
        # message ids make a retry safe), nothing is half-written (each change is one transaction).
        logger.error("storage unavailable on %s %s: %s", request.method, request.url.path, type(error).__name__)
        return JSONResponse({"detail": "系统繁忙，请稍后再试。"}, status_code=503, headers={"Retry-After": "30"})

    app.include_router(internal.router)
    app.include_router(widget.router)
    app.include_router(agent.router)
    app.include_router(privacy.router)
    app.include_router(notices_api.agent_router)
    app.include_router(notices_api.public_router)
    app.include_router(notices_api.internal_router)
    app.include_router(stats.router)
    app.include_router(knowledge.router)
    app.include_router(knowledge.internal)
    app.include_router(wechat.router)
    app.include_router(voice.router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

    for path, page in PAGES.items():
        app.add_api_route(path, _page(STATIC / page), include_in_schema=False, methods=["GET"])

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        """Prometheus scrape, with the service token (the figures are for operators, not the public)."""
        presented = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if not service_token_valid(presented, settings.gateway_service_token):
            return JSONResponse({"detail": "invalid service token"}, status_code=401)
        body, media_type = await metrics.exposition(app.state.sessionmaker, app.state.redis)
        return Response(body, media_type=media_type)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict:
        await app.state.redis.ping()
        return {"status": "ok"}

    return app
