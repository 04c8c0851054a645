"""CvT: paper sizes and parameter counts, no position embedding, the class token in the last
stage only, and resolution change by construction."""

import gc
import os

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers import ClassToken, ConvolutionalAttention
from tests.deferred import assert_deferred, deferred_weights


@pytest.mark.parametrize("name,paper_millions,blocks", [
    ("cvt_13", 20, 13), pytest.param("cvt_21", 32, 21, marks=pytest.mark.slow)])
def test_parameter_counts(name, paper_millions, blocks):
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        model = keras_zoo.models.get(name, preset="canonical")
        assert_deferred(model.weights)
    assert model.count_params() == keras_zoo.models.info(name).params
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    # Table 2 gives whole millions (20M, 32M): our trainable count rounds to them; the
    # BatchNorm moving statistics of the projections are not parameters in the paper's sense.
    assert round(trainable / 1e6) == paper_millions, trainable
    assert trainable == {"cvt_13": 19_997_480, "cvt_21": 31_622_696}[name]
    assert len([layer for layer in model.layers if isinstance(layer, ConvolutionalAttention)]) == blocks
    # 224 -> 56 -> 28 -> 14 token maps; the class token joins the last stage only.
    assert [model.get_layer(f"stage{i}_embedding").output.shape[1] for i in (1, 2, 3)] == [
        56, 28, 14]
    assert len([layer for layer in model.layers if isinstance(layer, ClassToken)]) == 1
    assert not any("position" in w.path for w in model.weights)
    del model
    keras.backend.clear_session()
    gc.collect()


def test_weights_load_at_any_image_size(tmp_path):
    small = keras_zoo.models.get("cvt_13", preset="tiny")
    path = os.fspath(tmp_path / "cvt.weights.h5")
    small.save_weights(path)
    for shape in ((48, 48, 1), (40, 56, 1)):
        other = keras_zoo.models.get("cvt_13", preset="tiny", input_shape=shape, weights=path)
        for a, b in zip(small.weights, other.weights, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
        out = np.asarray(other(np.random.default_rng(0).uniform(size=(2,) + shape)))
        assert out.shape == (2, 10) and np.all(np.isfinite(out))


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match=r"width 30 is not divisible by its 4 heads"):
        keras_zoo.models.get("cvt_13", preset="tiny", embed_dims=(16, 30), num_heads=(1, 4))
    with pytest.raises(ValueError, match="one entry per stage"):
        keras_zoo.models.get("cvt_13", preset="tiny", depths=(1, 1, 1))
