"""Pretrained weights for keras-zoo models: ``keras_zoo.models.get(name, weights=...)``.

``weights`` is one of:

* ``None``: random initialisation;
* a path to a ``.weights.h5`` file (``model.save_weights``, ``keras-zoo weights``) or a
  ``.keras`` model of the same architecture;
* ``"imagenet"``: keras.applications' ImageNet weights, downloaded by keras.applications
  itself (``keras_zoo.weights.applications``);
* ``"keras_hub:<preset>"``: a keras-hub backbone's weights, through its ``from_preset``
  (``keras_zoo.weights.keras_hub``).

Weights trained on another input convention come with it: the source's preprocessing becomes a
``ChannelAffine`` layer named ``"preprocessing"`` after the input, so every model still takes
float RGB images in [0, 1]. Its matrix and offset are weights, so a converted ``.weights.h5``
file brings it back when loaded. Where the zoo model's head differs from the source's (another
number of classes, ``include_top=False``), the backbone loads and the head is new.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from keras_zoo.layers.channel_affine import ChannelAffine

PREPROCESSING = "preprocessing"
#: The nested model of a multi-input model (CLIP) that takes the preprocessing.
IMAGE_ENCODER = "image_encoder"
_HUB_PREFIX = "keras_hub:"


def sources(name):
    """The weight sources the registry model ``name`` accepts, as ``weights=`` values."""
    from keras_zoo.weights import applications, keras_hub

    accepted = ["None (random)", "a .weights.h5 / .keras path"]
    if name in applications.MODELS:
        accepted.append("imagenet")
    accepted += [_HUB_PREFIX + preset for preset in keras_hub.presets(name)]
    return accepted


def _label(name, weights):
    return f"{name}: weights={weights!r}"


def build(entry, preset, config, weights):
    """The model of registry ``entry`` at ``preset`` and ``config``, with ``weights`` loaded."""
    if weights is None:
        return entry.build(preset, **config)
    if "input_tensor" in config:
        raise ValueError(f"{entry.name}: input_tensor cannot be combined with weights="
                         f"{weights!r} (the weights may bring their own preprocessing layer).")
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"{entry.name}: weights must be None, a path, 'imagenet' or "
                        f"'keras_hub:<preset>', got {type(weights).__name__}.")
    text = os.fspath(weights)
    if text == "imagenet":
        from keras_zoo.weights import applications

        if entry.name not in applications.MODELS:
            raise ValueError(f"{_label(entry.name, text)}: keras.applications has no ImageNet "
                             f"weights for this model; it accepts {sources(entry.name)}.")
        merged = entry.config(preset, **config)
        model, affine = applications.load(entry.name, entry.build(preset, **config), merged)
        return with_preprocessing(model, affine)
    if text.startswith(_HUB_PREFIX):
        from keras_zoo.weights import keras_hub

        model, affine = keras_hub.load(entry, text[len(_HUB_PREFIX):], preset, config)
        return with_preprocessing(model, affine)
    return _from_file(entry, preset, config, text)


def with_preprocessing(model, affine):
    """``model`` with a ``ChannelAffine`` named "preprocessing" after its image input.

    A model of several inputs (CLIP: images and text) gets it inside its nested functional
    ``"image_encoder"``, so the encoder alone (what retrieval serving runs) preprocesses too.
    """
    if affine is None:
        return model
    if not getattr(model, "inputs", None):
        raise ValueError(f"{model.name}: the weights need their preprocessing layer, which only "
                         "a functional model takes; build it with include_top=False.")
    if len(model.inputs) != 1:
        names = [layer.name for layer in model.layers]
        if IMAGE_ENCODER not in names:
            raise ValueError(f"{model.name}: preprocessing needs a single image input or a "
                             f"nested {IMAGE_ENCODER!r}, got {len(model.inputs)} inputs.")
        encoder = model.get_layer(IMAGE_ENCODER)
        preprocessed = with_preprocessing(encoder, affine)
        inputs = [keras.Input(batch_shape=t.shape, dtype=t.dtype, name=t.name)
                  for t in model.inputs]
        outputs = model._run_through_graph(
            inputs, operation_fn=lambda op: preprocessed if op is encoder else op)
        if isinstance(model._inputs_struct, dict):
            inputs = {t.name: t for t in inputs}
        return keras.Model(inputs, outputs, name=model.name)
    source = model.inputs[0]
    inputs = keras.Input(batch_shape=source.shape, dtype=source.dtype,
                         name=model.layers[0].name)
    layer = ChannelAffine(channels=source.shape[-1], name=PREPROCESSING)
    x = layer(inputs)
    layer.set_weights(list(affine))
    # Re-run the model's own graph (its layers, shared) on the preprocessed tensor: the result
    # is one flat functional model, with every layer name kept. keras.models.clone_model with
    # input_tensors would insert a second input layer instead.
    outputs = model._run_through_graph(x, operation_fn=lambda operation: operation)
    return keras.Model(inputs, outputs, name=model.name)


def _file_has_preprocessing(path):
    if path.endswith(".keras"):
        source = keras.saving.load_model(path, safe_mode=True, compile=False)
        return source, any(layer.name == PREPROCESSING for layer in
                           source._flatten_layers(include_self=False, recursive=True))
    import h5py

    found = []
    with h5py.File(path, "r") as f:
        # Also nested: a multi-input model keeps it in its image encoder.
        f.visit(lambda key: found.append(key) if key.rsplit("/", 1)[-1].startswith(
            "channel_affine") else None)
        return None, bool(found)


def _from_file(entry, preset, config, path):
    label = _label(entry.name, path)
    if not os.path.isfile(path):
        raise ValueError(f"{label}: not a file, 'imagenet' or 'keras_hub:<preset>'; "
                         f"{entry.name} accepts {sources(entry.name)}.")
    if not path.endswith((".weights.h5", ".keras")):
        raise ValueError(f"{label}: expected a .weights.h5 or .keras file.")
    try:
        source, preprocessed = _file_has_preprocessing(path)
    except Exception as error:  # not an HDF5 / Keras archive: say which file
        raise ValueError(f"{label}: cannot read the file: {error}".splitlines()[0]) from error
    model = entry.build(preset, **config)
    if preprocessed:
        channels = model.inputs[0].shape[-1]  # the file's matrix and offset replace these
        model = with_preprocessing(model, (np.eye(channels, dtype="float32"),
                                           np.zeros(channels, "float32")))
    if source is not None:
        from keras_zoo.weights import structure

        structure.transfer(source, model, label)
        return model
    try:
        model.load_weights(path)
    except Exception as error:  # another architecture: name the first tensor that differs
        label = f"Could not load weights from {path!r} into {entry.name}"
        raise ValueError(_first_h5_mismatch(model, path, label)
                         or f"{label}: {error}".splitlines()[0]) from error
    return model


def _first_h5_mismatch(model, path, label):
    """The first layer of ``model`` whose tensors differ from the file's, as one line.

    Keras stores a functional model's layers under ``layers/<snake_case class name>[_<n>]``,
    numbered in the order of ``model.layers``.
    """
    import h5py
    from keras.src.utils.naming import to_snake_case

    def datasets(group):
        found = []
        group.visititems(lambda name, item: found.append((tuple(item.shape), name))
                         if isinstance(item, h5py.Dataset) else None)
        return sorted(found)

    counts = {}
    with h5py.File(path, "r") as f:
        for layer in model.layers:
            base = to_snake_case(type(layer).__name__)
            key = base if base not in counts else f"{base}_{counts[base]}"
            counts[base] = counts.get(base, 0) + 1
            ours = sorted((tuple(w.shape), w.path) for w in layer.weights)
            group = f.get(f"layers/{key}")
            theirs = datasets(group) if group is not None else []
            for i in range(max(len(ours), len(theirs))):
                mine = ours[i] if i < len(ours) else None
                stored = theirs[i] if i < len(theirs) else None
                where = f"'layers/{key}/{stored[1]}' {stored[0]}" if stored else None
                if mine is None:
                    return (f"{label}: the file's {where} has no counterpart in our layer "
                            f"{layer.name!r}.")
                if stored is None:
                    return (f"{label}: the file has no tensor under 'layers/{key}' for our "
                            f"{mine[1]!r} {mine[0]}.")
                if mine[0] != stored[0]:
                    return f"{label}: the file's {where} does not fit our {mine[1]!r} {mine[0]}."
    return None
