"""The event-list tracker store (bot/tracker_store.py) against a real Redis: it gives back what Rasa's own Redis
store gives back, writes only new events, and never serves a conversation from memory once Redis holds something
else (another process wrote, a turn failed before its save, an erasure deleted the key)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlparse

import pytest
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from bot.tracker_store import EventListTrackerStore
from tests.bot.conftest import ROOT

PREFIX = "trackertest"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    from scripts.stack import embedded_redis

    with ExitStack() as stack:
        yield os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot/domain"))


def _settings(url: str) -> dict:
    parsed = urlparse(url)
    return {"host": parsed.hostname, "port": parsed.port or 6379, "db": int((parsed.path or "/0").lstrip("/") or 0),
            "password": parsed.password, "key_prefix": PREFIX, "record_exp": 600}


@pytest.fixture
def make_store(redis_url: str, domain: Domain):
    def make(kind=EventListTrackerStore):
        return kind(domain=domain, **_settings(redis_url))
    return make


@pytest.fixture
def sender() -> str:
    return f"web:{uuid.uuid4().hex}"


def _dicts(tracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


def _turn(tracker, text: str) -> None:
    """What a turn adds: the customer's message, an action and listening again."""
    tracker.update(UserUttered(text, {"name": "ask_fee", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_answer_knowledge"))
    tracker.update(ActionExecuted("action_listen"))


def _new_session(tracker) -> None:
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))


async def _started(store, sender: str) -> None:
    """A conversation whose session has started, saved."""
    tracker = await store.get_or_create_tracker(sender)
    _new_session(tracker)
    await store.save(tracker)


async def test_keeps_the_conversation_as_rasas_own_store_does(make_store, sender: str) -> None:
    ours, rasas = make_store(), make_store(RedisTrackerStore)
    for store, name in ((ours, sender), (rasas, sender + "-rasa")):
        tracker = await store.get_or_create_tracker(name)
        _new_session(tracker)
        await store.save(tracker)
        for text in ("燃气费在哪交", "我家燃气表不走字了"):
            tracker = await store.retrieve(name)
            _turn(tracker, text)
            tracker.update(SlotSet("utility", "gas"))
            await store.save(tracker)
    untimed = [{k: v for k, v in e.items() if k != "timestamp"} for e in _dicts(await ours.retrieve(sender))]
    assert untimed == [{k: v for k, v in e.items() if k != "timestamp"}
                       for e in _dicts(await rasas.retrieve(sender + "-rasa"))]
    assert (await ours.retrieve(sender)).get_slot("utility") == "gas"


async def test_a_turn_appends_only_its_own_events(make_store, sender: str) -> None:
    store = make_store()
    await _started(store, sender)
    key = store.key_prefix + sender
    before = store.red.lrange(key, 0, -1)
    tracker = await store.retrieve(sender)
    _turn(tracker, "燃气费在哪交")
    await store.save(tracker)
    after = store.red.lrange(key, 0, -1)
    assert after[:len(before)] == before and len(after) == len(before) + 3
    assert 0 < store.red.ttl(key) <= 600


async def test_only_the_last_session_is_handed_to_rasa(make_store, sender: str) -> None:
    store = make_store()
    tracker = await store.get_or_create_tracker(sender)
    _new_session(tracker)
    _turn(tracker, "第一次会话")
    await store.save(tracker)
    tracker = await store.retrieve(sender)
    _new_session(tracker)
    _turn(tracker, "第二次会话")
    await store.save(tracker)
    for reader in (store, make_store()):            # the process that wrote it, and a fresh one
        last = await reader.retrieve(sender)
        texts = [e.text for e in last.events if isinstance(e, UserUttered)]
        assert texts == ["第二次会话"]
        assert last.events[0] == ActionExecuted("action_session_start")
    full = await store.retrieve_full_tracker(sender)
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["第一次会话", "第二次会话"]


async def test_another_process_writing_is_seen(make_store, sender: str) -> None:
    first, second = make_store(), make_store()
    await _started(first, sender)
    _ = await first.retrieve(sender)                # first holds the conversation in memory
    other = await second.retrieve(sender)
    _turn(other, "换了一个进程")
    await second.save(other)
    seen = await first.retrieve(sender)
    assert [e.text for e in seen.events if isinstance(e, UserUttered)] == ["换了一个进程"]


async def test_a_turn_that_failed_before_its_save_is_not_served(make_store, sender: str) -> None:
    store = make_store()
    await _started(store, sender)
    tracker = await store.retrieve(sender)
    saved = _dicts(tracker)
    _turn(tracker, "这一轮没存上")                  # Rasa failed after this, never saving
    again = await store.retrieve(sender)
    assert _dicts(again) == saved


async def test_an_erased_conversation_is_gone(make_store, sender: str) -> None:
    store = make_store()
    await _started(store, sender)
    assert await store.retrieve(sender) is not None
    store.red.delete(store.key_prefix + sender)     # what the gateway's erasure does (gateway/retention.py)
    assert await store.retrieve(sender) is None


async def test_a_tracker_written_by_rasas_store_is_read_and_converted(make_store, sender: str) -> None:
    rasas = make_store(RedisTrackerStore)
    tracker = await rasas.get_or_create_tracker(sender)
    _new_session(tracker)
    _turn(tracker, "升级之前写的")
    await rasas.save(tracker)
    ours = make_store()
    read = await ours.retrieve(sender)
    assert _dicts(read) == _dicts(await rasas.retrieve(sender))
    _turn(read, "升级之后写的")
    await ours.save(read)
    assert ours.red.type(ours.key_prefix + sender) == "list"
    texts = [e.text for e in (await make_store().retrieve(sender)).events if isinstance(e, UserUttered)]
    assert texts == ["升级之前写的", "升级之后写的"]


async def test_a_tracker_that_does_not_continue_the_stored_one_is_merged(make_store, sender: str) -> None:
    store = make_store()
    tracker = await store.get_or_create_tracker(sender)
    _new_session(tracker)
    _turn(tracker, "原来的")
    await store.save(tracker)
    replacement = store.init_tracker(sender)        # as the HTTP API builds one from posted events
    _new_session(replacement)
    _turn(replacement, "另外写入的")
    await make_store().save(replacement)
    texts = [e.text for e in (await make_store().retrieve_full_tracker(sender)).events
             if isinstance(e, UserUttered)]
    assert texts == ["原来的", "另外写入的"]



def test_rasa_loads_this_store_from_the_endpoints_file(redis_url: str, domain: Domain,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa falls back to an in-memory store, with only a warning, when it cannot import a configured class."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    from scripts.stack import redis_env

    for name, value in redis_env(redis_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:1")
    store = TrackerStore.create(read_endpoint_config(str(ROOT / "bot/endpoints.yml"), "tracker_store"), domain)
    assert isinstance(store, EventListTrackerStore)
    assert store.key_prefix == "assistant:tracker:" and store.record_exp == 2592000


async def test_only_the_latest_conversations_stay_in_memory(redis_url: str, domain: Domain) -> None:
    store = EventListTrackerStore(domain=domain, cached_conversations=2, **_settings(redis_url))
    senders = [f"web:{uuid.uuid4().hex}" for _ in range(3)]
    for sender in senders:
        tracker = await store.get_or_create_tracker(sender)
        _new_session(tracker)
        _turn(tracker, sender[-6:])
        await store.save(tracker)
    assert list(store._saved) == senders[1:]           # the oldest was let go
    again = await store.retrieve(senders[0])           # and is read from Redis, whole
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == [senders[0][-6:]]
