"""Refuses request bodies over the configured size with 413, declared or not.

A pure ASGI middleware: it checks Content-Length before anything is read, and counts the bytes of a body sent
without one (chunked transfer encoding), stopping at the limit instead of letting the route read it all into
memory. Being plain ASGI, it also spares every request the task group and streams Starlette's
BaseHTTPMiddleware puts around each call.
"""
from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DETAIL = "请求体过大"
HEADERS_DETAIL = "请求头过大"
MAX_HEADER_BYTES = 16 * 1024   # all request headers together; browsers and WeChat send a few hundred bytes


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, DETAIL)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
            await JSONResponse({"detail": HEADERS_DETAIL}, status_code=431)(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": DETAIL}, status_code=413)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()   # FastAPI and Starlette turn this into the 413 response
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await JSONResponse({"detail": DETAIL}, status_code=413)(scope, receive, send)
