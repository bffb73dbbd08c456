"""rasa-sdk's plugin entry point: rasa_sdk.plugin imports a top-level package of this name at start and calls
init_hooks. Ours adds the knowledge sync and the operators' preview to the action server (bot/action_server.py)."""
from __future__ import annotations

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    from bot import action_server

    manager.register(action_server)
