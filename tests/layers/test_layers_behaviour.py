"""What a formula case of the layer battery cannot show: random layers' statistics in training
and at inference, causality of PixelCNN masks, dynamic batches, TFLite random ops, and the
errors on bad arguments and inputs."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.export import tflite
from keras_zoo.layers import (
    AdaIN,
    DropConnectDense,
    EqualizedConv2D,
    EqualizedDense,
    LpPooling2D,
    MaskedConv2D,
    Maxout,
    MaxPoolingWithArgmax,
    MaxUnpooling,
    MinibatchStandardDeviation,
    MixedPooling2D,
    NoiseInjection,
    PixelNormalization,
    Sampling,
    SpectralPooling2D,
    StochasticDepth,
    StochasticPooling2D,
)
from tests.layer_cases.generative import minibatch_stddev_reference


def _rng(seed=0):
    return np.random.default_rng(seed)


# --- AdaIN ------------------------------------------------------------------------------------

def test_adain_output_has_the_style_statistics():
    content = _rng(1).normal(3.0, 2.0, (2, 8, 8, 4)).astype(np.float32)
    style = _rng(2).normal(-1.0, 0.7, (2, 6, 10, 4)).astype(np.float32)
    style *= np.arange(1, 5, dtype=np.float32)  # a different std per channel
    out = np.asarray(AdaIN()([content, style]))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), style.mean(axis=(1, 2)), atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), style.std(axis=(1, 2)), atol=1e-4)


# --- Stochastic pooling -------------------------------------------------------------------------

def test_stochastic_pooling_samples_in_proportion_at_training():
    window = np.array([1.0, 2.0, 3.0, 0.0], np.float32)  # one 2x2 window, p = (1, 2, 3, 0) / 6
    x = np.tile(window.reshape(1, 2, 2, 1), (4000, 1, 1, 1))
    layer = StochasticPooling2D(2, seed=7)
    out = np.asarray(layer(x, training=True)).ravel()
    assert set(np.unique(out)) <= {1.0, 2.0, 3.0}, "a sample is always one of the window's values"
    frequencies = np.array([np.mean(out == v) for v in (1.0, 2.0, 3.0)])
    np.testing.assert_allclose(frequencies, [1 / 6, 2 / 6, 3 / 6], atol=0.03)
    # Inference: the probability-weighted average (1 + 4 + 9) / 6, deterministic.
    inference = np.asarray(layer(x[:3], training=False)).ravel()
    np.testing.assert_allclose(inference, 14 / 6, rtol=1e-6)


def test_stochastic_pooling_zero_and_negative_windows_give_zero():
    x = np.array([[[[0.0], [-1.0]], [[-2.0], [0.0]]]], np.float32)
    layer = StochasticPooling2D(2, seed=1)
    for training in (True, False):
        assert float(np.asarray(layer(x, training=training)).ravel()[0]) == 0.0


# --- DropConnect ---------------------------------------------------------------------------------

def _dropconnect_with_unit_inputs(rate):
    layer = DropConnectDense(3, rate=rate, use_bias=False, seed=11)
    layer.build((None, 4))
    layer.set_weights([np.arange(1, 13, dtype=np.float32).reshape(4, 3)])
    # One-hot inputs read single weights: y_j = M_ij W_ij / (1 - rate).
    x = np.tile(np.eye(4, dtype=np.float32), (1000, 1))
    return layer, x


def test_dropconnect_drops_each_weight_at_rate_and_is_unbiased():
    rate = 0.3
    layer, x = _dropconnect_with_unit_inputs(rate)
    w = layer.get_weights()[0]
    out = np.asarray(layer(x, training=True)).reshape(1000, 4, 3)
    kept = out != 0
    assert abs(1.0 - kept.mean() - rate) < 0.02
    np.testing.assert_allclose(out[kept], np.broadcast_to(w / (1 - rate), out.shape)[kept],
                               rtol=1e-6)
    np.testing.assert_allclose(out.mean(axis=0), w, rtol=0.08)
    np.testing.assert_allclose(np.asarray(layer(x[:4], training=False)), w, rtol=1e-6)


def test_dropconnect_masks_differ_per_example():
    layer, x = _dropconnect_with_unit_inputs(0.5)
    out = np.asarray(layer(x, training=True)).reshape(1000, 4, 3)
    # The same input (e_0) in every group of 4: the paper's per-example masks give different
    # outputs to identical examples.
    assert len({tuple(row) for row in out[:, 0]}) > 4


# --- StochasticDepth (the lead's layer): training-mode statistics ---------------------------------

def test_stochastic_depth_drops_whole_branches_at_rate():
    rate = 0.25
    layer = StochasticDepth(rate=rate, seed=3)
    shortcut = np.zeros((4000, 2, 2, 3), np.float32)
    branch = np.ones((4000, 2, 2, 3), np.float32)
    out = np.asarray(layer([shortcut, branch], training=True))
    per_example = out.reshape(4000, -1)
    assert np.all(per_example.min(axis=1) == per_example.max(axis=1)), "whole branch or nothing"
    values = np.unique(per_example)
    assert len(values) == 2 and values[0] == 0.0
    np.testing.assert_allclose(values[1], 1.0 / (1 - rate), rtol=1e-6)
    assert abs(np.mean(per_example[:, 0] == 0.0) - rate) < 0.03
    assert abs(out.mean() - 1.0) < 0.05
    np.testing.assert_array_equal(np.asarray(layer([shortcut, branch], training=False)), branch)


# --- Noise injection and the VAE sampler: random at inference, TFLite builtins ----------------

def test_noise_injection_draws_one_noise_image_scaled_per_channel():
    x = _rng(3).normal(size=(64, 8, 8, 3)).astype(np.float32)
    layer = NoiseInjection(seed=4)
    layer.build(x.shape)
    scale = np.array([0.5, -2.0, 3.0], np.float32)
    layer.set_weights([scale])
    for training in (True, False):
        noise = (np.asarray(layer(x, training=training)) - x) / scale
        np.testing.assert_allclose(noise[..., 0], noise[..., 1], atol=1e-4)
        np.testing.assert_allclose(noise[..., 0], noise[..., 2], atol=1e-4)
        assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1.0) < 0.05
    first, second = (np.asarray(layer(x)) for _ in range(2))
    assert not np.allclose(first, second), "fresh noise on every call"


def test_noise_injection_starts_as_identity():
    x = _rng(4).normal(size=(2, 4, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(NoiseInjection()(x)), x)


def test_sampling_statistics():
    mu = np.full((20000, 2), [1.0, -3.0], np.float32)
    log_var = np.full((20000, 2), [0.0, math.log(0.25)], np.float32)
    z = np.asarray(Sampling(seed=1)([mu, log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -3.0], atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), [1.0, 0.5], atol=0.02)


@pytest.mark.parametrize("layer_fn, shapes", [
    (lambda: NoiseInjection(seed=1), [(1, 4, 4, 2)]),
    (lambda: Sampling(seed=1), [(1, 6), (1, 6)]),
])
def test_random_layers_convert_with_the_builtin_random_op(layer_fn, shapes):
    inputs = [keras.Input(batch_shape=s) for s in shapes]
    layer = layer_fn()
    model = keras.Model(inputs, layer(inputs if len(inputs) > 1 else inputs[0]))
    if isinstance(layer, NoiseInjection):
        layer.set_weights([np.ones((2,), np.float32)])
    converted = tflite.convert_keras(model)
    assert "RANDOM_STANDARD_NORMAL" in tflite.op_names(converted)
    assert tflite.flex_ops(converted) == []
    runner = tflite.interpreter(converted).get_signature_runner("serving_default")
    feeds = {f"input_{i}": np.zeros(s, np.float32) for i, s in enumerate(shapes)}
    first, second = runner(**feeds)["output_0"], runner(**feeds)["output_0"]
    assert np.std(first) > 0.1 and not np.allclose(first, second), "random at inference"


def test_layers_train_together_through_fit_with_an_unknown_batch(graph_optimizer_off):
    inputs = keras.Input((8, 8, 1))
    x = MaskedConv2D(6, 5, mask_type="A", padding="same", activation="relu")(inputs)
    x = NoiseInjection(seed=1)(x)
    x = StochasticPooling2D(2, seed=2)(x)
    x = MixedPooling2D(per_channel=True, pool_size=2)(keras.layers.ReLU()(x))
    x = MinibatchStandardDeviation(group_size=4)(x)
    x = LpPooling2D(p=2, pool_size=2)(EqualizedConv2D(4, 1)(PixelNormalization()(x)))
    x = Maxout(8, num_pieces=2)(keras.layers.Flatten()(x))
    outputs = keras.layers.Dense(1)(DropConnectDense(6, rate=0.3, seed=3, activation="relu")(x))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    rng = _rng(14)
    x_train = rng.uniform(size=(20, 8, 8, 1)).astype(np.float32)
    y_train = x_train.mean(axis=(1, 2, 3))[:, None]
    # 20 examples in batches of 6: the last batch of 2 exercises the run-time group size.
    history = model.fit(x_train, y_train, batch_size=6, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# --- PixelCNN masks: causality --------------------------------------------------------------------

@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_masked_conv_sees_only_previous_pixels(mask_type):
    layer = MaskedConv2D(4, 5, mask_type=mask_type, padding="same")
    x = _rng(5).normal(size=(1, 7, 7, 2)).astype(np.float32)
    base = np.asarray(layer(x))
    r, c = 3, 4
    changed = x.copy()
    changed[0, r, c] += 10.0
    diff = np.abs(np.asarray(layer(changed)) - base).max(axis=-1)[0]
    raster = np.arange(49).reshape(7, 7)
    assert np.all(diff[raster < raster[r, c]] == 0.0), "an earlier pixel saw a later one"
    assert (diff[r, c] > 0) == (mask_type == "B")
    assert diff[r, c + 1] > 0, "the next pixel sees this one"


def test_masked_conv_rgb_groups_order_colours_at_the_centre():
    layer = MaskedConv2D(3, 3, mask_type="A", color_groups=3, padding="same")
    x = _rng(6).normal(size=(1, 3, 3, 3)).astype(np.float32)
    base = np.asarray(layer(x))
    for colour in range(3):
        changed = x.copy()
        changed[0, 1, 1, colour] += 10.0
        diff = np.abs(np.asarray(layer(changed)) - base)[0, 1, 1]
        # Mask A: R sees no colour of its own pixel, G sees R, B sees R and G.
        assert list(diff > 0) == [out > colour for out in range(3)]


# --- Minibatch stddev with an unknown batch ----------------------------------------------------

@pytest.mark.parametrize("batch", [6, 7, 8])
def test_minibatch_stddev_dynamic_batch(batch):
    inputs = keras.Input((3, 3, 4))
    model = keras.Model(inputs, MinibatchStandardDeviation(group_size=4)(inputs))
    x = _rng(batch).normal(size=(batch, 3, 3, 4)).astype(np.float32)
    # A None batch in the traced graph: the group size is computed at run time.
    serve = tf.function(model, input_signature=[tf.TensorSpec((None, 3, 3, 4), tf.float32)])
    out = np.asarray(serve(x))
    np.testing.assert_allclose(out, minibatch_stddev_reference(None, [x]), atol=1e-5)
    if batch == 7:  # prime: groups of 1, zero deviation
        np.testing.assert_allclose(out[..., -1], math.sqrt(1e-8), rtol=1e-4)


# --- Switches against TensorFlow's own op; unpooling inverts the selection ------------------

def test_switches_match_tf_max_pool_with_argmax_and_unpooling_restores_maxima():
    x = _rng(7).normal(size=(2, 6, 8, 3)).astype(np.float32)
    pooled, switches = MaxPoolingWithArgmax(2)(x)
    tf_pooled, tf_switches = tf.nn.max_pool_with_argmax(x, 2, 2, "VALID",
                                                        include_batch_in_index=False)
    np.testing.assert_array_equal(np.asarray(pooled), tf_pooled.numpy())
    np.testing.assert_array_equal(np.asarray(switches), tf_switches.numpy())
    restored = np.asarray(MaxUnpooling(2)([pooled, switches]))
    is_max = restored != 0
    assert is_max.reshape(2, -1).sum(axis=1).tolist() == [3 * 4 * 3] * 2
    np.testing.assert_array_equal(restored[is_max], x[is_max])


# --- Pooling limits -------------------------------------------------------------------------------

def test_lp_pooling_limits():
    x = _rng(8).normal(size=(2, 4, 4, 3)).astype(np.float32)
    avg = keras.layers.AveragePooling2D(2)(np.abs(x))
    np.testing.assert_allclose(np.asarray(LpPooling2D(p=1)(x)), np.asarray(avg), atol=1e-6)
    big_p = np.asarray(LpPooling2D(p=64)(x))
    max_abs = np.asarray(keras.layers.MaxPooling2D(2)(np.abs(x)))
    np.testing.assert_allclose(big_p, max_abs, rtol=0.03)
    zeros = np.zeros((1, 2, 2, 1), np.float32)
    with tf.GradientTape() as tape:
        t = tf.constant(zeros)
        tape.watch(t)
        y = LpPooling2D(p=2)(t)
    assert float(y[0, 0, 0, 0]) == 0.0
    assert np.all(np.isfinite(tape.gradient(y, t).numpy()))


def test_mixed_pooling_extremes_and_learning():
    x = _rng(9).normal(size=(2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(MixedPooling2D(1.0, learn_alpha=False)(x)),
                               np.asarray(keras.layers.MaxPooling2D(2)(x)))
    np.testing.assert_allclose(np.asarray(MixedPooling2D(0.0, learn_alpha=False)(x)),
                               np.asarray(keras.layers.AveragePooling2D(2)(x)), atol=1e-6)
    layer = MixedPooling2D(alpha=0.5)
    with tf.GradientTape() as tape:
        y = layer(x)
    (grad,) = tape.gradient(y, layer.trainable_variables)
    assert float(grad) > 0, "raising a raises max > mean outputs"


def test_spectral_pooling_keeps_constants_and_is_identity_at_full_size():
    constant = np.full((1, 9, 8, 2), 3.5, np.float32)
    np.testing.assert_allclose(np.asarray(SpectralPooling2D((4, 5))(constant)), 3.5, atol=1e-5)
    x = _rng(10).normal(size=(1, 6, 7, 2)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(SpectralPooling2D((6, 7))(x)), x, atol=1e-5)


def test_equalized_layers_store_unit_normal_weights_and_scale_at_run_time():
    layer = EqualizedDense(256, lr_multiplier=0.01)
    layer.build((None, 512))
    kernel = layer.get_weights()[0]
    assert abs(kernel.std() * 0.01 - 1.0) < 0.02  # N(0, 1) / lr_multiplier
    x = _rng(11).normal(size=(512, 512)).astype(np.float32)
    # Effective weights gain / sqrt(fan_in) * N(0, 1): outputs with variance gain^2.
    assert abs(np.asarray(layer(x)).std() - math.sqrt(2.0)) < 0.05
    conv = EqualizedConv2D(64, 3, gain=1.0)
    y = np.asarray(conv(_rng(12).normal(size=(8, 16, 16, 32)).astype(np.float32)))
    assert abs(y[:, 1:-1, 1:-1].std() - 1.0) < 0.05


def test_pixel_normalization_gives_unit_mean_square():
    x = _rng(13).normal(0, 7, size=(3, 4, 4, 16)).astype(np.float32)
    y = np.asarray(PixelNormalization()(x))
    np.testing.assert_allclose(np.mean(y ** 2, axis=-1), 1.0, atol=1e-5)


# --- Bad arguments and inputs: clear ValueErrors ----------------------------------------------------

BAD_ARGUMENTS = [
    (lambda: AdaIN(epsilon=-1.0), "epsilon"),
    (lambda: PixelNormalization(epsilon=-1.0), "epsilon"),
    (lambda: MinibatchStandardDeviation(group_size=0), "group_size"),
    (lambda: MinibatchStandardDeviation(num_features=1.5), "num_features"),
    (lambda: EqualizedDense(0), "units"),
    (lambda: EqualizedDense(4, lr_multiplier=0.0), "lr_multiplier"),
    (lambda: EqualizedConv2D(4, 3, gain=-1.0), "gain"),
    (lambda: EqualizedConv2D(4, 0), "kernel_size"),
    (lambda: EqualizedConv2D(4, 3, padding="causal"), "padding"),
    (lambda: NoiseInjection(seed="x"), "seed"),
    (lambda: Sampling(seed=1.5), "seed"),
    (lambda: MaskedConv2D(4, 3, mask_type="C"), "mask_type"),
    (lambda: MaskedConv2D(4, 4), "kernel_size"),
    (lambda: MaskedConv2D(4, 3, color_groups=3), "filters"),
    (lambda: LpPooling2D(p=0.5), "p"),
    (lambda: LpPooling2D(window="hann"), "window"),
    (lambda: LpPooling2D(pool_size=0), "pool_size"),
    (lambda: MixedPooling2D(alpha=1.5), "alpha"),
    (lambda: MixedPooling2D(alpha=1.0), "alpha"),
    (lambda: MixedPooling2D(learn_alpha=False, per_channel=True), "per_channel"),
    (lambda: StochasticPooling2D(strides=(1, 2, 3)), "strides"),
    (lambda: StochasticPooling2D(padding="full"), "padding"),
    (lambda: SpectralPooling2D(0), "output_size"),
    (lambda: MaxPoolingWithArgmax(pool_size=-2), "pool_size"),
    (lambda: MaxUnpooling(size=0), "size"),
    (lambda: MaxUnpooling(output_size=(4,)), "output_size"),
    (lambda: DropConnectDense(4, rate=1.0), "rate"),
    (lambda: DropConnectDense(-1), "units"),
    (lambda: Maxout(4, num_pieces=0), "num_pieces"),
]


@pytest.mark.parametrize("make, argument", BAD_ARGUMENTS,
                         ids=[f"{i}-{a}" for i, (_, a) in enumerate(BAD_ARGUMENTS)])
def test_bad_arguments(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def _f(*shape):
    return np.zeros(shape, np.float32)


BAD_INPUTS = [
    (AdaIN, [_f(1, 4, 4, 3)], "content"),
    (AdaIN, [_f(1, 4, 4, 3), _f(1, 4, 4, 2)], "channels"),
    (AdaIN, [_f(1, 4, 4, 3), _f(1, 3), _f(1, 3, 1)], "bias"),
    (AdaIN, [_f(1, 16, 3), _f(1, 16, 3)], "content"),
    (MinibatchStandardDeviation, _f(4, 2, 2, 3), "num_features"),
    (MinibatchStandardDeviation, _f(4, 3), "B, H, W, C"),
    (NoiseInjection, [_f(1, 4, 4, 3), _f(1, 4, 4, 3)], "noise"),
    (Sampling, [_f(2, 4), _f(2, 5)], "z_log_var"),
    (Sampling, _f(2, 4), "z_mean"),
    (MaskedConv2D, _f(1, 5, 5, 4), "color_groups"),
    (LpPooling2D, _f(1, 1, 4, 2), "smaller than pool_size"),
    (SpectralPooling2D, _f(1, 4, 4, 2), "larger"),
    (MaxUnpooling, [_f(1, 2, 2, 3), np.zeros((1, 2, 3, 3), np.int32)], "same"),
    (DropConnectDense, _f(2, 3, 4), "features"),
    (EqualizedConv2D, _f(2, 8), "B, H, W, C"),
]
_BAD_INPUT_LAYERS = {
    MinibatchStandardDeviation: lambda: MinibatchStandardDeviation(num_features=2),
    MaskedConv2D: lambda: MaskedConv2D(6, 3, color_groups=3),
    SpectralPooling2D: lambda: SpectralPooling2D(5),
    DropConnectDense: lambda: DropConnectDense(3),
    EqualizedConv2D: lambda: EqualizedConv2D(3, 3),
}


@pytest.mark.parametrize("cls, inputs, message", BAD_INPUTS,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(BAD_INPUTS)])
def test_bad_inputs(cls, inputs, message):
    layer = _BAD_INPUT_LAYERS.get(cls, cls)()
    with pytest.raises(ValueError, match=message):
        layer(inputs)


@pytest.mark.parametrize("make, inputs", [
    (lambda: keras_zoo.layers.Sampling(seed=1), lambda: [np.zeros((2, 3), "float32")] * 2),
    (lambda: keras_zoo.layers.NoiseInjection(seed=1), lambda: np.zeros((2, 4, 4, 2), "float32")),
    (lambda: keras_zoo.layers.NoiseMap((4, 4), seed=1), lambda: np.zeros((2, 4, 4, 2), "float32")),
])
def test_training_draws_repeat_from_a_restored_seed_state(make, inputs):
    # A resumed run restores the seed generators' states from its backup (training.trainer
    # .Backup): the training draws after the restore must be those of the uninterrupted run.
    layer = make()
    x = inputs()
    if isinstance(layer, keras_zoo.layers.NoiseInjection):
        layer.build(x.shape)
        layer.noise_scale.assign(np.ones(2, "float32"))
    layer(x, training=True)
    state = layer.seed_generator.state.numpy().copy()
    first = np.asarray(layer(x, training=True))
    second = np.asarray(layer(x, training=True))
    layer.seed_generator.state.assign(state)
    np.testing.assert_array_equal(np.asarray(layer(x, training=True)), first)
    assert not np.array_equal(first, second)
