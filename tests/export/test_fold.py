"""Batch-norm folding for serving: outputs equal after the fold, the batch norms gone where the
pattern holds, the original untouched, and every pattern that cannot be folded kept with its
reason."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.export.fold import batch_norm_layers, fold_batch_norms
from keras_zoo.tasks import get_task


def _randomise_norms(model, seed=1):
    """Statistics and affine parameters away from 0/1, so that the fold has something to do."""
    rng = np.random.default_rng(seed)
    for norm in batch_norm_layers(model):
        for variable in norm.weights:
            if "variance" in variable.path or "gamma" in variable.path:
                value = rng.uniform(0.3, 2.0, variable.shape)
            else:
                value = rng.normal(0.0, 0.5, variable.shape)
            variable.assign(value.astype("float32"))


def _max_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
               for x, y in zip(keras.tree.flatten(a), keras.tree.flatten(b), strict=True))


# name -> batch norms left after the fold: DenseNet's are pre-activation (BN -> ReLU -> conv,
# or BN after a concatenation or pooling), which no exact fold removes.
FAMILIES = {"resnet50": 0, "mobilenetv2": 0, "densenet121": 5, "efficientnetb0": 0}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_served_outputs_equal_after_fold(name):
    entry = keras_zoo.models.info(name)
    keras.utils.set_random_seed(0)
    task = get_task(entry.task)
    model = task.export_model(entry.build("tiny"))
    _randomise_norms(model)
    before = [w.copy() for w in model.get_weights()]
    folded = fold_batch_norms(model)
    assert folded.reason is None and folded.folded
    assert len(batch_norm_layers(model)) > FAMILIES[name]
    assert len(batch_norm_layers(folded.model)) == FAMILIES[name]
    assert len(folded.skipped) == FAMILIES[name]
    example = task.serving_example(model, n=2)
    served = task.serving_fn(model)(**example)
    assert _max_difference(served, task.serving_fn(folded.model)(**example)) <= 1e-5
    # The original is untouched (its weights, and its batch norms still in place).
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def _fold_one(make, shape, **bn):
    """A model ``make(x)`` -> BatchNormalization(**bn), folded; returns (result, difference)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape)
    outputs = keras.layers.BatchNormalization(name="bn", **bn)(make(inputs))
    model = keras.Model(inputs, outputs)
    _randomise_norms(model)
    x = np.random.default_rng(0).normal(size=(2, *shape)).astype("float32")
    result = fold_batch_norms(model)
    return result, _max_difference(model(x, training=False), result.model(x, training=False))


@pytest.mark.parametrize("layer, shape", [
    (lambda: keras.layers.Dense(5, use_bias=False), (3,)),
    (lambda: keras.layers.Conv1D(4, 3, padding="same"), (6, 2)),
    (lambda: keras.layers.Conv2D(4, 3, groups=2), (5, 5, 2)),
    (lambda: keras.layers.Conv3D(3, 2), (3, 3, 3, 2)),
    (lambda: keras.layers.DepthwiseConv2D(3, depth_multiplier=2), (5, 5, 3)),
    (lambda: keras.layers.DepthwiseConv1D(3, depth_multiplier=3, use_bias=False), (6, 2)),
], ids=["dense", "conv1d", "conv2d_groups", "conv3d", "depthwise2d_x2", "depthwise1d_x3"])
@pytest.mark.parametrize("bn", [{}, {"center": False, "scale": False}], ids=["affine", "plain"])
def test_each_layer_kind_folds_exactly(layer, shape, bn):
    result, difference = _fold_one(layer(), shape, **bn)
    assert result.reason is None and result.folded[0][1] == "bn"
    assert not batch_norm_layers(result.model)
    assert difference <= 1e-5


def test_unfoldable_patterns_are_kept_with_a_reason():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4, 4, 2))
    relu = keras.layers.Conv2D(3, 1, activation="relu")(inputs)
    after_relu = keras.layers.BatchNormalization(name="after_relu")(relu)
    shared = keras.layers.Conv2D(3, 1)(inputs)
    twice = keras.layers.BatchNormalization(name="shared_output")(shared)
    wrong_axis = keras.layers.BatchNormalization(axis=1, name="wrong_axis")(
        keras.layers.Conv2D(3, 1)(inputs))
    foldable = keras.layers.BatchNormalization(name="foldable")(keras.layers.Conv2D(3, 1)(inputs))
    outputs = keras.layers.Concatenate()([after_relu, twice, shared, wrong_axis, foldable])
    model = keras.Model(inputs, outputs)
    _randomise_norms(model)
    result = fold_batch_norms(model)
    assert [bn for _, bn in result.folded] == ["foldable"]
    assert set(result.skipped) == {"after_relu", "shared_output", "wrong_axis"}
    assert "relu" in result.skipped["after_relu"]
    assert "used elsewhere" in result.skipped["shared_output"]
    assert "axis" in result.skipped["wrong_axis"]
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype("float32")
    assert _max_difference(model(x, training=False), result.model(x, training=False)) <= 1e-5


def test_functional_subclass_with_its_own_constructor_comes_back_unchanged():
    # A detector serves through its own ``detect`` method, which a plain clone would lose.
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.info("yolo_v1").build("tiny")
    result = fold_batch_norms(model)
    assert result.model is model and "own constructor" in result.reason


def test_subclassed_and_bn_free_models_come_back_unchanged():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(2, 1)
            self.bn = keras.layers.BatchNormalization()

        def call(self, x):
            return self.bn(self.conv(x))

    net = Net()
    net(np.zeros((1, 3, 3, 1), "float32"))
    result = fold_batch_norms(net)
    assert result.model is net and "subclassed" in result.reason

    inputs = keras.Input((3,))
    plain = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    result = fold_batch_norms(plain)
    assert result.model is plain and "no BatchNormalization" in result.reason


def test_sequential_and_nested_models_fold():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2D(3, 3),
                              keras.layers.BatchNormalization(), keras.layers.ReLU()])
    inputs = keras.Input((5, 5, 2))
    x = keras.layers.GlobalAveragePooling2D()(inner(inputs))
    outputs = keras.layers.BatchNormalization()(keras.layers.Dense(4)(x))
    model = keras.Model(inputs, outputs)
    _randomise_norms(model)
    result = fold_batch_norms(model)
    assert len(result.folded) == 2 and not batch_norm_layers(result.model)
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 2)).astype("float32")
    assert _max_difference(model(x, training=False), result.model(x, training=False)) <= 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", keras_zoo.models.list())
def test_every_entry_serves_the_same_after_fold(name):
    """Every registry entry: folded where the pattern holds (served outputs equal), otherwise
    returned unchanged for a stated reason, never a failed clone."""
    entry = keras_zoo.models.info(name)
    keras.utils.set_random_seed(0)
    task = get_task(entry.task)
    model = task.export_model(entry.build("tiny"))
    _randomise_norms(model)
    folded = fold_batch_norms(model)
    if not batch_norm_layers(model):
        assert folded.model is model and ("no BatchNormalization" in folded.reason
                                          or "subclassed" in folded.reason)
    assert folded.reason is None or "cloning failed" not in folded.reason, folded.reason
    if folded.reason is None:
        example = task.serving_example(model, n=2)
        served = task.serving_fn(model)(**example)
        # 1e-5 of the outputs' scale: a depth map in metres rounds at 1e-5 absolute already.
        scale = max(1.0, max(float(np.max(np.abs(np.asarray(v))))
                             for v in keras.tree.flatten(served)))
        difference = _max_difference(served, task.serving_fn(folded.model)(**example))
        assert difference <= 1e-5 * scale
