"""Batch-normalization folding for serving: an inference copy of a model in which each
BatchNormalization that directly follows a convolution or dense layer is merged into that
layer's kernel and bias (Ioffe & Szegedy 2015, section 3.1: at inference the transform is a
fixed affine map per channel, so it composes with the linear layer before it).

    folded = fold_batch_norms(model)
    folded.model      # the copy to serve (or ``model`` itself when nothing could be folded)
    folded.folded     # ((layer name, batch-norm name), ...)
    folded.skipped    # {batch-norm name: why it was kept}
    folded.reason     # why the whole model was returned unchanged, else None
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

# Exact types only: a subclass may change ``call`` (weight standardization, say), and folding
# into it would be silently wrong.
_CONVS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_DENSE = (keras.layers.Dense,)
_FOLDABLE = _CONVS + _DEPTHWISE + _DENSE


@dataclasses.dataclass(frozen=True)
class FoldResult:
    """``model``: the inference copy (the input model itself when ``reason`` is set);
    ``folded``: the (layer, batch-norm) name pairs merged; ``skipped``: batch-norm name -> why it
    was kept; ``reason``: why the whole model was returned unchanged, or None."""

    model: keras.Model
    folded: tuple = ()
    skipped: dict = dataclasses.field(default_factory=dict)
    reason: str | None = None


def _is_batch_norm(layer) -> bool:
    return type(layer) is keras.layers.BatchNormalization


def batch_norm_layers(model) -> list:
    """Every BatchNormalization inside ``model``, nested models and custom layers included."""
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if _is_batch_norm(layer)]


def _graph_models(model):
    """``model`` and the Functional/Sequential models nested in it (their graphs are known)."""
    found, stack = [], [model]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(layer for layer in current.layers
                     if isinstance(layer, (keras.Sequential, _functional())))
    return found


def _functional():
    from keras.src.models.functional import Functional

    return Functional


def _uniform_float32(layer) -> bool:
    policy = layer.dtype_policy
    return (policy.compute_dtype == "float32" and policy.variable_dtype == "float32"
            and not getattr(policy, "quantization_mode", None))


def _why_not(producer, bn, consumers: int, is_output: bool, training) -> str | None:
    """Why ``bn`` cannot be folded into ``producer`` (its single input's layer), or None."""
    if not isinstance(producer, keras.layers.Layer) or type(producer) not in _FOLDABLE:
        kind = type(producer).__name__
        return f"follows a {kind}, not a Conv1D/2D/3D, DepthwiseConv1D/2D or Dense"
    if len(producer._inbound_nodes) != 1 or len(bn._inbound_nodes) != 1:
        return f"{producer.name} or {bn.name} is called more than once (shared weights)"
    if producer.activation is not keras.activations.linear:
        return f"{producer.name} has activation {producer.activation.__name__} before the norm"
    if consumers != 1 or is_output:
        return f"the output of {producer.name} is used elsewhere, not only by {bn.name}"
    if training is not None:
        return f"{bn.name} is called with training={training!r} fixed in the graph"
    if getattr(producer, "lora_enabled", False):
        return f"{producer.name} has LoRA weights"
    if not (_uniform_float32(producer) and _uniform_float32(bn)):
        return "not float32 (mixed precision or quantized): folding would change the rounding"
    rank = len(producer.output.shape)
    if type(producer) in _DENSE or getattr(producer, "data_format", None) == "channels_last":
        channel = rank - 1
    else:
        channel = 1
    axes = bn.axis if isinstance(bn.axis, (list, tuple)) else [bn.axis]
    if [a % rank for a in axes] != [channel]:
        return f"{bn.name} normalizes axis {bn.axis}, not the channels of {producer.name}"
    return None


def _pairs(graph) -> tuple[list, dict]:
    """(producer, bn) pairs foldable in one Functional or Sequential ``graph``, and the reasons
    for the batch norms of that graph that are not."""
    pairs, skipped = [], {}
    if isinstance(graph, keras.Sequential):
        layers = graph.layers
        for previous, layer in zip([None] + layers[:-1], layers, strict=True):
            if _is_batch_norm(layer):
                why = _why_not(previous, layer, 1, False, None)
                if why:
                    skipped[layer.name] = why
                else:
                    pairs.append((previous, layer))
        return pairs, skipped
    members = {id(n) for nodes in graph._nodes_by_depth.values() for n in nodes}
    uses, training_of = {}, {}
    for operation in graph.operations:
        for node in operation._inbound_nodes:
            if id(node) not in members:
                continue
            for tensor in node.arguments.keras_tensors:
                uses[id(tensor)] = uses.get(id(tensor), 0) + 1
            if _is_batch_norm(operation):
                training_of[id(operation)] = node.arguments.kwargs.get("training")
    outputs = {id(t) for t in keras.tree.flatten(graph.outputs)}
    for layer in graph.layers:
        if not _is_batch_norm(layer):
            continue
        nodes = [n for n in layer._inbound_nodes if id(n) in members]
        tensors = nodes[0].arguments.keras_tensors if len(nodes) == 1 else []
        if len(tensors) != 1:
            skipped[layer.name] = "called more than once or on several tensors"
            continue
        tensor = tensors[0]
        producer = tensor._keras_history.operation
        why = _why_not(producer, layer, uses.get(id(tensor), 0), id(tensor) in outputs,
                       training_of.get(id(layer)))
        if why:
            skipped[layer.name] = why
        else:
            pairs.append((producer, layer))
    return pairs, skipped


def _folded_weights(producer, bn) -> list:
    """The producer's (kernel, bias) with ``bn``'s inference transform merged, computed in
    float64: y = gamma (Wx + b - mean) / sqrt(var + eps) + beta."""
    gamma = np.asarray(bn.gamma, np.float64) if bn.scale else 1.0
    beta = np.asarray(bn.beta, np.float64) if bn.center else 0.0
    mean = np.asarray(bn.moving_mean, np.float64)
    variance = np.asarray(bn.moving_variance, np.float64)
    scale = gamma / np.sqrt(variance + bn.epsilon)
    kernel = np.asarray(producer.kernel, np.float64)
    bias = np.asarray(producer.bias, np.float64) if producer.use_bias else 0.0
    if type(producer) in _DEPTHWISE:
        # Kernel (..., in, multiplier): output channel i * multiplier + m.
        kernel = kernel * scale.reshape(kernel.shape[-2:])
    else:
        kernel = kernel * scale
    bias = (bias - mean) * scale + beta
    return [kernel.astype(np.float32), np.broadcast_to(bias, scale.shape).astype(np.float32)]


def fold_batch_norms(model) -> FoldResult:
    """An inference copy of ``model`` with each foldable BatchNormalization merged into the
    Conv/DepthwiseConv/Dense layer before it; ``model`` is not changed.

    Args:
        model: a built Functional or Sequential Keras model (nested ones are folded too).

    Returns:
        A ``FoldResult``. A subclassed model, a model without a foldable pair, or one that
        cannot be cloned comes back unchanged with ``reason`` saying why.
    """
    if not isinstance(model, (keras.Sequential, _functional())):
        return FoldResult(model, reason=f"{type(model).__name__} is a subclassed model: its "
                                        "graph is not known")
    pairs, skipped = [], {}
    for graph in _graph_models(model):
        found, why = _pairs(graph)
        pairs += found
        skipped.update(why)
    in_graphs = {id(layer) for graph in _graph_models(model) for layer in graph.layers}
    for layer in batch_norm_layers(model):
        if id(layer) not in in_graphs:
            skipped[layer.name] = "inside a custom layer's own call"
    if not pairs:
        return FoldResult(model, skipped=skipped,
                          reason="no BatchNormalization directly follows a foldable layer")
    producers = {id(p): (p, b) for p, b in pairs}
    norms = {id(b) for _, b in pairs}
    clones, identities = [], set()

    def clone(layer):
        if id(layer) in norms:
            identity = keras.layers.Identity(name=layer.name)
            identities.add(id(identity))
            return identity
        config = layer.get_config()
        if id(layer) in producers:
            config["use_bias"] = True
        new = type(layer).from_config(config)
        if isinstance(layer, keras.layers.Layer):  # not a stateless op (keras.ops.mean, ...)
            clones.append((layer, new))
        return new

    def call(layer, *args, **kwargs):
        # The batch norm's own keywords (training, mask) mean nothing to its identity.
        return layer(args[0]) if id(layer) in identities else layer(*args, **kwargs)

    try:
        copy = keras.models.clone_model(model, clone_function=clone, call_function=call,
                                        recursive=True)
        for original, new in clones:
            if id(original) in producers:
                new.set_weights(_folded_weights(*producers[id(original)]))
            else:
                new.set_weights(original.get_weights())
    except Exception as error:  # a layer that cannot be rebuilt from its config
        return FoldResult(model, skipped=skipped,
                          reason=f"cloning failed: {type(error).__name__}: {error}")
    if type(copy) is not type(model):
        # Keras clones a Functional subclass with its own constructor as a plain Functional:
        # the serving code may call the subclass' methods (a detector's ``detect``).
        return FoldResult(model, skipped=skipped,
                          reason=f"{type(model).__name__} has its own constructor: a clone "
                                 "would be a plain Functional without its methods")
    return FoldResult(copy, tuple((p.name, b.name) for p, b in pairs), skipped)
