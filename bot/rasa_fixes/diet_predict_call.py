"""Calls DIET's traced prediction graph directly, without TensorFlow matching the call to its signature each time.

Rasa 3.6 predicts with `tf.function(predict_step, input_signature=...)`: the signature accepts every batch (any
batch size and sequence length), so after the first call there is exactly one traced graph. Yet every call goes
through `tf.function`'s dispatch: the arguments are bound to the Python signature, converted and checked against
the input signature, flattened, and the cache of traced graphs is searched, before the graph runs. For one
message that dispatch cost about a third as much as running the graph: 5 % of the Rasa process's samples in a
py-spy profile of customers served one at a time (2026-12-01, scripts/bench_rasa_cpu.py).

Here, once `tf.function` has traced the graph, its concrete function is called with what the dispatch would have
given it: each array of the batch converted to a tensor (its signature's type as the hint), in order. A batch that
does not fit the signature (a different number of arrays, a rank, last dimension or type other than the signature's)
takes Rasa's path and gets TensorFlow's own error. The graph, its inputs and its outputs are the same; run eagerly
(`run_eagerly: true`) Rasa's own path is used.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.utils.tensorflow.models import RasaModel
from keras.utils import tf_utils

_rasa_predict = RasaModel._rasa_predict


def _concrete(model: RasaModel) -> tuple[Any, list[tf.TensorSpec]] | None:
    found = model.__dict__.get("_concrete_predict")
    if found is None:
        function = model._tf_predict_step
        specs = getattr(function, "input_signature", None)
        if not specs or len(specs) != 1 or not isinstance(specs[0], (list, tuple)):
            return None
        found = model.__dict__["_concrete_predict"] = (function.get_concrete_function(), list(specs[0]))
    return found


def _fits(batch_in: Any, specs: list[tf.TensorSpec]) -> bool:
    if not isinstance(batch_in, (list, tuple)) or len(batch_in) != len(specs):
        return False
    for array, spec in zip(batch_in, specs):
        shape, expected = getattr(array, "shape", None), spec.shape
        if shape is None or len(shape) != expected.rank or (
                expected.rank and expected[-1] is not None and shape[-1] != expected[-1]):
            return False
    return True


def rasa_predict(self: RasaModel, batch_in: Any) -> dict[str, Any]:
    if self._run_eagerly or self._tf_predict_step is None or not self.prepared_for_prediction:
        return _rasa_predict(self, batch_in)   # the first call traces the graph
    concrete = _concrete(self)
    if concrete is None or not _fits(batch_in, concrete[1]):
        return _rasa_predict(self, batch_in)
    function, specs = concrete
    flat = [tf.convert_to_tensor(array, dtype_hint=spec.dtype) for array, spec in zip(batch_in, specs)]
    if any(tensor.dtype != spec.dtype for tensor, spec in zip(flat, specs)):
        return _rasa_predict(self, batch_in)
    self._training = False
    outputs = tf_utils.sync_to_numpy_or_python_type(function._call_flat(flat, function.captured_inputs))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def install() -> None:
    RasaModel._rasa_predict = rasa_predict  # type: ignore[method-assign]
