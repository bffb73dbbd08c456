"""The action server gets the domain only where an action reads it (bot/endpoints.yml, enable_selective_domain)."""
from __future__ import annotations

from pathlib import Path

import yaml
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[2]
# Actions whose code reads the domain: the form validations (rasa-sdk looks up each form's slots in it) and the
# session start (session_config: how long a conversation lives, whether slots carry over).
READ_THE_DOMAIN = {"validate_repair_form", "validate_installation_form", "validate_complaint_form", "validate_identity_form",
                   "action_session_start"}


def test_selective_domain_is_on() -> None:
    endpoints = yaml.safe_load((ROOT / "bot/endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True


def test_the_actions_that_read_the_domain_receive_it_and_the_others_do_not() -> None:
    domain = Domain.load(str(ROOT / "bot/domain"))
    custom = {name for name in domain.user_actions if not name.startswith("utter_")}
    assert READ_THE_DOMAIN <= custom
    assert {name for name in custom if domain.does_custom_action_explicitly_need_domain(name)} == READ_THE_DOMAIN
