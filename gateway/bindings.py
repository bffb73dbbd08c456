"""The deployment's bindings of channels to companies (BINDINGS_FILE, see config/bindings.example.yml): a default
company, and the company of each IVR number. Widget embeds name their own (data-company)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.companies import companies


@dataclass(frozen=True)
class Bindings:
    default_company: str | None = None
    ivr_numbers: dict[str, str] = field(default_factory=dict)

    def for_called_number(self, called: str) -> str | None:
        return self.ivr_numbers.get(called, self.default_company)


def load_bindings(path: Path | None) -> Bindings:
    """Bindings from the file; none when no file is configured. An unknown company id is refused at start."""
    if path is None:
        return Bindings()
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    bindings = Bindings(data.get("default_company"), {str(k): v for k, v in (data.get("ivr_numbers") or {}).items()})
    for company in [bindings.default_company, *bindings.ivr_numbers.values()]:
        if company is not None and company not in companies():
            raise ValueError(f"{path}: unknown company {company!r} (knowledge/companies.yml lists the ids)")
    return bindings


@lru_cache(maxsize=1)
def current_bindings() -> Bindings:
    from gateway.config import get_settings

    return load_bindings(get_settings().bindings_file)
