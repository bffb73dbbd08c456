"""Brings a database to the newest schema: `python -m gateway.migrate [DATABASE_URL]`."""
from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from gateway.config import get_settings

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


if __name__ == "__main__":
    upgrade(sys.argv[1] if len(sys.argv) > 1 else None)
