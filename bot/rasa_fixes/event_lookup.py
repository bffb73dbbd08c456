"""Finds an event's class by its type name with a dictionary instead of walking the class tree.

Rasa 3.6's `Event.resolve_by_type` lists every subclass of `Event` (recursively, checking each for abstract
methods) for every event it reads back from the tracker store: a conversation of a hundred events walks the
tree a hundred times per turn, about a tenth of the Rasa process's time under load (py-spy). Classes found are
remembered; a name not yet seen still goes through Rasa's own lookup, so event classes defined later are found,
and unknown names fail exactly as before.
"""
from __future__ import annotations

from rasa.shared.core.events import Event

_rasa_resolve_by_type = Event.resolve_by_type
_found: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    cls = _found.get(type_name)
    if cls is None:
        cls = _rasa_resolve_by_type(type_name) if default is None else _rasa_resolve_by_type(type_name, default)
        if cls is not None and cls is not default and getattr(cls, "type_name", None) == type_name:
            _found[type_name] = cls
    return cls


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
