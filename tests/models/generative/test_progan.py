"""Progressive GAN (Karras et al. 2018): the fade-in formula in both networks, the growth
state and its schedule through fit, stage switching, the WGAN-GP + drift loss, the export of
the final-resolution generator, bad input, the paper's parameter counts (Table 2)."""

import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.layers import FadeIn
from keras_zoo.models.generative.progan import ProgressiveGrowing
from keras_zoo.tasks import get_task
from tests.deferred import assert_deferred, deferred_weights

TASK = get_task("generative")


# Grappler off for every test here (tests/conftest.py): each fit traces a new tiny model's
# train step; measured on this file 24.8 -> 21.4 CPU s.
pytestmark = pytest.mark.usefixtures("graph_optimizer_off")


def _tiny(**overrides):
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get("progan", preset="tiny", **overrides)


def _latent(n=4, dim=16, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _up(x, factor=2):
    return np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)


def _pool(x):
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def _fit(model, epochs, callbacks=(), n=32, compile=True, **kwargs):
    entry = keras_zoo.models.info("progan")
    if compile:
        TASK.compile(model, entry, learning_rate=1e-3)
    x, y = TASK.battery_data(model, entry, n=n)
    return model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0,
                     callbacks=list(callbacks), **kwargs)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_generator_fade_in_equals_the_formula(alpha):
    model = _tiny()
    g = model.generator
    parts = keras.Model(g.inputs, [g.get_layer("generator_to_rgb0").output,
                                   g.get_layer("generator_to_rgb1").output])
    z = _latent()
    rgb0, rgb1 = (np.asarray(p) for p in parts(z))
    model.assign_growth(1, alpha)
    out = np.asarray(g(z))
    # alpha = 0: the upsampled old 4x4 image; alpha = 1: the new 8x8 block; between: the blend.
    np.testing.assert_allclose(out, (1 - alpha) * _up(rgb0) + alpha * rgb1, atol=1e-5)
    if alpha == 0.0:
        np.testing.assert_allclose(out, _up(rgb0), atol=1e-6)
    if alpha == 1.0:
        np.testing.assert_allclose(out, rgb1, atol=1e-6)
    model.assign_growth(0)  # stage 0: the 4x4 image, whatever alpha
    np.testing.assert_allclose(np.asarray(g(z)), _up(rgb0), atol=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_discriminator_fade_in_mirrors_the_generator(alpha):
    model = _tiny()
    d = model.discriminator
    fade = d.get_layer("critic_fade1")
    old_path, new_path = fade.input
    parts = keras.Model(d.inputs, [old_path, new_path, fade.output,
                                   d.get_layer("critic_downsample_input0").output])
    images = np.random.default_rng(1).uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32)
    model.assign_growth(1, alpha)
    old, new, blended, pooled = (np.asarray(p) for p in parts(images))
    np.testing.assert_allclose(pooled, _pool(images), atol=1e-6)  # fromRGB_old sees 4x4
    np.testing.assert_allclose(blended, (1 - alpha) * old + alpha * new, atol=1e-5)
    # alpha = 0: the new 8x8 block does not reach the score; alpha = 1: the old fromRGB does not.
    before = np.asarray(d(images))
    layer = d.get_layer("critic_b1_conv1" if alpha == 0.0 else "critic_from_rgb0")
    if alpha in (0.0, 1.0):
        layer.set_weights([w + 1.0 for w in layer.get_weights()])
        np.testing.assert_allclose(np.asarray(d(images)), before, atol=1e-5)


def test_real_images_follow_the_growth():
    model = _tiny()
    real = np.random.default_rng(2).uniform(-1, 1, (2, 8, 8, 1)).astype(np.float32)
    model.assign_growth(0)
    np.testing.assert_allclose(np.asarray(model.real_at_growth(real)), _up(_pool(real)),
                               atol=1e-6)
    model.assign_growth(1, 0.25)
    np.testing.assert_allclose(np.asarray(model.real_at_growth(real)),
                               0.75 * _up(_pool(real)) + 0.25 * real, atol=1e-6)


def test_state_is_shared_by_every_fade_layer_and_saved(tmp_path):
    model = _tiny()
    assert model.num_levels == 1 and len(model.fade_layers) == 2
    model.assign_growth(1, 0.4)
    assert all(int(f.stage.numpy()) == 1 and abs(float(f.alpha.numpy()) - 0.4) < 1e-7
               for f in model.fade_layers)
    assert all(not f.trainable_weights for f in model.fade_layers)
    z = _latent()
    expected = np.asarray(model(z)["images"])
    path = os.fspath(tmp_path / "progan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert (loaded.stage, round(loaded.alpha, 6)) == (1, 0.4)
    np.testing.assert_allclose(np.asarray(loaded(z)["images"]), expected, atol=1e-6)


def test_stage_switch_keeps_weights_and_schedule_runs_through_fit():
    model = _tiny()
    grow = ProgressiveGrowing(fade_epochs=1, stable_epochs=1)
    alphas = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            alphas.append((self.model.stage, round(self.model.alpha, 4)))

    new_block = model.generator.get_layer("generator_b1_conv1")
    untouched = [w.copy() for w in new_block.get_weights()]
    _fit(model, epochs=1, callbacks=[grow, Watch()])  # stage 0: the 8x8 block gets no update
    for a, b in zip(new_block.get_weights(), untouched, strict=True):
        np.testing.assert_array_equal(a, b)
    trained = [w.copy() for w in model.get_weights()]
    model.assign_growth(1, 0.0)  # switching stage changes no weight (state aside)
    fade_state = {id(v) for f in model.fade_layers for v in f.weights}
    for v, w in zip(model.weights, trained, strict=True):
        if id(v) not in fade_state:
            np.testing.assert_array_equal(np.asarray(v), w)
    _fit(model, epochs=3, callbacks=[grow, Watch()], compile=False, initial_epoch=1)
    # Epoch 0 (stage 0), epoch 1 fades the 8x8 level in over its 2 batches, epoch 2 is stable.
    assert grow.history == [(0, 1.0), (1, 0.0), (1, 1.0)]
    assert alphas == [(0, 1.0), (0, 1.0), (1, 0.0), (1, 0.5), (1, 1.0), (1, 1.0)]
    assert not np.allclose(new_block.get_weights()[0], untouched[0])


def test_loss_is_wgan_gp_with_drift():
    model = _tiny()
    model.compile()
    assert model.gradient_penalty_weight == 10.0 and model.drift_weight == 0.001
    assert model.discriminator_steps == 1
    real_out = tf.constant([[1.0], [3.0]])
    fake_out = tf.constant([[0.5], [-0.5]])
    real = tf.constant(np.random.default_rng(3).uniform(-1, 1, (2, 8, 8, 1)), tf.float32)
    fake = tf.constant(np.random.default_rng(4).uniform(-1, 1, (2, 8, 8, 1)), tf.float32)
    loss, logs = model.discriminator_loss(real_out, fake_out, real, fake, None)
    expected = -(2.0 - 0.0) + 10.0 * float(logs["gradient_penalty"]) + 0.001 * (1 + 9) / 2
    assert float(logs["drift"]) == pytest.approx(5.0)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert model.d_optimizer.beta_1 == 0.0 and model.d_optimizer.beta_2 == 0.99


def test_gap_falls_after_a_few_dozen_steps():
    # The battery's 8 steps are too few for the equalised learning rate (declared debt). At the
    # first stage of the growth (4x4), 40 steps suffice; fully grown (8x8) the gap first rises
    # then falls below its start after ~70 steps (1.006 -> 1.48 -> 0.83 at 100 steps).
    model = _tiny()
    model.assign_growth(0)
    gap = _fit(model, epochs=20).history["stat_gap"]
    assert np.all(np.isfinite(gap))
    assert np.mean(gap[-4:]) < np.mean(gap[:4]) - 0.05, gap


def test_export_is_the_final_generator():
    model = _tiny()
    model.assign_growth(0)  # the export ignores the growth state
    served = model.serving_model()
    assert [t.name for t in served.inputs] == ["latent"]
    assert not any(isinstance(layer, FadeIn) for layer in served.layers)
    z = _latent()
    model.assign_growth(1, 1.0)
    np.testing.assert_allclose(np.asarray(served(z)), (np.asarray(model.generator(z)) + 1) / 2,
                               atol=1e-6)
    fn = TASK.serving_fn(served)
    images = fn(latent=tf.constant(z))["images"]
    assert images.dtype == tf.uint8 and tuple(images.shape) == (4, 8, 8, 1)


def test_bad_input():
    model = _tiny()
    with pytest.raises(ValueError, match="latent"):
        model(np.zeros((2, 15), np.float32))
    with pytest.raises(ValueError, match="stage"):
        model.assign_growth(2)
    with pytest.raises(ValueError, match="alpha"):
        model.assign_growth(1, 1.5)
    with pytest.raises(ValueError, match="image_shape"):
        keras_zoo.models.get("progan", preset="tiny", image_shape=(12, 12, 1))
    with pytest.raises(ValueError, match="filters"):
        keras_zoo.models.get("progan", preset="tiny", filters=(16, 8, 4))
    with pytest.raises(ValueError, match="fade_epochs"):
        ProgressiveGrowing(fade_epochs=0)


def _trainable(network):
    return sum(int(np.prod(w.shape)) for w in network.trainable_weights)


def test_canonical_parameter_counts_match_table_2():
    """Table 2: 23.1M trainable parameters in each network at 1024x1024.

    Measured: G 23,086,795, D 23,087,249 (+0.06 % each). The differences: our networks hold
    every level's toRGB / fromRGB layer, the paper counts the final ones (+7,608 in G, +10,112
    in D), and the 4x4 dense layer has one bias per unit (8,192) where the official code has
    one per channel (512, +7,680). Without them: G 23,071,507, D 23,077,137. Tolerance 0.5 %."""
    # Built for real (the same layers and symbolic build, every variable created with its
    # shape) in a StatelessScope that defers the variables' initialization: 46M random draws
    # saved (~2.3 CPU s). Cross-checked: the tiny preset counts the same either way.
    def counts(preset):
        keras.utils.set_random_seed(0)
        model = keras_zoo.models.get("progan", preset=preset)
        return model, (_trainable(model.generator), _trainable(model.discriminator))

    _, tiny = counts("tiny")
    with deferred_weights():
        assert counts("tiny")[1] == tiny
        model, (g, d) = counts("canonical")
        assert_deferred(model.generator.weights)
    print(f"ProGAN 1024: G {g:,}, D {d:,} trainable parameters")
    for count in (g, d):
        assert abs(count - 23.1e6) / 23.1e6 < 0.005, count
    assert g - 7_608 - 7_680 == 23_071_507 and d - 10_112 == 23_077_137
    assert model.generator.output.shape[1:] == (1024, 1024, 3)
    assert model.num_levels == 8


class _KilledAt(keras.callbacks.Callback):
    """At the start of ``epoch``, copies the backup to ``copy``: what a run killed there leaves
    (BackupAndRestore wrote it at the end of the epoch before), and the growth state then."""

    def __init__(self, epoch, backup, copy):
        super().__init__()
        self.epoch, self.backup, self.copy = epoch, backup, copy
        self.growth = None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            shutil.copytree(self.backup, self.copy)
            self.growth = (int(self.model.stage), float(self.model.alpha))


def test_growth_through_plain_fit_resumes_with_backup_and_restore(tmp_path):
    # One uninterrupted run leaves, at the start of its last epoch, the backup a run killed
    # there would leave: a copy of it is resumed (a second, killed fit would train the same
    # two epochs again).
    backup, killed = os.fspath(tmp_path / "backup"), os.fspath(tmp_path / "killed")
    reference = _tiny(growth_epochs=(1, 1))
    kill = _KilledAt(2, backup, killed)
    _fit(reference, epochs=3, callbacks=[keras.callbacks.BackupAndRestore(backup), kill])
    assert (reference.stage, reference.alpha) == (1, 1.0)
    assert kill.growth == (1, 0.5)  # killed after the fade-in epoch (2 batches)
    assert not os.path.exists(backup)  # the completed run removed its own

    resumed = _tiny(growth_epochs=(1, 1))
    history = _fit(resumed, epochs=3, callbacks=[keras.callbacks.BackupAndRestore(killed)])
    assert len(history.history["d_loss"]) == 1  # only the last epoch ran again
    assert int(resumed.d_optimizer.iterations) == int(reference.d_optimizer.iterations) == 6
    assert (resumed.stage, resumed.alpha) == (1, 1.0)
    for a, b in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="growth_epochs"):
        _tiny(growth_epochs=(1,))
