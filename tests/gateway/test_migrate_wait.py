"""The migration waits for a database that is not listening yet, and gives up with the connection error after its
deadline. PostgreSQL is reached through a TCP proxy that starts cut, as a database still initialising would be."""
from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import OperationalError

from gateway.migrate import wait_for_database
from scripts.tcp_proxy import TcpProxy


@pytest.fixture
def cut_database(database_url: str):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL")
    parsed = urlsplit(database_url)
    with TcpProxy(parsed.hostname, parsed.port or 5432) as proxy:
        proxy.cut()
        yield proxy, database_url.replace(parsed.netloc.split("@")[-1], f"127.0.0.1:{proxy.port}")


def test_the_migration_waits_until_the_database_listens(cut_database, capsys) -> None:
    proxy, url = cut_database
    threading.Timer(2.0, proxy.restore).start()
    started = time.monotonic()
    wait_for_database(url, seconds=30, poll=0.3)
    waited = time.monotonic() - started
    assert 1.8 <= waited < 15, waited
    assert "database not reachable yet" in capsys.readouterr().err


def test_the_migration_gives_up_with_the_connection_error_after_its_deadline(cut_database) -> None:
    _, url = cut_database
    started = time.monotonic()
    with pytest.raises(OperationalError):
        wait_for_database(url, seconds=1.5, poll=0.3)
    assert 1.4 <= time.monotonic() - started < 10
