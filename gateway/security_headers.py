"""Browser protections on every response: nosniff everywhere; on the widget and console pages a
Content-Security-Policy that allows only the gateway's own scripts, styles and connections (the pages have no
inline script), and frame-ancestors: the console may not be framed at all, the widget only by the sites listed in
WIDGET_FRAME_ANCESTORS (the companies' sites that embed it with embed.js)."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, widget_frame_ancestors: str) -> None:
        self.app = app
        self.widget_policy = _POLICY.format(ancestors=widget_frame_ancestors).encode()
        self.console_policy = _POLICY.format(ancestors="'none'").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = self.console_policy if path.startswith("/agent") else self.widget_policy

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                # the pages: the widget, and every console page (/agent, /agent/analytics…; not its API)
                if path == "/" or path.endswith(".html") or (path.startswith("/agent") and
                                                             not path.startswith("/agent/api/")):
                    headers.append((b"content-security-policy", policy))
                    if path.startswith("/agent"):
                        headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
