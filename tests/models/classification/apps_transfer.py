"""Weight transfer from keras.applications into keras-zoo models, shared by the CNN tests."""

import numpy as np


def perturbed_weights(model, seed=0, gamma_scale=1.0):
    """``model``'s weights, moved off their initial values so that every BatchNormalization
    statistic and bias matters: a transfer that permutes two tensors of the same shape then
    changes the outputs. ``gamma_scale`` < 1 shrinks the BN scales of very deep untrained
    networks (EfficientNet-B7), whose activations otherwise grow to ~1e8, where float rounding
    differences alone are chaotic."""
    rng = np.random.default_rng(seed)
    weights = []
    for variable, value in zip(model.weights, model.get_weights(), strict=True):
        if value.ndim == 0:  # Normalization's sample count
            weights.append(value)
        elif variable.path.endswith("gamma"):
            weights.append((gamma_scale * value + rng.normal(0, 0.05, value.shape))
                           .astype(value.dtype))
        elif "variance" in variable.path:
            weights.append((0.5 + rng.random(value.shape)).astype(value.dtype))
        else:
            weights.append((value + rng.normal(0, 0.05, value.shape)).astype(value.dtype))
    return weights


def assert_transfer(ours, theirs, images, their_images=None, atol=1e-5, gamma_scale=1.0):
    """keras_zoo.weights' structural transfer (the one mapping), then both give the same
    outputs."""
    from keras_zoo.weights import structure

    assert ours.count_params() == theirs.count_params()
    theirs.set_weights(perturbed_weights(theirs, gamma_scale=gamma_scale))
    # set_weights leaves Normalization's cached mean and variance at 0 and 1 (loading a file
    # refreshes them): refresh the anchor, or EfficientNet's comparison ignores those weights.
    structure.refresh(theirs)
    structure.transfer(theirs, ours, f"{ours.name} <- {theirs.name}")
    expected = np.asarray(theirs(images if their_images is None else their_images,
                                 training=False))
    actual = np.asarray(ours(images, training=False))
    assert np.abs(expected).max() > 1e-3, "degenerate outputs: the comparison would be empty"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=1e-5)


def weighted_layers(model):
    """``{layer name: [weight shapes]}`` of the layers that own weights."""
    return {layer.name: [tuple(w.shape) for w in layer.weights]
            for layer in model.layers if layer.weights}


def random_images(shape, n=2, seed=0):
    return np.random.default_rng(seed).random((n,) + tuple(shape)).astype("float32")
