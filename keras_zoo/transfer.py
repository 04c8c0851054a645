"""Transfer learning for every registry image classifier: a new head on a frozen backbone, then
fine-tuning of all or the top blocks at a lower learning rate.

    model = keras_zoo.models.get("resnet18", preset="tiny", classes=5)
    transfer.prepare(model, "resnet18", "runs/resnet18/model.keras", freeze="backbone")
    ... fit (only the head learns) ... then, from that run's checkpoint:
    transfer.prepare(model, "resnet18", "runs/resnet18_head/model.keras", fine_tune=True)
    ... fit at learning_rate * FINE_TUNE_LR_FACTOR

Both phases in one run (one run directory, resumable across the boundary) are a recipe with
``transfer=TransferPhases(...)`` (``training.recipes``), e.g. ``keras-zoo train resnet18 --from
runs/resnet18/model.keras --recipe transfer`` (the model's own recipe in two phases); phase 2
calls ``unfreeze`` on phase 1's model.

The backbone is what ``include_top=False`` keeps (the classifier's layers up to its last
feature map); the head is the rest (pooling, dense layers, predictions). A frozen layer has
``trainable=False``; a frozen BatchNormalization then runs in inference mode (Keras 3), using
its moving statistics, which is what fine-tuning on a small dataset needs. While fine-tuning,
BatchNormalization layers stay frozen (their statistics from the larger source data are kept).
"""

from __future__ import annotations

import keras

from keras_zoo.models.composite import DeclaresBackbone

FREEZE = (None, "backbone")
#: Fine-tuning trains at this fraction of the recipe's learning rate (the usual 1/10).
FINE_TUNE_LR_FACTOR = 0.1


def backbone_layer_names(name, model, config=None) -> list[str]:
    """The names of ``model``'s layers that belong to the backbone of registry model ``name``
    built with ``config``: those its class declares (``DeclaresBackbone``), else, for an image
    classifier, those an ``include_top=False`` build also has.

    Raises:
        ValueError: naming the model, when it is neither (no backbone is declared).
    """
    from keras_zoo.models import registry

    entry = registry.info(name)
    if isinstance(model, DeclaresBackbone):
        return list(model.backbone_layer_names())
    if entry.task != "classification":
        raise ValueError(
            f"transfer: {name!r} (task {entry.task!r}, class {type(model).__name__}) declares "
            "no backbone; transfer learning applies to registry image classifiers (their "
            "include_top=False build) and to models whose class derives from "
            "keras_zoo.models.composite.DeclaresBackbone.")
    shape = tuple(model.input_shape[1:])
    try:
        headless = entry.builder(**{**dict(config or {}), "include_top": False,
                                    "pooling": None, "input_shape": shape})
    except TypeError as error:
        raise ValueError(f"transfer: {name!r} cannot be built without its top: {error}") from None
    names = {layer.name for layer in headless.layers}
    if not any(layer.weights for layer in model.layers if layer.name not in names):
        # e.g. a perceptron: its one weighted layer is also its include_top=False build, so a
        # frozen backbone would leave nothing to train.
        raise ValueError(
            f"transfer: {name!r} has no head with weights apart from its backbone (its "
            "include_top=False build holds every weighted layer): freezing or fine-tuning it "
            "as a backbone would train nothing or everything; train it from scratch.")
    return [layer.name for layer in model.layers if layer.name in names]


def _check_compatible(model, checkpoint, backbone, path):
    """Every backbone layer must exist in the checkpoint with the same weight shapes."""
    theirs = {layer.name: layer for layer in checkpoint.layers}
    problems = []
    for layer_name in backbone:
        mine = model.get_layer(layer_name)
        if not mine.weights:
            continue
        other = theirs.get(layer_name)
        if other is None:
            problems.append(f"{layer_name} missing")
        elif [tuple(w.shape) for w in other.weights] != [tuple(w.shape) for w in mine.weights]:
            problems.append(f"{layer_name} {[tuple(w.shape) for w in other.weights]} != "
                            f"{[tuple(w.shape) for w in mine.weights]}")
    if problems:
        raise ValueError(
            f"from_checkpoint: {path} holds a {checkpoint.name!r} model whose layers do not match "
            f"the backbone of {model.name!r} ({len(problems)} layers differ, e.g. "
            f"{problems[:3]}); pass a checkpoint of the same architecture.")


def _head_matches(model, checkpoint, head):
    theirs = {layer.name: layer for layer in checkpoint.layers}
    return all(
        n in theirs and [tuple(w.shape) for w in theirs[n].weights]
        == [tuple(w.shape) for w in model.get_layer(n).weights] for n in head)


def blocks(model, layer_names) -> list[list[str]]:
    """Weighted layers grouped into blocks, in order: a block is the layers sharing a name
    prefix up to ``_block<k>`` (``conv4_block2_1_conv`` -> ``conv4_block2``), else one layer."""
    groups: dict[str, list[str]] = {}
    for layer_name in layer_names:
        if not model.get_layer(layer_name).weights:
            continue
        parts = layer_name.split("_")
        key = layer_name
        for i, part in enumerate(parts):
            if part.startswith("block"):
                key = "_".join(parts[:i + 1])
                break
        groups.setdefault(key, []).append(layer_name)
    return list(groups.values())


def prepare(model, name, from_checkpoint, freeze=None, fine_tune=False, config=None):
    """Loads ``from_checkpoint``'s weights into ``model`` and sets what trains.

    Args:
        model: a freshly built registry classifier ``name`` (its head may have other classes).
        name: its registry name.
        from_checkpoint: a ``.keras`` file of the same architecture (any head).
        freeze: ``"backbone"`` (only the head trains) or ``None``.
        fine_tune: ``False``; ``True`` (unfreeze every layer but BatchNormalization) or an
            int N (unfreeze only the top N blocks of the backbone, and the head). Train then at
            ``FINE_TUNE_LR_FACTOR`` times the learning rate.
        config: the builder kwargs ``model`` was built with (preset config and overrides).

    Returns:
        The learning-rate factor to train with (1.0, or ``FINE_TUNE_LR_FACTOR``).
    """
    from keras_zoo.export.bundle import load_keras

    if freeze not in FREEZE:
        raise ValueError(f"freeze must be one of {list(FREEZE)}, got {freeze!r}.")
    _check_fine_tune(fine_tune)
    if freeze is not None and fine_tune is not False:
        raise ValueError("freeze='backbone' and fine_tune are two phases: freeze first, then "
                         "fine-tune from that run's checkpoint.")
    if from_checkpoint is None:
        raise ValueError("from_checkpoint is required for freeze/fine_tune: the weights to "
                         "transfer.")
    checkpoint = load_keras(from_checkpoint)
    backbone = backbone_layer_names(name, model, config)
    _check_compatible(model, checkpoint, backbone, from_checkpoint)
    head = [layer.name for layer in model.layers if layer.name not in set(backbone)]
    # Fine-tuning continues a frozen run: its head is kept when it fits this model.
    copy = backbone + (head if _head_matches(model, checkpoint, head) else [])
    for layer_name in copy:
        layer = model.get_layer(layer_name)
        if layer.weights:
            layer.set_weights(checkpoint.get_layer(layer_name).get_weights())
    if freeze == "backbone":
        for layer_name in backbone:
            model.get_layer(layer_name).trainable = False
        return 1.0
    if fine_tune is False:
        return 1.0
    _unfreeze(model, backbone, fine_tune)
    return FINE_TUNE_LR_FACTOR


def _check_fine_tune(fine_tune, allow_false=True):
    if not ((allow_false and fine_tune is False) or fine_tune is True or (
            isinstance(fine_tune, int) and not isinstance(fine_tune, bool) and fine_tune >= 1)):
        raise ValueError(f"fine_tune must be {'False, ' if allow_false else ''}True or a "
                         f"positive int of blocks, got {fine_tune!r}.")


def _unfreeze(model, backbone, fine_tune):
    trainable = set(backbone) if fine_tune is True else {
        n for block in blocks(model, backbone)[-fine_tune:] for n in block}
    for layer_name in backbone:
        layer = model.get_layer(layer_name)
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = layer_name in trainable and not is_bn


def unfreeze(model, name, fine_tune=True, config=None):
    """Phase 2 of a two-phase run (``training.recipes.TransferPhases``): makes the whole
    backbone of ``model`` (``fine_tune=True``) or its top ``fine_tune`` blocks trainable again,
    BatchNormalization excepted, keeping the weights ``model`` has (those of phase 1, unlike
    ``prepare``, which loads a checkpoint). The head stays trainable. Compile again afterwards
    (a fresh optimizer, at ``FINE_TUNE_LR_FACTOR`` times the learning rate by default).

    Args:
        model: a registry classifier ``name`` prepared by ``prepare(..., freeze="backbone")``.
        name: its registry name.
        fine_tune: ``True`` or a positive int of top blocks.
        config: the builder kwargs ``model`` was built with.
    """
    _check_fine_tune(fine_tune, allow_false=False)
    _unfreeze(model, backbone_layer_names(name, model, config), fine_tune)
