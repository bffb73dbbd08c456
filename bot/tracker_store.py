"""Rasa's Redis tracker store, writing only each turn's new events and keeping this process's conversations in
memory between turns.

Rasa 3.6's `RedisTrackerStore` keeps a conversation as one JSON string. Every message it reads and parses the
whole string, replays every event; saving reads and parses it again, compares the two event lists and writes the
whole string back: about a fifth of the Rasa process's CPU per message (py-spy), and growing with the
conversation for the key's 30-day life. Here the same key holds a Redis list with one event per item:

- `save` appends only the events the turn added (`RPUSH`, one round trip with the expiry);
- `retrieve` hands back the tracker this process saved last for the conversation when it is still current: the
  list has as many events as this process wrote (`LLEN`, one round trip) and nothing was added to the tracker
  since it was saved. Anything else (another process wrote, a turn failed before its save, a new process) reads
  the list again, and only its last conversation session is parsed;
- a tracker that does not continue the stored one (the HTTP API replacing events, a tracker built elsewhere) is
  merged with the stored events by Rasa's own rule and the list rewritten.

Each conversation reaches one Rasa process at a time (the gateway pins it, `RASA_URL`, and serialises its
messages), so the memory is right whenever the length matches. A key still holding Rasa's JSON string (written
before this store) is read as before and turned into a list on its first save. The key stays
`<prefix>:tracker:<sender>`, so an erasure still deletes it (gateway/retention.py).
"""
from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

CACHED_CONVERSATIONS = 1000   # the conversations active lately; a tracker in memory is tens of KB


def _dumps(event: Event) -> str:
    return json.dumps(event.as_dict(), ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Saved:
    """What this process last wrote for one conversation."""
    tracker: DialogueStateTracker   # the conversation's last session, as saved or read
    events: int                     # how many of the tracker's events are in the list
    stored: int                     # the list's length then
    new_session: bool = False       # a session started in it: the next read keeps only that session


def _session_start(dicts: list[dict[str, Any]]) -> int:
    """Index of the last `action_session_start` (where Rasa splits sessions), 0 when there is none."""
    for index in range(len(dicts) - 1, -1, -1):
        event = dicts[index]
        if event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME:
            return index
    return 0


class EventListTrackerStore(RedisTrackerStore):
    """`type: bot.tracker_store.EventListTrackerStore` in bot/endpoints.yml, with RedisTrackerStore's settings."""

    def __init__(self, *args: Any, cached_conversations: int = CACHED_CONVERSATIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: OrderedDict[str, _Saved] = OrderedDict()
        self._capacity = int(cached_conversations)

    def _key(self, sender_id: str) -> str:
        return self.key_prefix + sender_id

    # -- reading ---------------------------------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        saved = self._saved.pop(sender_id, None)
        if saved is not None and not saved.new_session and len(saved.tracker.events) == saved.events \
                and self._length(sender_id) == saved.stored:
            self._remember(sender_id, saved)
            return saved.tracker
        dicts, is_list = self._stored(sender_id)
        if not dicts:
            return None
        tracker = self._tracker(sender_id, dicts[_session_start(dicts):])
        if is_list:
            self._remember(sender_id, _Saved(tracker, len(tracker.events), len(dicts)))
        return tracker

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        dicts, _ = self._stored(sender_id)
        return self._tracker(sender_id, dicts) if dicts else None

    def _length(self, sender_id: str) -> int:
        try:
            return self.red.llen(self._key(sender_id))
        except redis.ResponseError:        # still Rasa's JSON string
            return -1

    def _stored(self, sender_id: str) -> tuple[list[dict[str, Any]], bool]:
        """Every stored event of the conversation, oldest first, and whether the key is already a list."""
        key = self._key(sender_id)
        try:
            items = self.red.lrange(key, 0, -1)
        except redis.ResponseError:        # a key written by Rasa's RedisTrackerStore
            text = self.red.get(key)
            return (json.loads(text).get("events", []) if text else []), False
        return [json.loads(item) for item in items], True

    def _tracker(self, sender_id: str, dicts: list[dict[str, Any]]) -> DialogueStateTracker:
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue(sender_id, deserialise_events(dicts)))
        return tracker

    # -- writing ---------------------------------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await self.stream_events(tracker)
        timeout = timeout or self.record_exp
        sender_id = tracker.sender_id
        saved = self._saved.pop(sender_id, None)
        if saved is not None and saved.tracker is tracker and len(tracker.events) >= saved.events:
            new = list(itertools.islice(tracker.events, saved.events, None))
            stored = self._append(sender_id, [_dumps(e) for e in new], timeout)
            if stored != saved.stored + len(new):
                logger.warning("Tracker of %s changed in Redis while this process held it; it will be read again.",
                               sender_id)
                return
            new_session = saved.new_session or any(isinstance(e, SessionStarted) for e in new)
        else:
            stored, new_session = self._rewrite(tracker, timeout), True
        self._remember(sender_id, _Saved(tracker, len(tracker.events), stored, new_session))

    def _append(self, sender_id: str, items: list[str], timeout: float | None) -> int:
        key = self._key(sender_id)
        pipe = self.red.pipeline(transaction=True)
        if items:
            pipe.rpush(key, *items)
        else:
            pipe.llen(key)
        if timeout:
            pipe.expire(key, int(timeout))
        return pipe.execute()[0]

    def _rewrite(self, tracker: DialogueStateTracker, timeout: float | None) -> int:
        """The stored events merged with a tracker that does not continue them (Rasa's own rule), written whole."""
        sender_id = tracker.sender_id
        dicts, _ = self._stored(sender_id)
        if dicts:
            tracker = self._merge_trackers(self._tracker(sender_id, dicts), tracker)
        key = self._key(sender_id)
        items = [_dumps(e) for e in tracker.events]
        pipe = self.red.pipeline(transaction=True)
        pipe.delete(key)
        if items:
            pipe.rpush(key, *items)
        if timeout:
            pipe.expire(key, int(timeout))
        pipe.execute()
        return len(items)

    def _remember(self, sender_id: str, saved: _Saved) -> None:
        self._saved[sender_id] = saved
        while len(self._saved) > self._capacity:
            self._saved.popitem(last=False)
