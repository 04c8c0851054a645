"""``MirroredStrategy`` over 2 logical CPU devices through plain ``fit``: the same training as no
strategy, and custom ``train_step`` models (a GAN with two optimizers, a VAE) train under it
(keras-team/keras#20164 reports such models failing). Run with ``pytest -m distributed``."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.distributed.cluster import REPO, worker_env
from tests.distributed.mirrored_check import (
    CLIPPED_MODELS,
    CUSTOM_STEP_MODELS,
    EXACT_CUSTOM_STEP_MODELS,
)

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    path = tmp_path_factory.mktemp("mirrored") / "out.json"
    done = subprocess.run([sys.executable, "-m", "tests.distributed.mirrored_check", str(path)],
                          cwd=REPO, env=worker_env(), capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    with open(path) as f:
        return json.load(f)


def test_mirrored_over_two_devices_equals_no_strategy(mirrored):
    assert mirrored["replicas"] == 2
    none, two = mirrored["mlp_none"], mirrored["mlp_mirrored"]
    np.testing.assert_allclose(two["history"]["loss"], none["history"]["loss"], atol=1e-5)
    assert none["history"]["loss"][-1] < none["history"]["loss"][0]
    for a, b in zip(two["weights"], none["weights"], strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


@pytest.mark.parametrize("name", EXACT_CUSTOM_STEP_MODELS)
def test_custom_train_step_under_mirrored_equals_no_strategy(mirrored, name):
    # A hand-written loss is each replica's mean; the optimizer sums the replicas' gradients,
    # so the step must divide them by the replicas (keras_zoo.models.replicas.minimize).
    none, two = mirrored[f"{name}_none"], mirrored[f"{name}_mirrored"]
    assert none["history"]["loss"][-1] < none["history"]["loss"][0]
    np.testing.assert_allclose(two["history"]["loss"], none["history"]["loss"], rtol=1e-4)
    for a, b in zip(two["weights"], none["weights"], strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


@pytest.mark.parametrize("name", CLIPPED_MODELS)
def test_global_clipnorm_under_mirrored_clips_the_summed_gradient(mirrored, name):
    # Keras clips each replica's share before the all-reduce; with a clip norm below the
    # gradients' norm two replicas then step up to twice as far as one device. Fails without
    # keras_zoo.models.replicas.clip_after_all_reduce (checked).
    none, two = mirrored[f"{name}_clipped_none"], mirrored[f"{name}_clipped_mirrored"]
    plain = mirrored[f"{name}_none"] if name != "mlp" else None
    for a, b in zip(two["weights"], none["weights"], strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)
    if plain is not None:  # the clip did act
        assert any(not np.allclose(np.asarray(a), np.asarray(b), atol=1e-6)
                   for a, b in zip(none["weights"], plain["weights"], strict=True))


def test_adversarial_training_over_two_replicas_equals_one_device(mirrored):
    # AdversarialTraining's train_step makes PGD examples from each replica's share of the
    # batch and returns the mixed loss: over 2 replicas the same updates as one device (a loss
    # not divided by the replicas would step twice as far with SGD).
    none, two = mirrored["adversarial_none"], mirrored["adversarial_mirrored"]
    assert none["history"]["loss"][-1] < none["history"]["loss"][0]
    np.testing.assert_allclose(two["history"]["loss"], none["history"]["loss"], rtol=1e-4)
    for a, b in zip(two["weights"], none["weights"], strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)
    # With PGD's random start (drawn per replica) it trains, finitely.
    loss = mirrored["adversarial_random_start_mirrored"]["history"]["loss"]
    assert len(loss) == 2 and np.all(np.isfinite(loss)) and loss[-1] < loss[0] + 0.1


@pytest.mark.parametrize("name", CUSTOM_STEP_MODELS)
def test_custom_train_step_model_trains_under_mirrored(mirrored, name):
    result = mirrored[name]
    assert result["steps"] > 0
    for key, values in result["history"].items():
        assert len(values) == 2 and np.all(np.isfinite(values)), (key, values)
    if name == "gan":
        assert result["optimizers"] == 2
        assert {"d_loss", "g_loss"} <= set(result["history"])


def test_indivisible_global_batch_is_a_clear_error(mirrored):
    message = mirrored["indivisible_batch_error"]
    assert message is not None, "train() accepted a batch of 33 over 2 replicas"
    assert "batch_size 33" in message and "number of replicas 2" in message
