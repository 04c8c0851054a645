"""Generative family: losses against NumPy, the k:1 loop, WGAN clipping and penalty, resuming
a GAN with BackupAndRestore, bad input, serving outputs, synthetic domains, callbacks."""

import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.data import domains
from keras_zoo.models.generative import callbacks as gen_callbacks
from keras_zoo.models.generative.gan import GAN
from keras_zoo.models.generative.vae import elbo, gaussian_kl
from keras_zoo.models.generative.wgan_gp import WGANGP
from keras_zoo.tasks import get_task

TASK = get_task("generative")


def _tiny(name, **overrides):
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get(name, preset="tiny", **overrides)


def _fit(model, name, epochs=2, n=32, batch_size=16, learning_rate=1e-3, callbacks=()):
    entry = keras_zoo.models.info(name)
    TASK.compile(model, entry, learning_rate=learning_rate)
    x, y = TASK.battery_data(model, entry, n=n)
    return model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0,
                     callbacks=list(callbacks))


# --- VAE ------------------------------------------------------------------------------------
def _numpy_elbo(x, logits, mu, log_var):
    """The ELBO of notes 000, written independently: E_q[ln p(x|z)] - KL(q || N(0, I)), with a
    Bernoulli p(x|z) of logits and a diagonal Gaussian q."""
    p = 1.0 / (1.0 + np.exp(-logits))
    log_lik = np.sum((x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(len(x), -1), axis=1)
    sigma2 = np.exp(log_var)
    kl = 0.5 * np.sum(mu ** 2 + sigma2 - 1.0 - np.log(sigma2), axis=1)
    return log_lik - kl, log_lik, kl


def test_vae_elbo_matches_numpy():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (5, 4, 4, 1)).astype(np.float32)
    logits = rng.normal(0, 2, (5, 4, 4, 1)).astype(np.float32)
    mu = rng.normal(0, 1, (5, 3)).astype(np.float32)
    log_var = rng.normal(0, 0.5, (5, 3)).astype(np.float32)
    got = [np.asarray(t) for t in elbo(x, logits, mu, log_var)]
    want = _numpy_elbo(x.astype(np.float64), logits.astype(np.float64), mu.astype(np.float64),
                       log_var.astype(np.float64))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-4)
    # KL is zero exactly at the prior and positive elsewhere.
    np.testing.assert_allclose(gaussian_kl(np.zeros((2, 3), np.float32),
                                           np.zeros((2, 3), np.float32)), 0.0, atol=1e-7)
    assert np.all(np.asarray(gaussian_kl(mu, log_var)) > 0)


def test_vae_loss_is_minus_elbo_with_the_reparameterised_sample():
    model = _tiny("vae")
    x = np.random.default_rng(0).uniform(0, 1, (6, 8, 8, 1)).astype(np.float32)
    eps = np.random.default_rng(1).standard_normal((6, model.latent_dim)).astype(np.float32)
    mu, log_var = (np.asarray(t) for t in model.encode(x))
    z = mu + np.exp(0.5 * log_var) * eps  # z = mu + sigma * eps (notes 000)
    logits = np.asarray(model.decoder(z)).astype(np.float64)
    want = -np.mean(_numpy_elbo(x.astype(np.float64), logits, mu.astype(np.float64),
                                log_var.astype(np.float64))[0])
    sampled = np.asarray(model.sampling([mu, log_var, eps]))
    np.testing.assert_allclose(sampled, z, rtol=1e-5, atol=1e-6)
    # losses_of draws its own eps: with Sampling given this eps it must equal the NumPy value.
    original = model.sampling.call
    model.sampling.call = lambda inputs, **kwargs: original([inputs[0], inputs[1], eps])
    try:
        got = float(model.losses_of(tf.constant(x), training=False)["loss"])
    finally:
        model.sampling.call = original
    assert got == pytest.approx(want, rel=1e-5)


def test_vae_encode_decode_sample():
    model = _tiny("vae")
    x = np.random.default_rng(0).uniform(0, 1, (3, 8, 8, 1)).astype(np.float32)
    mu, log_var = model.encode(x)
    assert mu.shape == (3, 4) and log_var.shape == (3, 4)
    decoded = np.asarray(model.decode(mu))
    assert decoded.shape == (3, 8, 8, 1) and decoded.min() >= 0 and decoded.max() <= 1
    np.testing.assert_allclose(np.asarray(model(x)), decoded, atol=1e-6)  # call decodes mu
    a, b = model.sample(5, seed=7), model.sample(5, seed=7)
    assert a.shape == (5, 8, 8, 1)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="latent"):
        model.decode(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="images"):
        model.encode(np.zeros((2, 9, 9, 1), np.float32))


def test_denoising_autoencoder_corrupts_only_in_training():
    model = _tiny("denoising_autoencoder")
    x = np.ones((4, 8, 8, 1), np.float32)
    corrupted = np.asarray(model.corrupt(tf.constant(x)))
    zeroed = float(np.mean(corrupted == 0))
    assert 0.1 < zeroed < 0.4  # masking noise, fraction 0.25
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(model(x)))


# --- GAN loop -------------------------------------------------------------------------------
def test_discriminator_steps_k_to_1(graph_optimizer_off):
    model = _tiny("gan", discriminator_steps=3)
    _fit(model, "gan", epochs=3, n=32, batch_size=16)  # 6 batches
    assert int(model.d_optimizer.iterations) == 6
    assert int(model.g_optimizer.iterations) == 2


def test_minimax_generator_loss_option():
    gan = _tiny("gan")
    minimax = GAN(gan.generator, gan.discriminator, generator_loss_type="minimax")
    logits = tf.constant([[0.3], [-1.2]])
    # minimax: log(1 - D(G(z))); non-saturating: -log D(G(z))
    d = 1 / (1 + np.exp(-np.array([0.3, -1.2])))
    assert float(minimax.generator_loss(logits, None, None, None)[0]) == pytest.approx(
        np.mean(np.log(1 - d)), rel=1e-5)
    assert float(gan.generator_loss(logits, None, None, None)[0]) == pytest.approx(
        -np.mean(np.log(d)), rel=1e-5)
    with pytest.raises(ValueError, match="generator_loss_type"):
        GAN(gan.generator, gan.discriminator, generator_loss_type="hinge")


def test_wgan_clips_critic_weights(graph_optimizer_off):
    model = _tiny("wgan")
    _fit(model, "wgan", epochs=1, learning_rate=1e-2)
    values = np.concatenate([np.ravel(np.asarray(w)) for w in
                             model.discriminator.trainable_weights])
    assert np.abs(values).max() <= 0.01 + 1e-7
    assert np.abs(values).max() == pytest.approx(0.01)  # lr 1e-2 pushes weights to the bound


def test_wgan_gp_penalty_of_a_linear_critic():
    # f(x) = w.x + b has gradient w everywhere: the penalty is (||w|| - 1)^2 exactly.
    base = _tiny("wgan_gp")
    inputs = keras.Input((8, 8, 1), name="images")
    critic = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
    model = WGANGP(base.generator, critic)
    model.compile()
    w = np.asarray(critic.layers[-1].kernel)
    real = tf.random.normal((4, 8, 8, 1))
    fake = tf.random.normal((4, 8, 8, 1))
    penalty = float(model.gradient_penalty(real, fake, None))
    assert penalty == pytest.approx((np.linalg.norm(w) - 1.0) ** 2, rel=1e-4)
    assert model.gradient_penalty_weight == 10.0


@pytest.mark.parametrize("name", ["wgan", "wgan_gp"])
def test_wasserstein_statistics_fall_after_the_critic_warms_up(name, graph_optimizer_off):
    """The declared `fit` debts of wgan and wgan_gp: 8 steps are too few, 24 are enough."""
    model = _tiny(name)
    history = _fit(model, name, epochs=12)
    gap = history.history["stat_gap"]
    assert np.all(np.isfinite(gap)) and gap[-1] < gap[0] - 0.03, gap


def test_pix2pix_generator_loss_has_l1_weight_100():
    model = _tiny("pix2pix")
    real = tf.zeros((2, 16, 16, 3))
    fake = tf.fill((2, 16, 16, 3), 0.5)
    logits = tf.zeros((2, 4, 4, 1))
    loss, logs = model.generator_loss(logits, real, fake, None)
    assert float(logs["l1"]) == pytest.approx(0.5)
    assert float(loss) == pytest.approx(np.log(2.0) + 100 * 0.5, rel=1e-5)


def test_cyclegan_generator_loss_is_adversarial_plus_10_cycle_plus_5_identity():
    model = _tiny("cyclegan")
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32))
    y = tf.constant(rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32))
    g_loss, _, logs = model.losses(x, y, training=False)
    fake_y, fake_x = model.generator(x), model.inverse_generator(y)
    adversarial = (np.mean((np.asarray(model.discriminator(fake_y)) - 1) ** 2)
                   + np.mean((np.asarray(model.inverse_discriminator(fake_x)) - 1) ** 2))
    cycle = (np.mean(np.abs(np.asarray(model.inverse_generator(fake_y)) - np.asarray(x)))
             + np.mean(np.abs(np.asarray(model.generator(fake_x)) - np.asarray(y))))
    identity = (np.mean(np.abs(np.asarray(model.generator(y)) - np.asarray(y)))
                + np.mean(np.abs(np.asarray(model.inverse_generator(x)) - np.asarray(x))))
    assert float(logs["cycle"]) == pytest.approx(cycle, rel=1e-5)
    assert float(g_loss) == pytest.approx(adversarial + 10 * cycle + 5 * identity, rel=1e-5)
    out = model(np.asarray(x) * 0.5 + 0.5)
    assert out["images"].shape == (2, 16, 16, 3) and out["reconstructed"].shape == x.shape
    assert model.cycle_error(np.asarray(x) * 0.5 + 0.5) > 0


# --- BackupAndRestore -----------------------------------------------------------------------
class _KilledAt(keras.callbacks.Callback):
    """At the start of ``epoch``, copies the backup to ``copy``: what a run killed there leaves
    (BackupAndRestore wrote it at the end of the epoch before), and both optimizers' state."""

    def __init__(self, epoch, backup, copy):
        super().__init__()
        self.epoch, self.backup, self.copy = epoch, backup, copy
        self.snapshot = self.iterations = None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            shutil.copytree(self.backup, self.copy)
            self.snapshot = _optimizer_state(self.model)
            self.iterations = [int(self.model.d_optimizer.iterations),
                               int(self.model.g_optimizer.iterations)]


class _SnapshotAtStart(keras.callbacks.Callback):
    snapshot = None

    def on_train_begin(self, logs=None):
        self.snapshot = _optimizer_state(self.model)


def _optimizer_state(model):
    return {name: [np.array(v) for v in getattr(model, name).variables]
            for name in ("d_optimizer", "g_optimizer")}


def test_gan_resumes_with_backup_and_restore_keeping_both_optimizers(
        tmp_path, graph_optimizer_off):
    # One uninterrupted run leaves, at the start of its last epoch, the backup a run killed
    # there would leave: a copy of it is resumed (a second, killed fit would train the same
    # two epochs again).
    name, backup = "dcgan", os.fspath(tmp_path / "backup")
    killed = os.fspath(tmp_path / "killed")
    data_kwargs = dict(epochs=3, n=32, batch_size=16)

    reference = _tiny(name)
    interrupt = _KilledAt(2, backup, killed)
    _fit(reference, name, callbacks=[keras.callbacks.BackupAndRestore(backup), interrupt],
         **data_kwargs)
    assert interrupt.iterations == [4, 4]  # killed after two epochs of two batches
    assert not os.path.exists(backup)  # the completed run removed its own

    resumed = _tiny(name)  # a fresh process would build the same model from scratch
    start = _SnapshotAtStart()
    _fit(resumed, name, callbacks=[keras.callbacks.BackupAndRestore(killed), start],
         **data_kwargs)
    for opt in ("d_optimizer", "g_optimizer"):
        saved, restored = interrupt.snapshot[opt], start.snapshot[opt]
        assert len(saved) == len(restored) > 2  # iterations, learning rate, Adam's m and v
        for a, b in zip(saved, restored, strict=True):
            np.testing.assert_array_equal(a, b)
    assert int(resumed.d_optimizer.iterations) == int(reference.d_optimizer.iterations) == 6
    # Same data order and restored noise seed: the resumed run ends where the uninterrupted one does.
    for a, b in zip(reference.weights, resumed.weights, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5, err_msg=a.path)


# --- bad input ------------------------------------------------------------------------------
def test_bad_latent_label_and_image_raise_value_error():
    cgan = _tiny("cgan")
    z = np.zeros((2, cgan.latent_dim), np.float32)
    with pytest.raises(ValueError, match=r"latent must have shape \(batch, 8\)"):
        cgan.generate(latent=np.zeros((2, 9), np.float32), labels=[0, 1])
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 9\]"):
        cgan.generate(latent=z, labels=[0, 10])
    with pytest.raises(ValueError, match=r"labels must be class ids"):
        cgan({"latent": z, "labels": np.array([-1, 2], np.int32)})
    with pytest.raises(ValueError, match="labels"):
        cgan.generate(latent=z)
    dcgan = _tiny("dcgan")
    with pytest.raises(ValueError, match="latent"):
        dcgan(np.zeros((2, 3), np.float32))
    pix2pix = _tiny("pix2pix")
    with pytest.raises(ValueError, match=r"images must have shape \(batch, 16, 16, 3\)"):
        pix2pix.generate(images=np.zeros((1, 32, 32, 3), np.float32))
    cyclegan = _tiny("cyclegan")
    with pytest.raises(ValueError, match="images must have shape"):
        cyclegan(np.zeros((1, 16, 16, 1), np.float32))
    with pytest.raises(ValueError, match="discriminator_steps"):
        _tiny("dcgan", discriminator_steps=0)


def test_generator_config_errors_name_the_argument():
    with pytest.raises(ValueError, match="image_shape"):
        _tiny("dcgan", image_shape=(10, 10, 1))
    with pytest.raises(ValueError, match="corruption"):
        _tiny("denoising_autoencoder", corruption="salt")


# --- serving --------------------------------------------------------------------------------
@pytest.mark.parametrize("name,inputs", [("cgan", {"latent", "labels"}),
                                         ("pix2pix", {"images"}), ("vae", {"latent"})])
def test_serving_takes_named_raw_inputs_and_returns_uint8(name, inputs):
    model = _tiny(name)
    served = TASK.export_model(model)
    fn = TASK.serving_fn(served)
    example = TASK.serving_example(served, n=3)
    assert set(example) == inputs
    out = fn(**example)["images"]
    assert out.dtype == tf.uint8 and out.shape[0] == 3
    # The served images are the model's own, scaled to 0..255.
    if name == "cgan":
        expected = model.generate(latent=example["latent"], labels=example["labels"])
        np.testing.assert_allclose(np.asarray(out, float), expected * 255.0, atol=0.51)


# --- data and callbacks ---------------------------------------------------------------------
def test_domains_paired_and_unpaired():
    source, target = domains.load("outline_to_filled", "train", (16, 16), n=8)
    assert source.shape == target.shape == (8, 16, 16, 3) and source.dtype == np.uint8
    lit_s, lit_t = source[..., 0] > 100, target[..., 0] > 100
    assert np.all(lit_t[lit_s])  # every outline pixel is inside its filled shape
    assert lit_t.sum() > lit_s.sum()
    red, blue = domains.load("red_to_blue", "test", (16, 16), n=4)
    np.testing.assert_array_equal(red[..., 0] > 100, blue[..., 2] > 100)  # same shapes
    a, b = domains.load("red_to_blue_unpaired", "test", (16, 16), n=4)
    assert not np.array_equal(a[..., 0] > 100, b[..., 2] > 100)
    with pytest.raises(ValueError, match="Unknown domain pair"):
        domains.load("day_to_night")


def test_sample_grid_and_loss_curve_pngs(tmp_path, graph_optimizer_off):
    model = _tiny("cgan")
    grid = gen_callbacks.SampleGrid(tmp_path / "samples", n=10)
    curves = gen_callbacks.LossCurves(tmp_path / "curves.png")
    _fit(model, "cgan", epochs=2, n=16, callbacks=[grid, curves])
    assert [os.path.basename(p) for p in grid.paths] == ["samples_epoch001.png",
                                                        "samples_epoch002.png"]
    for path in grid.paths + [curves.path]:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert set(curves.history) == {"d_loss", "g_loss", "stat_gap"}


# --- InfoGAN, SGAN, DiscoGAN ----------------------------------------------------------------
def test_infogan_information_loss_matches_numpy():
    model = _tiny("infogan")
    model.compile()
    z = model.sample_latent(4, salt=5)  # sets the codes used by the loss
    codes = np.asarray(model._codes)
    assert z.shape == (4, 6 + 10 + 2) and codes.shape == (4, 12)
    np.testing.assert_array_equal(codes[:, :10].sum(-1), 1.0)  # one-hot categorical
    assert np.abs(codes[:, 10:]).max() <= 1.0
    out = np.random.default_rng(0).normal(size=(4, 13)).astype(np.float32)
    logits = out[:, 1:11]
    log_q = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ce = -np.mean(np.sum(codes[:, :10] * log_q, -1))
    gauss = np.mean(0.5 * np.sum((codes[:, 10:] - out[:, 11:]) ** 2, -1))
    assert float(model.information_loss(tf.constant(out))) == pytest.approx(
        1.0 * ce + 0.1 * gauss, rel=1e-5)


def test_sgan_learns_from_partly_labelled_digits(graph_optimizer_off):
    model = _tiny("sgan")
    entry = keras_zoo.models.info("sgan")
    TASK.compile(model, entry, learning_rate=1e-3)
    images, labels = keras_zoo.data.load_arrays("digits", "train", (8, 8), 1)
    labels = labels[:256].copy()
    labels[128:] = -1  # half unlabelled
    history = model.fit({"images": images[:256] / 255.0, "labels": labels}, batch_size=32,
                        epochs=4, verbose=0)
    assert history.history["supervised"][-1] < history.history["supervised"][0]
    probabilities = model.classify(images[:8] / 255.0)
    assert probabilities.shape == (8, 10)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)


def test_discogan_is_cyclegan_with_its_own_losses():
    model = _tiny("discogan")
    assert (model.adversarial_loss, model.cycle_distance, model.identity_weight) == (
        "cross_entropy", "l2", 0.0)
    x = tf.random.uniform((2, 16, 16, 3), -1, 1)
    _, _, logs = model.losses(x, tf.random.uniform((2, 16, 16, 3), -1, 1), training=False)
    assert float(logs["identity"]) == 0.0
    back = model.inverse_generator(model.generator(x))
    half = float(tf.reduce_mean(tf.square(back - x)))  # squared-error reconstruction of A
    assert float(logs["cycle"]) > half > 0


def test_stargan_translates_to_target_domains_and_checks_labels():
    model = _tiny("stargan")
    images, labels = domains.load_labelled("colors", "test", (16, 16), n=3)
    assert set(np.unique(domains.load_labelled("colors", "train", (16, 16), n=50)[1])) == {
        0, 1, 2}
    out = model.generate(images=images / 255.0, labels=[2, 0, 1])
    assert out.shape == (3, 16, 16, 3)
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 2\]"):
        model.generate(images=images / 255.0, labels=[0, 1, 3])
    with pytest.raises(ValueError, match="images must have shape"):
        model.generate(images=np.zeros((3, 8, 8, 3), np.float32), labels=[0, 1, 2])
    served = TASK.export_model(model)
    example = TASK.serving_example(served, n=2)
    assert set(example) == {"images", "labels"}
    assert TASK.serving_fn(served)(**example)["images"].dtype == tf.uint8
