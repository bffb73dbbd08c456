"""Runs the model's graph by calling its nodes in order, without dask.

Rasa 3.6's `DaskGraphRunner.run` serves every message twice (the NLU graph, then the policies' graph once per
predicted action): each time it recomputes the minimal schema for the targets (recursively), builds a dask graph
and hands it to dask's synchronous scheduler, which orders the tasks, wraps each in a future and runs callbacks.
For two dozen nodes called on one message that machinery cost more than the jieba tokenizer, both featurizers and
the rule lookups together: 8.7 % of the Rasa process's samples in a py-spy profile of customers served one at a
time (2026-12-01, scripts/bench_rasa_cpu.py).

Here the order of the nodes each set of targets needs is worked out once (dependencies first, in the order the
schema names them) and every run calls the same `GraphNode`s with the same arguments dask would pass: the
`(name, output)` of each node it needs, an input placeholder's `(name, value)`, the bare name of anything that
is neither (which the node reports, as under dask). The result is the same `{target: output}`; an input that
names a node replaces it, an input that is a node's name as a string is refused, and a `RuntimeError` becomes
Rasa's `GraphRunError`, as in Rasa's runner.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

_rasa_run = DaskGraphRunner.run

Plan = list[tuple[str, Any, tuple[str, ...]]]   # (node name, GraphNode, names of what it needs), in running order


def _plan(runner: DaskGraphRunner, targets: list[str]) -> Plan:
    schema: GraphSchema = runner._graph_schema.minimal_graph_schema(targets)
    order: list[str] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...] = ()) -> None:
        if name in placed or name not in schema.nodes:
            return
        if name in path:
            raise GraphRunError(f"Cycle in the graph at node '{name}'.")
        for needed in schema.nodes[name].needs.values():
            place(needed, (*path, name))
        placed.add(name)
        order.append(name)

    for target in targets:
        place(target)
    for name in schema.nodes:   # nodes no target needs: dask runs them too (minimal_graph_schema leaves none)
        place(name)
    return [(name, runner._instantiated_nodes[name], tuple(schema.nodes[name].needs.values())) for name in order]


def run(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None) -> dict[str, Any]:
    run_targets = targets if targets else self._graph_schema.target_names
    plans: dict[tuple[str, ...], Plan] = self.__dict__.setdefault("_plans", {})
    key = tuple(run_targets)
    plan = plans.get(key)
    if plan is None:
        plan = plans[key] = _plan(self, list(run_targets))
    results: dict[str, Any] = {}
    if inputs:
        names = {name for name, _, _ in plan}   # the keys of Rasa's dask graph, inputs added one by one
        for input_name, input_value in inputs.items():
            if isinstance(input_value, str) and input_value in names:
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema.")
            results[input_name] = (input_name, input_value)
            names.add(input_name)
    try:
        for name, node, needs in plan:
            if name not in results:   # an input of the same name stands in for the node, as under dask
                results[name] = node(*(results.get(needed, needed) for needed in needs))
        return dict(results[target] for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def install() -> None:
    DaskGraphRunner.run = run  # type: ignore[method-assign]
