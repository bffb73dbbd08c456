"""action_session_start: Rasa's session start (slots carried over, then listen), and one sentence when the
conversation was lost rather than expired."""
from __future__ import annotations

import time

from rasa_sdk import Tracker

from bot.actions.session_start import ActionSessionStart

NOW = time.time()


def tracker(events: list[dict], slots: dict | None = None) -> Tracker:
    return Tracker(sender_id="web:3f2a", slots=slots or {}, latest_message={}, events=events, paused=False,
                   followup_action=None, active_loop={}, latest_action_name=None)


def metadata(seconds_ago: float | None) -> dict:
    return {"session_started_metadata": {"previous_message_at": NOW - seconds_ago} if seconds_ago is not None else {}}


async def test_slots_are_carried_over_and_the_bot_listens(dispatcher, domain) -> None:
    events = await ActionSessionStart().run(dispatcher, tracker([], {"utility": "燃气", "address": None}), domain)
    assert events[0]["event"] == "session_started" and events[-1] == {
        "event": "action", "name": "action_listen", "policy": None, "confidence": None, "timestamp": None}
    assert {"event": "slot", "name": "utility", "value": "燃气", "timestamp": None} in events
    assert not any(e.get("name") == "address" for e in events)
    assert dispatcher.messages == []


async def test_a_lost_conversation_is_announced(dispatcher, domain) -> None:
    await ActionSessionStart().run(dispatcher, tracker([], metadata(120)), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_conversation_lost"]


async def test_an_expired_session_is_not_a_lost_one(dispatcher, domain) -> None:
    earlier = [{"event": "user", "text": "燃气费在哪交", "timestamp": NOW - 120}]
    await ActionSessionStart().run(dispatcher, tracker(earlier, metadata(120)), domain)
    assert dispatcher.messages == []


async def test_a_customer_back_after_the_session_lifetime_starts_afresh(dispatcher, domain) -> None:
    await ActionSessionStart().run(dispatcher, tracker([], metadata(61 * 60)), domain)
    assert dispatcher.messages == []
