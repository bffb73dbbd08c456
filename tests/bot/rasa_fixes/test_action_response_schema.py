"""Rasa's check of the action server's replies, with the validator built once (bot/rasa_fixes/)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

from bot.rasa_fixes import action_response_schema

REPLY = {
    "events": [{"event": "slot", "name": "phone", "value": "13812345678", "timestamp": None}] * 5,
    "responses": [{"text": "好的，已为您登记。", "buttons": [], "template": None}],
}


@pytest.fixture
def action() -> RemoteAction:
    action_response_schema.install()
    return RemoteAction("action_create_ticket", None)


def test_accepts_a_valid_reply(action: RemoteAction) -> None:
    assert action._validate_action_result(REPLY) is True


@pytest.mark.parametrize("reply", [{"events": "not a list"}, {"events": [{"no_event_name": 1}]},
                                   {"responses": {"text": "not a list"}}])
def test_rejects_a_malformed_reply_with_rasas_hint(action: RemoteAction, reply: dict) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(reply)


def test_the_schema_is_checked_once_not_per_reply(action: RemoteAction, monkeypatch: pytest.MonkeyPatch) -> None:
    # Checking the schema against its metaschema is what cost Rasa about 40 ms per custom action.
    action._validate_action_result(REPLY)
    checks = []
    cls = validator_for(RemoteAction.action_response_format_spec())
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda _cls, schema, *a, **k: checks.append(schema)))
    for _ in range(20):
        action._validate_action_result(REPLY)
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})
    assert checks == []


def test_the_serving_entry_point_installs_the_fix_before_rasa_runs() -> None:
    code = ("import sys; sys.argv = ['rasa', '--version'];"
            "from bot import serve; from rasa.core.actions.action import RemoteAction;"
            "from bot.rasa_fixes.action_response_schema import _validate_action_result\n"
            "try: serve.main()\nexcept SystemExit: pass\n"
            "assert RemoteAction._validate_action_result is _validate_action_result")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Rasa Version" in result.stdout


def _every_event() -> list[dict]:
    """One reply event of every type Rasa knows, as the SDK sends them."""
    from rasa.shared.core import events as e

    made = [e.UserUttered("燃气表不走字", {"name": "report_fault", "confidence": 0.9},
                          [{"entity": "utility", "value": "gas", "start": 0, "end": 2}]),
            e.BotUttered("好的", {"buttons": []}), e.SlotSet("phone", "13812345678"), e.SlotSet("address", None),
            e.ActionExecuted("action_listen"), e.ActiveLoop("repair_form"), e.ActiveLoop(None), e.Restarted(),
            e.AllSlotsReset(), e.SessionStarted(), e.FollowupAction("action_listen"), e.UserUtteranceReverted(),
            e.ActionReverted(), e.StoryExported(), e.ConversationPaused(), e.ConversationResumed(),
            e.LoopInterrupted(True), e.ActionExecutionRejected("repair_form"), e.AgentUttered("您好"),
            e.EntitiesAdded([{"entity": "utility", "value": "gas"}]),
            e.ReminderScheduled("EXTERNAL_remind", __import__("datetime").datetime(2026, 12, 1)),
            e.ReminderCancelled(name="r1")]
    return [event.as_dict() for event in made]


@pytest.mark.parametrize("event", _every_event(), ids=lambda event: event["event"])
def test_the_split_check_decides_each_event_type_as_the_whole_schema(event: dict) -> None:
    reply = {"events": [event], "responses": []}
    whole = validator_for(RemoteAction.action_response_format_spec())(RemoteAction.action_response_format_spec())
    assert action_response_schema._valid_by_event_type(reply) is whole.is_valid(reply) is True


@pytest.mark.parametrize("reply", [
    {"events": [{"event": "no_such_event"}]}, {"events": [{"event": "slot", "name": "phone"}]},
    {"events": [{"event": "slot", "name": 7, "value": 1}]}, {"events": [{"event": "user", "text": 5}]},
    {"events": [{"event": "action", "hide_rule_turn": "yes"}]}, {"events": [{"event": "entities"}]},
    {"events": [{"event": "slot", "name": "a", "value": 1, "timestamp": "now"}]}, {"events": "x"},
    {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": {"text": "x"}}])
def test_the_split_check_never_passes_what_the_whole_schema_refuses(reply: dict) -> None:
    whole = validator_for(RemoteAction.action_response_format_spec())(RemoteAction.action_response_format_spec())
    assert whole.is_valid(reply) is False
    assert action_response_schema._valid_by_event_type(reply) is False
