"""Batch-norm folding for serving: outputs equal after the fold, the batch norms gone where the
pattern holds, the others of NHWC image tensors rewritten as 1x1 depthwise convolutions, the
original untouched, and every pattern that can be neither kept with its reason."""

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


# name -> batch norms rewritten as 1x1 depthwise convolutions: DenseNet's are pre-activation
# (BN -> ReLU -> conv after a concatenation), with no linear layer before them to fold into.
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
    assert not batch_norm_layers(folded.model) and not folded.skipped
    assert len(folded.rewritten) == FAMILIES[name]
    assert len(batch_norm_layers(model)) == len(folded.folded) + len(folded.rewritten)
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


def test_unfoldable_patterns_are_rewritten_or_kept_with_a_reason():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4, 4, 2))
    relu = keras.layers.Conv2D(3, 1, activation="relu")(inputs)
    after_relu = keras.layers.BatchNormalization(name="after_relu")(relu)
    shared = keras.layers.Conv2D(3, 1)(inputs)
    twice = keras.layers.BatchNormalization(name="shared_output")(shared)
    wrong_axis = keras.layers.BatchNormalization(axis=1, name="wrong_axis")(
        keras.layers.Conv2D(3, 1)(inputs))
    foldable = keras.layers.BatchNormalization(name="foldable")(keras.layers.Conv2D(3, 1)(inputs))
    fixed = keras.layers.BatchNormalization(name="fixed_training")(
        keras.layers.ReLU()(foldable), training=False)
    outputs = keras.layers.Concatenate()([after_relu, twice, shared, wrong_axis, foldable,
                                          fixed])
    pooled = keras.layers.GlobalAveragePooling2D()(outputs)
    vector = keras.layers.BatchNormalization(name="vector")(pooled)
    model = keras.Model(inputs, [outputs, vector])
    _randomise_norms(model)
    result = fold_batch_norms(model)
    assert [bn for _, bn in result.folded] == ["foldable"]
    # Not foldable (after a ReLU; its conv's output used twice) but of NHWC images: rewritten.
    assert set(result.rewritten) == {"after_relu", "shared_output"}
    assert set(result.skipped) == {"wrong_axis", "fixed_training", "vector"}
    assert "axis" in result.skipped["wrong_axis"]
    assert "training=False" in result.skipped["fixed_training"]
    assert "NHWC" in result.skipped["vector"]
    assert [layer.name for layer in batch_norm_layers(result.model)] == [
        "wrong_axis", "fixed_training", "vector"]
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype("float32")
    assert _max_difference(model(x, training=False), result.model(x, training=False)) <= 1e-5


def _pre_activation():
    """DenseNet's pattern: BN -> ReLU -> 1x1 conv on a concatenation (no linear layer before the
    batch norm), and a batch norm of a sum whose output also feeds an Add and the model's
    output, besides its ReLU -> 3x3 conv."""
    inputs = keras.Input((6, 6, 3))
    stem = keras.layers.Conv2D(3, 3, padding="same")(inputs)
    x = keras.layers.Concatenate()([inputs[..., :2], stem])
    y = keras.layers.BatchNormalization(name="bn_relu_conv")(x)
    y = keras.layers.Conv2D(4, 1, use_bias=False)(keras.layers.ReLU()(y))
    y = keras.layers.Add()([y, keras.layers.Conv2D(4, 1)(x)])
    z = keras.layers.BatchNormalization(name="fans_out")(y)
    w = keras.layers.Conv2D(4, 3, padding="same")(keras.layers.Activation("relu")(z))
    return keras.Model(inputs, [keras.layers.Add()([z, w]), z])


@pytest.mark.parametrize("gamma", ["positive", "negative_and_zero"])
def test_batch_norms_of_image_tensors_become_exact_depthwise_convolutions(gamma, tmp_path):
    keras.utils.set_random_seed(0)
    model = _pre_activation()
    _randomise_norms(model)
    if gamma == "negative_and_zero":
        # A negative scale flips relu(a x + b) to the other side; a zero one makes it constant.
        for norm in batch_norm_layers(model):
            values = np.asarray(norm.gamma).copy()
            values[0], values[1] = -values[0], 0.0
            norm.gamma.assign(values)
    result = fold_batch_norms(model)
    assert result.reason is None and not result.folded and not result.skipped
    assert result.rewritten == ("bn_relu_conv", "fans_out")
    assert not batch_norm_layers(result.model)
    for name, channels in (("bn_relu_conv", 5), ("fans_out", 4)):
        layer = result.model.get_layer(name)
        assert type(layer) is keras.layers.DepthwiseConv2D and layer.kernel_size == (1, 1)
        assert layer.kernel.shape == (1, 1, channels, 1) and layer.use_bias
    x = np.random.default_rng(0).normal(size=(3, 6, 6, 3)).astype("float32")
    expected = model(x, training=False)
    assert _max_difference(expected, result.model(x, training=False)) <= 1e-5
    if gamma == "negative_and_zero":
        # The zero-scale channel is the constant beta, wherever the batch norm's output goes.
        beta = np.asarray(model.get_layer("fans_out").beta)[1]
        np.testing.assert_allclose(np.asarray(result.model(x)[1])[..., 1], beta, atol=1e-6)
    # Plain Keras layers: the served copy saves and loads with safe_mode.
    path = tmp_path / "served.keras"
    result.model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert _max_difference(expected, loaded(x, training=False)) <= 1e-5
    # The original keeps its batch norms.
    assert [n.name for n in batch_norm_layers(model)] == ["bn_relu_conv", "fans_out"]


def test_nested_sequential_batch_norm_after_pooling_is_rewritten():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.AveragePooling2D(2),
                              keras.layers.BatchNormalization(name="after_pool"),
                              keras.layers.ReLU(), keras.layers.Conv2D(2, 1)])
    inputs = keras.Input((6, 6, 3))
    model = keras.Model(inputs, inner(inputs))
    _randomise_norms(model)
    result = fold_batch_norms(model)
    assert result.rewritten == ("after_pool",) and not result.folded
    assert not batch_norm_layers(result.model)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
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
