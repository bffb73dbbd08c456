"""A local stand-in for api.weixin.qq.com (which cannot be reached here), speaking its wire format: access
tokens (one per official account's app id), 客服消息 and 模板消息, with WeChat's error codes for an expired token and
the 48-hour window. Each message accepted records the app id whose token sent it (`_appid`).

A template message with a client_msg_id (WeChat's 防重入id) is delivered once per openid and id within ten minutes; a
repeat is answered like the first and not delivered again. `hold(n)` keeps the n-th message request from now on
waiting for its answer (it is delivered on arrival, as WeChat would) until `release()`: a sender killed meanwhile
never learns it went through."""
from __future__ import annotations

import json
import threading
import time
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
        self._client_msg_ids: dict[tuple[str, str], tuple[float, int]] = {}   # (openid, id) -> (when, msgid)
        self._messages_seen = 0
        self._hold_at: int | None = None
        self.holding = threading.Event()      # set while a held request waits
        self._released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def close(self) -> None:
        self.server.shutdown()

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]

    def templates_to(self, openid: str) -> list[dict]:
        return [m for m in self.templates if m.get("touser") == openid]

    def hold(self, nth: int) -> None:
        """The nth message request from now on waits for release() before it is answered."""
        with self._lock:
            self._hold_at = self._messages_seen + nth
            self.holding.clear()
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def _held(self) -> bool:
        """Counts a message request; True for the one to hold."""
        with self._lock:
            self._messages_seen += 1
            return self._hold_at == self._messages_seen

    def _wait_if(self, held: bool) -> None:
        if held:
            self.holding.set()
            self._released.wait(timeout=120)

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
                    held = fake._held()
                    with fake._lock:
                        fake.sent.append(body)
                    fake._wait_if(held)
                    return self._json({"errcode": 0, "errmsg": "ok"})
                if url.path == "/cgi-bin/message/template/send":
                    held = fake._held()
                    key = (str(body.get("touser")), str(body.get("client_msg_id") or ""))
                    with fake._lock:
                        seen = fake._client_msg_ids.get(key) if key[1] else None
                        if seen and time.monotonic() - seen[0] < 600:
                            msgid = seen[1]
                        else:
                            fake.templates.append(body)
                            msgid = len(fake.templates)
                            if key[1]:
                                fake._client_msg_ids[key] = (time.monotonic(), msgid)
                    fake._wait_if(held)
                    return self._json({"errcode": 0, "errmsg": "ok", "msgid": msgid})
                self._json({"errcode": 40001, "errmsg": "unknown api"})

        return Handler
