"""A local stand-in for api.weixin.qq.com (which cannot be reached here), speaking its wire format: access
tokens (one per official account's app id), 客服消息 and 模板消息, with WeChat's error codes for an expired token and
the 48-hour window. Each message accepted records the app id whose token sent it (`_appid`)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

OUTSIDE_WINDOW_OPENID = "o_silent_for_three_days"


class FakeWeChat:
    def __init__(self) -> None:
        self.sent: list[dict] = []          # customer-service messages accepted
        self.templates: list[dict] = []
        self.token_requests = 0
        self.expire_next_token = False
        self._tokens: dict[str, int] = {}     # app id -> the number of its current token
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def close(self) -> None:
        self.server.shutdown()

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/cgi-bin/token":
                    appid = parse_qs(url.query).get("appid", [""])[0]
                    with fake._lock:
                        fake.token_requests += 1
                        fake._tokens[appid] = fake._tokens.get(appid, 0) + 1
                        token = f"TOKEN.{appid}.{fake._tokens[appid]}"
                    return self._json({"access_token": token, "expires_in": 7200})
                self._json({"errcode": 40001, "errmsg": "invalid credential"})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                token = parse_qs(url.query).get("access_token", [""])[0]
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake._lock:
                    if fake.expire_next_token:
                        fake.expire_next_token = False
                        return self._json({"errcode": 42001, "errmsg": "access_token expired"})
                    appid = token.split(".")[1] if token.count(".") == 2 else ""
                    if token != f"TOKEN.{appid}.{fake._tokens.get(appid)}":
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    body["_appid"] = appid
                if url.path == "/cgi-bin/message/custom/send":
                    if body.get("touser") == OUTSIDE_WINDOW_OPENID:
                        return self._json({"errcode": 45015, "errmsg": "response out of time limit"})
                    fake.sent.append(body)
                    return self._json({"errcode": 0, "errmsg": "ok"})
                if url.path == "/cgi-bin/message/template/send":
                    fake.templates.append(body)
                    return self._json({"errcode": 0, "errmsg": "ok", "msgid": len(fake.templates)})
                self._json({"errcode": 40001, "errmsg": "unknown api"})

        return Handler
