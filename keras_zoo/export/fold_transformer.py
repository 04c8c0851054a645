"""Exact inference-time simplifications of Transformer encoders for serving (Vaswani et al.,
Attention Is All You Need, NeurIPS 2017; the pre-norm form of Dosovitskiy et al., An Image is
Worth 16x16 Words, ICLR 2021, eq. 2-3).

    simplified = simplify_transformers(model)
    simplified.model       # the copy to serve (or ``model`` itself when nothing applied)
    simplified.fused       # names of the self-attention layers fused
    simplified.folded      # (layer norm, layer it was folded into) name pairs
    simplified.flattened   # names of the Dense layers on tokens run as TokenDense
    simplified.skipped     # {layer name: why it was kept}
    simplified.reason      # why the whole model was returned unchanged, else None

Three rewrites, each the same function up to float32 rounding (the weights' algebra is
computed in float64 and rounded once; the fused GELU is oneDNN's):

- **Fused self-attention.** A ``keras.layers.MultiHeadAttention`` called on one tensor as
  query, key and value becomes a ``FusedSelfAttention``: the three projections are one
  ``[D, 3 h d]`` matmul on the flattened tokens (Keras runs each ``EinsumDense`` projection as
  a batched matmul: about 1.6x slower per FLOP than the 2-D matmul in a profile of the
  served ViT-B/16 graph on CPU), the
  ``1 / sqrt(d)`` scale is folded into the query's kernel and bias (one multiply of the
  queries fewer: exact in float32 when ``d`` is a power of 4, e.g. 64), and the output
  projection is a 2-D matmul too. Masking and softmax are Keras' own (``keras.layers.Softmax``
  with the mask broadcast as ``MultiHeadAttention`` does); dropout is the identity at
  inference.
- **Layer-norm scale and shift folded forward.** In a pre-norm block a LayerNormalization's
  output feeds only the next linear map (the fused attention, or the MLP's first Dense), so
  ``W (gamma * x_hat + beta) + b = (diag(gamma) W) x_hat + (W beta + b)``: the norm keeps only
  its normalisation (``center=False, scale=False``) and two elementwise passes over the tokens
  go. A norm whose output is also used elsewhere (post-norm, BERT: the residual) is kept.
- **Dense on flattened tokens.** A Dense on ``[B, T, D]`` runs as reshape, matmul, reshape,
  add and its activation's own ops (exact GELU: five elementwise passes); ``TokenDense`` runs
  it on ``[B T, D]`` with ``tf.nn.bias_add``, which Grappler's remapper fuses with the matmul
  and the activation into one oneDNN matmul (measured: the MLP's first Dense of ViT-B/16 is
  one ``_MklNativeFusedMatMul`` instead of a matmul and six elementwise ops).

A model without a MultiHeadAttention to fuse comes back unchanged (the other two rewrites
serve the encoders around it). Only exact types are rewritten (a subclass may change
``call``), float32 only. A Functional
subclass or subclassed model comes back unchanged with the reason (a clone would lose its
methods), as in ``keras_zoo.export.fold``.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np

from keras_zoo.export.fold import _functional, _graph_models
from keras_zoo.export.fold import _uniform_float32 as _float32
from keras_zoo.layers import FusedSelfAttention, TokenDense


@dataclasses.dataclass(frozen=True)
class SimplifyResult:
    """``model``: the inference copy (the input itself when ``reason`` is set); ``fused``: the
    self-attention layers fused; ``folded``: (layer norm, consumer) name pairs; ``flattened``:
    the Dense layers on tokens now ``TokenDense``; ``skipped``:
    layer name -> why it was kept; ``reason``: why nothing was rewritten, or None."""

    model: keras.Model
    fused: tuple = ()
    folded: tuple = ()
    flattened: tuple = ()
    skipped: dict = dataclasses.field(default_factory=dict)
    reason: str | None = None


def _mha_why_not(layer, node) -> str | None:
    """Why the MultiHeadAttention ``layer`` called at ``node`` cannot be fused, or None."""
    if type(layer) is not keras.layers.MultiHeadAttention:
        return f"{type(layer).__name__} is not exactly MultiHeadAttention"
    if not _float32(layer):
        return "not float32 (mixed precision or quantized)"
    if layer._value_dim != layer._key_dim:
        return f"value_dim {layer._value_dim} differs from key_dim {layer._key_dim}"
    if getattr(layer, "_use_gate", False) or getattr(layer, "_sliding_window", None) is not None:
        return "gated or sliding-window attention"
    if layer._output_shape is not None:
        return "a custom output_shape"
    if tuple(layer._attention_axes or (1,)) != (1,):
        return f"attention axes {layer._attention_axes}, not the tokens"
    arguments = node.arguments
    args, kwargs = list(arguments.args), dict(arguments.kwargs)
    names = ("query", "value", "key")
    given = dict(zip(names[:len(args)], args, strict=True))
    given.update({k: v for k, v in kwargs.items() if k in names})
    query, value = given.get("query"), given.get("value")
    key = given.get("key")
    if query is None or value is not query or (key is not None and key is not query):
        return "not self-attention (query, key and value are not one tensor)"
    if len(query.shape) != 3:
        return f"input of rank {len(query.shape)}, not [batch, tokens, width]"
    if getattr(query, "_keras_mask", None) is not None:
        return "its input carries a Keras mask"
    for k in ("query_mask", "value_mask", "key_mask"):
        if kwargs.get(k) is not None:
            return f"called with {k}"
    if kwargs.get("use_causal_mask"):
        return "causal"
    if kwargs.get("training") is not None:
        return f"called with training={kwargs['training']!r} fixed in the graph"
    if len(args) > 2:
        return "called with positional arguments beyond query and value"
    mask = kwargs.get("attention_mask")
    if mask is not None and mask is query:
        return "its attention mask is its input"
    return None


def _dense_why_not(layer) -> str | None:
    if type(layer) is not keras.layers.Dense:
        return f"{type(layer).__name__} is not exactly Dense"
    if not _float32(layer) or getattr(layer, "lora_enabled", False):
        return "not float32, quantized or LoRA"
    return None


def _plan(graph, skipped):
    """``(attentions, norms, denses)`` in one Functional ``graph``: the MultiHeadAttention
    layers to fuse, ``{id(norm): (norm, [consumers])}`` the LayerNormalizations to fold
    forward, and the Dense layers on tokens (rank >= 3) to run as ``TokenDense``."""
    members = {id(n) for nodes in graph._nodes_by_depth.values() for n in nodes}
    nodes_of = {}
    consumers = {}  # id(tensor) -> [(operation, node)]
    for operation in graph.operations:
        for node in operation._inbound_nodes:
            if id(node) not in members:
                continue
            nodes_of.setdefault(id(operation), []).append(node)
            for tensor in node.arguments.keras_tensors:
                entry = consumers.setdefault(id(tensor), [])
                if not any(n is node for _, n in entry):
                    entry.append((operation, node))
    outputs = {id(t) for t in keras.tree.flatten(graph.outputs)}
    attentions = {}
    for layer in graph.layers:
        if not isinstance(layer, keras.layers.MultiHeadAttention):
            continue
        nodes = nodes_of.get(id(layer), [])
        why = (_mha_why_not(layer, nodes[0]) if len(nodes) == 1
               else "called more than once (shared weights)")
        if why:
            skipped[layer.name] = why
        else:
            attentions[id(layer)] = layer
    denses = {}
    for layer in graph.layers:
        nodes = nodes_of.get(id(layer), [])
        if type(layer) is keras.layers.Dense and len(nodes) == 1 \
                and _dense_why_not(layer) is None \
                and len(nodes[0].arguments.keras_tensors) == 1 \
                and len(nodes[0].arguments.keras_tensors[0].shape) >= 3:
            denses[id(layer)] = layer
    norms = {}
    for layer in graph.layers:
        if type(layer) is not keras.layers.LayerNormalization:
            continue
        nodes = nodes_of.get(id(layer), [])
        if len(nodes) != 1 or len(nodes[0].outputs) != 1:
            skipped[layer.name] = "called more than once"
            continue
        out = nodes[0].outputs[0]
        axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
        rank = len(out.shape)
        users = consumers.get(id(out), [])
        why = None
        if not (layer.center or layer.scale):
            why = "no scale or shift to fold"
        elif layer.rms_scaling or not _float32(layer):
            why = "RMS scaling, or not float32"
        elif [a % rank for a in axes] != [rank - 1]:
            why = f"normalizes axis {layer.axis}, not the last"
        elif id(out) in outputs or not users:
            why = "its output is a model output"
        else:
            for user, node in users:
                if id(user) in attentions:
                    mask = node.arguments.kwargs.get("attention_mask")
                    if mask is out:
                        why = f"its output is also {user.name}'s mask"
                elif isinstance(user, keras.layers.Layer):
                    why = _dense_why_not(user)
                    if why is None and len(nodes_of.get(id(user), [])) != 1:
                        why = f"{user.name} is called more than once"
                else:
                    why = f"its output is used by {type(user).__name__} (not a linear map)"
                if why:
                    why = f"its output feeds {user.name}: {why}"
                    break
        if why:
            skipped[layer.name] = why
        else:
            norms[id(layer)] = (layer, [user for user, _ in users])
    return attentions, norms, denses


def _attention_weights(mha, norm=None) -> list:
    """``FusedSelfAttention`` weights of ``mha``, with ``norm``'s gamma and beta folded in."""
    f64 = lambda v: np.asarray(v, np.float64)  # noqa: E731
    width = mha._num_heads * mha._key_dim
    kernels, biases = [], []
    for dense, scale in ((mha._query_dense, 1.0 / math.sqrt(float(mha._key_dim))),
                         (mha._key_dense, 1.0), (mha._value_dense, 1.0)):
        kernel = f64(dense.kernel).reshape(-1, width)
        bias = f64(dense.bias).reshape(width) if dense.bias is not None else np.zeros(width)
        kernels.append(kernel * scale)
        biases.append(bias * scale)
    kernel, bias = np.concatenate(kernels, axis=1), np.concatenate(biases)
    if norm is not None:
        kernel, bias = _fold_norm(norm, kernel, bias)
    out = mha._output_dense
    out_kernel = f64(out.kernel).reshape(width, -1)
    out_bias = (f64(out.bias) if out.bias is not None else np.zeros(out_kernel.shape[1]))
    return [a.astype(np.float32) for a in (kernel, bias, out_kernel, out_bias)]


def _fold_norm(norm, kernel, bias):
    """``W (gamma x + beta) + b`` as ``W' x + b'``, in float64."""
    if norm.center:  # the shift goes through the unscaled kernel
        bias = bias + np.asarray(norm.beta, np.float64) @ kernel
    if norm.scale:
        kernel = kernel * np.asarray(norm.gamma, np.float64).reshape(-1, 1)
    return kernel, bias


#: Tasks whose serving code only calls the model and reads its input shape and plain
#: attributes (``vocabulary_size``): a Functional subclass of theirs (BertClassifier) may be
#: served as its plain Functional graph (``simplify_for_task``).
CALL_ONLY_TASKS = ("sequence_classification",)


def simplify_for_task(task, model) -> SimplifyResult:
    """``simplify_transformers`` as an export serves it: a Functional subclass is rewritten
    (into a plain Functional) only for a task of ``CALL_ONLY_TASKS``."""
    return simplify_transformers(model, subclass=getattr(task, "name", None) in CALL_ONLY_TASKS)


def _plain_attributes(model, copy) -> dict:
    """A Functional subclass' own public attributes of plain types (``vocabulary_size``):
    those its plain Functional ``copy`` does not have."""
    kinds = (bool, int, float, str)
    return {k: v for k, v in vars(model).items()
            if not k.startswith("_") and k not in vars(copy) and not hasattr(type(copy), k)
            and (isinstance(v, kinds) or (isinstance(v, (list, tuple))
                                          and all(isinstance(i, kinds) for i in v)))}


def simplify_transformers(model, subclass=False) -> SimplifyResult:
    """An inference copy of ``model`` with its self-attention layers fused, its pre-norm layer
    norms' scale and shift folded into the linear maps after them, and its Dense layers on
    tokens run on flattened tokens; ``model`` is not changed.

    Args:
        model: a built Functional Keras model (nested Functional models are rewritten too).
        subclass: also rewrite a Functional subclass (``BertClassifier``), into a plain
            Functional model carrying its public attributes of plain types but none of its
            own methods: only for serving code that needs no more (``CALL_ONLY_TASKS``).

    Returns:
        A ``SimplifyResult``; ``reason`` says why a model comes back unchanged (not a plain
        Functional, nothing to rewrite, or cloning failed).
    """
    if type(model) is not _functional() and not (subclass and isinstance(model, _functional())):
        return SimplifyResult(model, reason=f"{type(model).__name__} is not a plain Functional "
                                            "model: a clone would lose its own methods")
    attentions, norms, denses, skipped = {}, {}, {}, {}
    for graph in _graph_models(model, sequential=False):
        if graph is not model and type(graph) is not _functional():
            return SimplifyResult(model, reason=f"nested {type(graph).__name__} is not a plain "
                                                "Functional model")
        found, folds, flat = _plan(graph, skipped)
        attentions.update(found)
        norms.update(folds)
        denses.update(flat)
    if not attentions:  # the other two rewrites are for the encoders around attention
        return SimplifyResult(model, skipped=skipped,
                              reason="no self-attention layer to fuse")
    folded_into = {id(user): norm for norm, users in norms.values() for user in users}
    clones, fused_layers = [], set()

    def clone(layer):
        if id(layer) in attentions:
            new = FusedSelfAttention(layer._num_heads, layer._key_dim,
                                     int(layer._output_dense.kernel.shape[-1]), name=layer.name)
            fused_layers.add(id(new))
        elif id(layer) in norms:
            config = {**layer.get_config(), "center": False, "scale": False}
            new = keras.layers.LayerNormalization.from_config(config)
        elif id(layer) in denses:
            new = TokenDense(layer.units, keras.activations.serialize(layer.activation),
                             use_bias=layer.use_bias or id(layer) in folded_into,
                             name=layer.name)
        else:
            config = layer.get_config()
            if id(layer) in folded_into:
                config["use_bias"] = True
            new = type(layer).from_config(config)
        if isinstance(layer, keras.layers.Layer):
            clones.append((layer, new))
        return new

    def call(layer, *args, **kwargs):
        if id(layer) in fused_layers:
            return layer(args[0], attention_mask=kwargs.get("attention_mask"),
                         return_attention_scores=bool(kwargs.get("return_attention_scores")))
        return layer(*args, **kwargs)

    try:
        copy = keras.models.clone_model(model, clone_function=clone, call_function=call,
                                        recursive=True)
        for original, new in clones:
            norm = folded_into.get(id(original))
            if id(original) in attentions:
                new.set_weights(_attention_weights(original, norm))
            elif id(original) in norms:
                continue  # no weights left
            elif norm is not None:
                kernel = np.asarray(original.kernel, np.float64)
                bias = (np.asarray(original.bias, np.float64) if original.use_bias
                        else np.zeros(kernel.shape[1]))
                kernel, bias = _fold_norm(norm, kernel, bias)
                new.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
            else:
                new.set_weights(original.get_weights())
    except Exception as error:  # a layer that cannot be rebuilt from its config
        return SimplifyResult(model, skipped=skipped,
                              reason=f"cloning failed: {type(error).__name__}: {error}")
    if type(model) is not _functional():
        for key, value in _plain_attributes(model, copy).items():
            setattr(copy, key, value)
    folded = tuple((norm.name, user.name) for norm, users in norms.values() for user in users)
    return SimplifyResult(copy, tuple(layer.name for layer in attentions.values()), folded,
                          tuple(layer.name for layer in denses.values()), skipped)
