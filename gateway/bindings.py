"""The deployment's bindings of channels to companies (BINDINGS_FILE, see config/bindings.example.yml): a default
company, the company of each IVR number, and further WeChat official accounts (each on /wechat/{account}, with
its company; its secrets come from the environment). Widget embeds name their own (data-company)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.companies import companies

ACCOUNT_NAME = re.compile(r"[a-z][a-z0-9]{1,19}")


@dataclass(frozen=True)
class WeChatAccountBinding:
    name: str                  # the path: /wechat/{name}
    app_id: str
    company: str | None


@dataclass(frozen=True)
class Bindings:
    default_company: str | None = None
    ivr_numbers: dict[str, str] = field(default_factory=dict)
    wechat_accounts: dict[str, WeChatAccountBinding] = field(default_factory=dict)

    def for_called_number(self, called: str) -> str | None:
        return self.ivr_numbers.get(called, self.default_company)


def load_bindings(path: Path | None) -> Bindings:
    """Bindings from the file; none when no file is configured. An unknown company id is refused at start."""
    if path is None:
        return Bindings()
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    accounts = {}
    for name, account in (data.get("wechat_accounts") or {}).items():
        if not ACCOUNT_NAME.fullmatch(str(name)) or not account.get("app_id"):
            raise ValueError(f"{path}: WeChat account {name!r} needs a name of letters and digits and an app_id")
        accounts[str(name)] = WeChatAccountBinding(str(name), str(account["app_id"]), account.get("company"))
    bindings = Bindings(data.get("default_company"), {str(k): v for k, v in (data.get("ivr_numbers") or {}).items()},
                        accounts)
    for company in [bindings.default_company, *bindings.ivr_numbers.values(),
                    *(a.company for a in accounts.values())]:
        if company is not None and company not in companies():
            raise ValueError(f"{path}: unknown company {company!r} (knowledge/companies.yml lists the ids)")
    return bindings


@lru_cache(maxsize=1)
def current_bindings() -> Bindings:
    from gateway.config import get_settings

    return load_bindings(get_settings().bindings_file)
