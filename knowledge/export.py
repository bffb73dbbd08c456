"""A version of the knowledge base written back as the repository's YAML files (knowledge/entries/*.yml), so
what operators published can be reviewed and committed as the new seed."""
from __future__ import annotations

import yaml

FIELDS = ("id", "utility", "intent", "title", "answer", "examples", "source", "clause", "business", "time_limits")
FILE_OF_UTILITY = {"gas": "gas.yml", "electricity": "electricity.yml", "heat": "heat.yml", "all": "general.yml"}


def to_yaml_files(records: list[dict]) -> dict[str, str]:
    """File name → YAML text, entries in the order given; a record keeps the file it came from."""
    files: dict[str, list[dict]] = {}
    for record in records:
        name = record.get("file") or FILE_OF_UTILITY.get(record.get("utility", ""), "general.yml")
        files.setdefault(name, []).append({key: record[key] for key in FIELDS if record.get(key) not in (None, [], "")})
    return {name: yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False, width=120)
            for name, entries in sorted(files.items())}
