"""Random-weight anchors whose outputs stay O(1) and depend on the input, so that a max absolute
difference of 1e-5 is a strict test: every tensor is perturbed (a transfer that swaps two
tensors of the same shape then changes the outputs), and every BatchNormalization's moving
statistics are set to those of a calibration batch (one pass with momentum 0), floored."""

import importlib

import keras
import numpy as np

from keras_zoo.weights import applications


def random_images(shape, n=2, seed=0):
    return np.random.default_rng(seed).random((n,) + tuple(shape)).astype("float32")


def their_input(name, images):
    """``images`` in [0, 1] after keras.applications' own ``preprocess_input``."""
    module = importlib.import_module(f"keras.applications.{applications.MODELS[name].module}")
    return module.preprocess_input(255.0 * images)


def calibrate(model, inputs, seed=0, floor=1e-2):
    """Perturbs every weight, then sets BN moving statistics to those of ``inputs``, each
    variance raised by ``floor`` (too high a floor erases the input from deep MobileNets; too
    low lets a 1e-7 rounding of the preprocessing grow past 1e-5 through 50 layers)."""
    rng = np.random.default_rng(seed)
    weights = []
    for variable, value in zip(model.weights, model.get_weights(), strict=True):
        if value.ndim == 0:
            weights.append(value)
        elif "variance" in variable.path:
            weights.append((0.5 + rng.random(value.shape)).astype(value.dtype))
        else:
            weights.append((value + rng.normal(0, 0.02, value.shape)).astype(value.dtype))
    model.set_weights(weights)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()
    momenta = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            momenta[layer.name] = layer.momentum
            layer.momentum = 0.0
    model(inputs, training=True)
    for layer in model.layers:
        if layer.name in momenta:
            layer.momentum = momenta[layer.name]
            # A floor: deep 1x1 maps give few samples per channel, and a near-zero variance
            # would blow up any other input.
            layer.moving_variance.assign(layer.moving_variance + floor)
    return model


def assert_same_outputs(ours, theirs, images, their_images, atol=1e-5):
    expected = np.asarray(theirs(their_images, training=False))
    actual = np.asarray(ours(images, training=False))
    assert np.abs(expected).max() > 1e-2, "degenerate outputs: the comparison would be empty"
    assert np.abs(expected[0] - expected[1]).max() > 1e-3, "outputs do not depend on inputs"
    difference = np.abs(actual - expected).max()
    assert difference <= atol, f"max abs difference {difference:.3g} > {atol}"
    return difference


def perturbed(backbone, seed=0, std=0.02):
    """``backbone`` with N(0, std) noise added to every weight (seeded): no weight keeps its
    initial value (zero biases, unit scales), so a conversion that drops one shows."""
    rng = np.random.default_rng(seed)
    backbone.set_weights([(w + rng.normal(0, std, w.shape)).astype(w.dtype)
                          for w in backbone.get_weights()])
    return backbone


def imagenet_scale_offset():
    """The presets' ImageNet mean and std on [0, 255] pixels as an image converter's
    ``scale`` and ``offset``."""
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return list(1 / (255 * std)), list(-mean / std)


def clip_differences(backbone, ours, converter, tokens):
    """Max absolute differences (logits, image and text embeddings) between a keras-hub
    CLIP-style backbone on ``tokens`` and random images after its ``converter``, and the zoo
    CLIP ``ours`` on the same images in [0, 1]. The anchor's rows must differ (a swapped or
    constant input would show)."""
    shape = backbone.get_config()["vision_encoder"]["config"]["image_shape"]
    images = random_images(shape, n=len(tokens))
    their_images = np.asarray(converter(255.0 * images))
    expected = {"logits": np.asarray(backbone({"images": their_images,
                                               "token_ids": tokens})["vision_logits"]),
                "image": np.asarray(backbone.get_vision_embeddings(their_images)),
                "text": np.asarray(backbone.get_text_embeddings(tokens))}
    actual = {"logits": np.asarray(ours({"images": images, "text": tokens})),
              "image": np.asarray(ours.get_layer("image_encoder")(images)),
              "text": np.asarray(ours.get_layer("text_encoder")(tokens))}
    for key in ("image", "text"):
        assert np.abs(expected[key][0] - expected[key][1]).max() > 1e-2, key
    return {key: float(np.abs(actual[key] - expected[key]).max()) for key in expected}
