"""The architecture as the imports read: bot / knowledge / core / gateway, arrows one way.

core imports nothing of ours; knowledge imports only core; bot imports knowledge and core, never the gateway; the
gateway imports knowledge and core, never the bot. Inside the gateway: channels → chat → tickets and handoffs →
storage (models, db), and nothing below a layer imports one above it."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("bot", "core", "gateway", "knowledge", "scripts", "tests")
ALLOWED = {"core": {"core"}, "knowledge": {"knowledge", "core"}, "bot": {"bot", "knowledge", "core"},
           "gateway": {"gateway", "knowledge", "core"}}
# gateway modules by layer: a module may import its own layer and those below it
LAYERS = [
    {"gateway.models", "gateway.db", "gateway.clock", "gateway.keys", "gateway.config", "gateway.text",
     "gateway.events", "gateway.sla", "gateway.ticket_sla", "gateway.bindings", "gateway.security",
     "gateway.rasa_client", "gateway.conversations", "gateway.turn_store", "gateway.log_masking",
     "gateway.turn_gate", "gateway.background", "gateway.ticket_store", "gateway.pg_turns"},
    {"gateway.tickets", "gateway.handoffs", "gateway.retention", "gateway.knowledge_store", "gateway.unanswered"},
    {"gateway.chat"},
]


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in OURS}


def modules(package: str) -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in (ROOT / package).rglob("*.py")
            if "migrations" not in p.parts}


def test_packages_import_one_way() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for name, path in modules(package).items():
            wrong += [f"{name} imports {other}" for other in imports_of(path) if other.split(".")[0] not in allowed]
    assert not wrong, wrong


def test_gateway_layers_point_down() -> None:
    layer_of = {module: index for index, layer in enumerate(LAYERS) for module in layer}
    wrong = []
    for name, path in modules("gateway").items():
        if name not in layer_of:
            continue
        for other in imports_of(path):
            if other.startswith(("gateway.channels", "gateway.api", "gateway.main", "gateway.app")) or \
                    layer_of.get(other, -1) > layer_of[name]:
                wrong.append(f"{name} imports {other}")
    assert not wrong, wrong
