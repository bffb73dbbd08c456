"""The graph run node by node without dask (bot/rasa_fixes/graph_runner.py) gives what Rasa's dask runner gives."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import dask
import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot.rasa_fixes import graph_runner

CALLS: list[str] = []


class Step(GraphComponent):
    """Records its call and returns its name with what it was given."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: Any, resource: Any,
               execution_context: ExecutionContext) -> Step:
        return cls(config)

    def one(self, a: Any) -> Any:
        CALLS.append(self.config["name"])
        if a == "boom":
            raise RuntimeError("boom")
        return (self.config["name"], a)

    def two(self, a: Any, b: Any) -> Any:
        CALLS.append(self.config["name"])
        return (self.config["name"], a, b)


def node(name: str, fn: str = "one", target: bool = False, **needs: str) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Step, constructor_name="create", fn=fn, config={"name": name}, eager=True,
                      is_target=target)


SCHEMA = GraphSchema({
    "tokens": node("tokens", a="__message__"),
    "features": node("features", a="tokens"),
    "intent": node("intent", "two", a="features", b="tokens"),
    "entities": node("entities", "two", target=True, a="intent", b="tokens"),
    "policy": node("policy", "two", target=True, a="__tracker__", b="domain"),
    "domain": node("domain", a="__tracker__"),
    "unused": node("unused", a="__message__"),
})


@pytest.fixture()
def runner(tmp_path: Path) -> DaskGraphRunner:
    return DaskGraphRunner(SCHEMA, LocalModelStorage(tmp_path), ExecutionContext(SCHEMA, "test"))


def both(runner: DaskGraphRunner, **kwargs: Any) -> tuple[Any, list[str], Any, list[str]]:
    CALLS.clear()
    theirs = graph_runner._rasa_run(runner, **kwargs)
    their_calls = sorted(CALLS)
    CALLS.clear()
    ours = graph_runner.run(runner, **kwargs)
    return ours, sorted(CALLS), theirs, their_calls


@pytest.fixture()
def no_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("dask was used")
    monkeypatch.setattr(dask, "get", refuse)


def test_targets_inputs_and_unresolved_names_give_what_dask_gives(runner: DaskGraphRunner) -> None:
    cases = [dict(inputs={"__message__": "燃气表不走字"}, targets=["entities"]),
             dict(inputs={"__message__": "燃气表不走字"}, targets=["intent", "tokens"]),
             dict(inputs={"__tracker__": ["t"]}, targets=["policy"]),
             dict(inputs={"__message__": "m", "__tracker__": "t"}, targets=None),
             dict(inputs={"__message__": "m", "tokens": "given"}, targets=["entities"])]   # an input replaces a node
    for case in cases:
        ours, our_calls, theirs, their_calls = both(runner, **case)
        assert ours == theirs and our_calls == their_calls, case
    assert both(runner, **cases[0])[0]["entities"] == (
        "entities", ("intent", ("features", ("tokens", "燃气表不走字")), ("tokens", "燃气表不走字")),
        ("tokens", "燃气表不走字"))


def test_no_dask_and_each_node_once_per_run(runner: DaskGraphRunner, no_dask: None) -> None:
    for _ in range(2):
        CALLS.clear()
        graph_runner.run(runner, inputs={"__message__": "m"}, targets=["entities"])
        assert sorted(CALLS) == ["entities", "features", "intent", "tokens"]
        assert CALLS.index("tokens") < CALLS.index("features") < CALLS.index("intent") < CALLS.index("entities")


def test_errors_are_rasas(runner: DaskGraphRunner) -> None:
    for run in (graph_runner._rasa_run, graph_runner.run):
        with pytest.raises(GraphComponentException):   # the node wraps what its component raised
            run(runner, inputs={"__message__": "boom"}, targets=["entities"])
        with pytest.raises(GraphRunError, match="Missing input"):   # a placeholder not given: the node says so
            run(runner, inputs={"__message__": "m"}, targets=["policy"])
        with pytest.raises(GraphRunError, match="clashes"):
            run(runner, inputs={"__message__": "tokens"}, targets=["entities"])


def test_installed_on_rasas_runner(runner: DaskGraphRunner, no_dask: None) -> None:
    graph_runner.install()
    try:
        assert runner.run(inputs={"__message__": "m"}, targets=["tokens"]) == {"tokens": ("tokens", "m")}
    finally:
        DaskGraphRunner.run = graph_runner._rasa_run  # type: ignore[method-assign]
