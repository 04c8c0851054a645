"""Batch-normalization folding for serving: an inference copy of a model in which each
BatchNormalization that directly follows a convolution or dense layer is merged into that
layer's kernel and bias (Ioffe & Szegedy 2015, section 3.1: at inference the transform is a
fixed affine map per channel, so it composes with the linear layer before it).

A batch norm of an image tensor (rank 4, channels last) that cannot be folded (DenseNet's and
the pre-activation ResNets' BN-ReLU-Conv after a concatenation, a sum or a pooling) is computed
as what it is at inference, y = a x + b per channel, by a 1x1 DepthwiseConv2D holding a and b:
one pass over the tensor instead of a multiply and an add (TensorFlow's remapper fuses the
depthwise convolution, its bias and a ReLU after it into one kernel), with a and b computed once
instead of on every call. Exact for any sign of a, and whatever else reads the batch norm's
output.

    folded = fold_batch_norms(model)
    folded.model      # the copy to serve (or ``model`` itself when nothing could be folded)
    folded.folded     # ((layer name, batch-norm name), ...)
    folded.rewritten  # (batch-norm name, ...) now 1x1 depthwise convolutions
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
    was kept; ``reason``: why the whole model was returned unchanged, or None; ``rewritten``:
    the batch norms (not foldable) replaced by a 1x1 DepthwiseConv2D of the same name computing
    their inference transform."""

    model: keras.Model
    folded: tuple = ()
    skipped: dict = dataclasses.field(default_factory=dict)
    reason: str | None = None
    rewritten: tuple = ()


def _is_batch_norm(layer) -> bool:
    return type(layer) is keras.layers.BatchNormalization


def batch_norm_layers(model) -> list:
    """Every BatchNormalization inside ``model``, nested models and custom layers included."""
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if _is_batch_norm(layer)]


def _graph_models(model, sequential=True):
    """``model`` and the Functional (and, with ``sequential``, Sequential) models nested in it
    (their graphs are known)."""
    kinds = (keras.Sequential, _functional()) if sequential else _functional()
    found, stack = [], [model]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(layer for layer in current.layers if isinstance(layer, kinds))
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


def _why_not_rewritten(bn, tensor, training) -> str | None:
    """Why ``bn``, applied to ``tensor`` (its only input), cannot become a 1x1 depthwise
    convolution, or None."""
    if len(bn._inbound_nodes) != 1:
        return f"{bn.name} is called more than once (shared weights)"
    if training is not None:
        return f"{bn.name} is called with training={training!r} fixed in the graph"
    if not _uniform_float32(bn):
        return "not float32 (mixed precision or quantized): the rewrite would change the rounding"
    rank = len(tensor.shape)
    axes = bn.axis if isinstance(bn.axis, (list, tuple)) else [bn.axis]
    if rank != 4 or [a % rank for a in axes] != [3] or tensor.shape[3] is None:
        return f"{bn.name} does not normalize the known channels of an NHWC image tensor"
    if getattr(tensor, "_keras_mask", None) is not None:
        return f"the input of {bn.name} carries a mask (a convolution would drop it)"
    return None


def _sort(bn, tensor, producer, consumers, is_output, training, pairs, rewrites,
          skipped):
    """Files ``bn`` (of input ``tensor``, from ``producer``) as a fold, a rewrite or a skip."""
    why = _why_not(producer, bn, consumers, is_output, training)
    if why is None:
        pairs.append((producer, bn))
        return
    why_not_rewritten = _why_not_rewritten(bn, tensor, training)
    if why_not_rewritten is None:
        rewrites.append((bn, int(tensor.shape[3])))
    else:
        skipped[bn.name] = f"{why}; {why_not_rewritten}"


def _pairs(graph) -> tuple[list, list, dict]:
    """The (producer, bn) pairs foldable in one Functional or Sequential ``graph``, the batch
    norms of that graph to rewrite as 1x1 depthwise convolutions, and the reasons for the
    others."""
    pairs, rewrites, skipped = [], [], {}
    if isinstance(graph, keras.Sequential):
        layers = graph.layers
        for previous, layer in zip([None] + layers[:-1], layers, strict=True):
            if _is_batch_norm(layer):
                nodes = layer._inbound_nodes
                tensors = nodes[0].arguments.keras_tensors if len(nodes) == 1 else []
                if len(tensors) != 1:
                    skipped[layer.name] = "called more than once or on several tensors"
                    continue
                _sort(layer, tensors[0], previous, 1, False, None, pairs, rewrites,
                      skipped)
        return pairs, rewrites, skipped
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
        _sort(layer, tensor, tensor._keras_history.operation, uses.get(id(tensor), 0),
              id(tensor) in outputs, training_of.get(id(layer)), pairs, rewrites, skipped)
    return pairs, rewrites, skipped


def _affine(bn) -> tuple:
    """``bn``'s inference transform y = a x + b per channel, in float64."""
    gamma = np.asarray(bn.gamma, np.float64) if bn.scale else 1.0
    beta = np.asarray(bn.beta, np.float64) if bn.center else 0.0
    mean = np.asarray(bn.moving_mean, np.float64)
    scale = gamma / np.sqrt(np.asarray(bn.moving_variance, np.float64) + bn.epsilon)
    return scale, beta - mean * scale


def _depthwise(bn, channels: int):
    """A 1x1 DepthwiseConv2D named as ``bn`` (built, weights set) computing its inference
    transform."""
    layer = keras.layers.DepthwiseConv2D(1, use_bias=True, name=bn.name, dtype=bn.dtype_policy)
    layer.build((None, None, None, channels))
    scale, shift = _affine(bn)
    layer.set_weights([np.broadcast_to(scale, (channels,)).reshape(1, 1, channels, 1)
                       .astype(np.float32),
                       np.broadcast_to(shift, (channels,)).astype(np.float32)])
    return layer


def _folded_weights(producer, bn) -> list:
    """The producer's (kernel, bias) with ``bn``'s inference transform merged, computed in
    float64: y = gamma (Wx + b - mean) / sqrt(var + eps) + beta."""
    scale, shift = _affine(bn)
    kernel = np.asarray(producer.kernel, np.float64)
    bias = np.asarray(producer.bias, np.float64) if producer.use_bias else 0.0
    if type(producer) in _DEPTHWISE:
        # Kernel (..., in, multiplier): output channel i * multiplier + m.
        kernel = kernel * scale.reshape(kernel.shape[-2:])
    else:
        kernel = kernel * scale
    bias = bias * scale + shift
    return [kernel.astype(np.float32), np.broadcast_to(bias, scale.shape).astype(np.float32)]


def fold_batch_norms(model) -> FoldResult:
    """An inference copy of ``model`` with each foldable BatchNormalization merged into the
    Conv/DepthwiseConv/Dense layer before it, and each other batch norm of an NHWC image tensor
    replaced by a 1x1 DepthwiseConv2D of the same name computing its inference transform;
    ``model`` is not changed.

    Args:
        model: a built Functional or Sequential Keras model (nested ones are folded too).

    Returns:
        A ``FoldResult``. A subclassed model, a model with no batch norm to fold or rewrite, or
        one that cannot be cloned comes back unchanged with ``reason`` saying why.
    """
    if not isinstance(model, (keras.Sequential, _functional())):
        return FoldResult(model, reason=f"{type(model).__name__} is a subclassed model: its "
                                        "graph is not known")
    pairs, rewrites, skipped = [], [], {}
    for graph in _graph_models(model):
        found, rewrite, why = _pairs(graph)
        pairs += found
        rewrites += rewrite
        skipped.update(why)
    in_graphs = {id(layer) for graph in _graph_models(model) for layer in graph.layers}
    for layer in batch_norm_layers(model):
        if id(layer) not in in_graphs:
            skipped[layer.name] = "inside a custom layer's own call"
    if not pairs and not rewrites:
        return FoldResult(model, skipped=skipped,
                          reason="no BatchNormalization directly follows a foldable layer or "
                                 "normalizes an NHWC image tensor")
    producers = {id(p): (p, b) for p, b in pairs}
    norms = {id(b) for _, b in pairs}
    channels_of = {id(b): channels for b, channels in rewrites}
    clones, identities = [], set()

    def clone(layer):
        if id(layer) in channels_of:
            depthwise = _depthwise(layer, channels_of[id(layer)])
            identities.add(id(depthwise))
            return depthwise
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
        # The batch norm's own keywords (training, mask) mean nothing to what replaces it.
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
    return FoldResult(copy, tuple((p.name, b.name) for p, b in pairs), skipped,
                      rewritten=tuple(b.name for b, _ in rewrites))
