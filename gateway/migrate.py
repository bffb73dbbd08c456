"""Brings a database to the newest schema: `python -m gateway.migrate [DATABASE_URL]`."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from gateway.config import get_settings
from gateway.db import sync_url

INI = Path(__file__).resolve().parent / "alembic.ini"


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(INI))
    config.attributes["database_url"] = database_url or get_settings().database_url
    return config


def upgrade(database_url: str | None = None) -> None:
    url = database_url or get_settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def wait_for_database(database_url: str, seconds: float, poll: float = 1.0) -> None:
    """Returns once the database answers a query; raises the last connection error after `seconds`.

    A deployment starts the migration as soon as the database reports healthy, which can come a moment before it
    accepts connections over the network; a migration that failed then would hold back every gateway."""
    engine = create_engine(sync_url(database_url), connect_args={"connect_timeout": 5})
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except OperationalError as error:
                if time.monotonic() >= deadline:
                    raise
                print(f"migrate: database not reachable yet ({str(error.orig).strip().splitlines()[0]}); "
                      "retrying", file=sys.stderr, flush=True)
                time.sleep(poll)
    finally:
        engine.dispose()


def main(argv: list[str]) -> None:
    url = argv[1] if len(argv) > 1 else get_settings().database_url
    if not url.startswith("sqlite"):
        wait_for_database(url, float(os.environ.get("MIGRATE_WAIT_SECONDS", "60")))
    upgrade(url)


if __name__ == "__main__":
    main(sys.argv)
