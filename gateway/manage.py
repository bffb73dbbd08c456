"""Administration: `python -m gateway.manage create-agent NAME [--role supervisor]` (password from the
AGENT_PASSWORD environment variable or a prompt; run again to change a password; `--company ID` for an agent
of one company, none for a platform operator who serves all), `set-role NAME --role ROLE`,
`deactivate-agent NAME`, `import-knowledge` / `export-knowledge DIR` (the
repository's knowledge YAML as a new version; the served version back to YAML), `purge` (the retention purge now: RETENTION_DAYS), and `seed-dev` for a development
supervisor. A change ends the agent's open sessions at
their next request."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
from pathlib import Path

from gateway import knowledge_store
from gateway.config import get_settings
from gateway.db import make_engine, make_sessionmaker
from gateway.models import Agent
from gateway.retention import purge_expired
from gateway.security import hash_password
from knowledge.companies import companies
from knowledge.export import to_yaml_files


def known_company(company: str | None) -> str | None:
    if company is not None and company not in companies():
        raise SystemExit(f"unknown company {company!r}: one of {', '.join(companies())}")
    return company


async def create_agent(username: str, password: str, role: str, database_url: str | None = None,
                       company: str | None = None) -> None:
    """An agent of one company (or of all, company None: a platform's own operators)."""
    engine = make_engine(database_url or get_settings().database_url)
    async with make_sessionmaker(engine)() as session:
        agent = await session.get(Agent, username)
        if agent is None:
            session.add(Agent(username=username, password_hash=hash_password(password), role=role,
                              company=known_company(company)))
        else:
            agent.password_hash, agent.role, agent.company = hash_password(password), role, known_company(company)
        await session.commit()
    await engine.dispose()


async def update_agent(username: str, *, role: str | None = None, active: bool | None = None,
                       database_url: str | None = None) -> None:
    engine = make_engine(database_url or get_settings().database_url)
    async with make_sessionmaker(engine)() as session:
        agent = await session.get(Agent, username)
        if agent is None:
            raise SystemExit(f"no agent named {username}")
        if role is not None:
            agent.role = role
        if active is not None:
            agent.active = active
        await session.commit()
    await engine.dispose()


async def purge(database_url: str | None = None) -> dict[str, int]:
    settings = get_settings()
    engine = make_engine(database_url or settings.database_url)
    async with make_sessionmaker(engine)() as session:
        erased = await purge_expired(session, settings.retention_days)
    await engine.dispose()
    return erased.as_dict()


async def import_knowledge(database_url: str | None = None) -> int:
    """The repository's knowledge YAML published as a new version (operators' versions stay in the history)."""
    engine = make_engine(database_url or get_settings().database_url)
    async with make_sessionmaker(engine)() as session:
        version = await knowledge_store.import_repository(session, "manage:import-knowledge")
    await engine.dispose()
    return version.version


async def export_knowledge(directory: str, database_url: str | None = None) -> list[str]:
    """The version customers are served, written as knowledge/entries-style YAML files into `directory`."""
    engine = make_engine(database_url or get_settings().database_url)
    async with make_sessionmaker(engine)() as session:
        version = await knowledge_store.serving(session)
    await engine.dispose()
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for name, text in to_yaml_files(version.entries).items():
        (target / name).write_text(text, encoding="utf-8")
    return sorted(p.name for p in target.glob("*.yml"))


async def seed_dev() -> None:
    """A supervisor for trying the console locally; refused outside development."""
    settings = get_settings()
    if settings.environment != "development":
        raise SystemExit("seed-dev is for development only")
    password = os.environ.get("AGENT_PASSWORD") or secrets.token_urlsafe(9)
    await create_agent("supervisor", password, "supervisor")
    print(f"Agent console login (development): supervisor / {password}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="gateway.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-agent")
    create.add_argument("username")
    create.add_argument("--role", choices=["agent", "supervisor", "reviewer"], default="agent")
    create.add_argument("--company", default=None, help="the company served (knowledge/companies.yml); none: all")
    role = commands.add_parser("set-role")
    role.add_argument("username")
    role.add_argument("--role", choices=["agent", "supervisor", "reviewer"], required=True)
    deactivate = commands.add_parser("deactivate-agent")
    deactivate.add_argument("username")
    commands.add_parser("purge")
    commands.add_parser("seed-dev")
    commands.add_parser("import-knowledge")
    export = commands.add_parser("export-knowledge")
    export.add_argument("directory")
    args = parser.parse_args()
    if args.command == "set-role":
        asyncio.run(update_agent(args.username, role=args.role))
    elif args.command == "deactivate-agent":
        asyncio.run(update_agent(args.username, active=False))
    elif args.command == "import-knowledge":
        print(f"published the repository's knowledge base as version {asyncio.run(import_knowledge())}")
    elif args.command == "export-knowledge":
        print("\n".join(asyncio.run(export_knowledge(args.directory))))
    elif args.command == "purge":
        print(asyncio.run(purge()))
    elif args.command == "create-agent":
        password = os.environ.get("AGENT_PASSWORD") or getpass.getpass("Password: ")
        if len(password) < 8:
            raise SystemExit("a password needs at least 8 characters")
        asyncio.run(create_agent(args.username, password, args.role, company=args.company))
    else:
        asyncio.run(seed_dev())


if __name__ == "__main__":
    main()
