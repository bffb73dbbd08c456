"""DIET's traced graph called directly (bot/rasa_fixes/diet_predict_call.py): the outputs of Rasa's tf.function
call, for batches of every size and length, without tf.function's dispatch after the first call."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.utils.tensorflow.models import RasaModel
from tensorflow.python.eager.polymorphic_function.polymorphic_function import Function

from bot.rasa_fixes import diet_predict_call


class Tiny(RasaModel):
    """A sparse-ish sequence input, a mask and a batch of ids, as DIET's batches have them, through weights."""

    def __init__(self) -> None:
        super().__init__(random_seed=2026)
        self.weights_ = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)

    def batch_predict(self, batch_in: Any) -> dict[str, Any]:
        sequence, mask, ids = batch_in
        scores = tf.einsum("bsf,fk->bsk", sequence, self.weights_) * mask
        return {"scores": tf.reduce_sum(scores, axis=1), "ids": ids * 2,
                DIAGNOSTIC_DATA: {"attention": tf.nn.softmax(scores, axis=-1)}}


def batch(size: int, length: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(size * 10 + length)
    return (rng.random((size, length, 4), dtype=np.float32), np.ones((size, length, 1), dtype=np.float32),
            np.arange(size, dtype=np.int64))


@pytest.fixture()
def dispatches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    dispatch = Function.__call__

    def counted(self: Function, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return dispatch(self, *args, **kwargs)

    monkeypatch.setattr(Function, "__call__", counted)
    return calls


def test_same_outputs_as_rasas_call_without_the_dispatch(dispatches: list[int]) -> None:
    theirs, ours = Tiny(), Tiny()
    shapes = [(1, 3), (1, 9), (3, 5), (1, 1), (64, 2)]
    expected = [theirs._rasa_predict(batch(*shape)) for shape in shapes]
    assert len(dispatches) == len(shapes)
    dispatches.clear()
    got = [diet_predict_call.rasa_predict(ours, batch(*shape)) for shape in shapes]
    assert len(dispatches) == 1                 # the first call traces the graph, as before
    assert ours._tf_predict_step.experimental_get_tracing_count() == 1
    for mine, rasa in zip(got, expected):
        assert mine.keys() == rasa.keys()
        np.testing.assert_array_equal(mine["scores"], rasa["scores"])
        np.testing.assert_array_equal(mine["ids"], rasa["ids"])
        np.testing.assert_array_equal(mine[DIAGNOSTIC_DATA]["attention"], rasa[DIAGNOSTIC_DATA]["attention"])


def test_a_batch_that_does_not_fit_is_treated_as_tensorflow_treats_it() -> None:
    model = Tiny()
    diet_predict_call.rasa_predict(model, batch(1, 3))
    sequence, mask, ids = batch(1, 3)
    for wrong in [(sequence, mask), (sequence[:, :, :3], mask, ids)]:
        with pytest.raises(ValueError, match="input_signature"):
            diet_predict_call.rasa_predict(model, wrong)
    other_type = (sequence, mask, ids.astype(np.float32))   # converted with the signature's type as the hint
    np.testing.assert_array_equal(diet_predict_call.rasa_predict(model, other_type)["ids"],
                                  model._rasa_predict(other_type)["ids"])
