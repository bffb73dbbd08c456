"""A TCP proxy on loopback in front of a server, for failure drills and tests: `cut()` drops every open
connection and refuses new ones, as a crashed or unreachable PostgreSQL does to its clients; `restore()` lets
connections through again. It runs its own event loop in a thread, so synchronous code can drive it."""
from __future__ import annotations

import asyncio
import threading

from scripts.stack import HOST, free_port

CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, port: int | None = None) -> None:
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.connections_cut = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._open: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self.restore()
        return self

    def __exit__(self, *_: object) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _run(self, coroutine) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def cut(self) -> None:
        """Stop listening (new connections are refused) and abort every open connection."""
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    @property
    def is_up(self) -> bool:
        return self._server is not None

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._pipe, HOST, self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.connections_cut += len(self._open)
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _pipe(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        pair = {client_writer, server_writer}
        self._open |= pair

        async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(CHUNK):
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.transport.abort()

        await asyncio.gather(copy(client_reader, server_writer), copy(server_reader, client_writer))
        self._open -= pair
