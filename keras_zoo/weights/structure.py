"""Pairing the layers of two functional models by the structure of their graphs.

Two models built by different code (keras.applications' InceptionV3 names its layers
``conv2d_57``, ours ``mixed4_branch3_conv2``; the order of ``model.layers`` is an accident of
construction) are the same network when their graphs are the same. ``weighted_layers`` lists a
model's layers that own weights in an order fixed by the graph alone: a depth-first walk from the
outputs that visits a layer's inputs before the layer, in call order, except the operands of a
commutative merge (``Add``, ``Multiply``, ...), which it visits in the order of a structural
hash of their subgraphs, so ``Add([x, shortcut])`` and ``Add([shortcut, x])`` walk alike.
Weightless one-input layers (activations, padding, pooling, dropout, reshapes) are transparent
to the hash. ``transfer`` then copies weights pair by pair and stops at the first tensor whose
shape does not fit, naming it.
"""

from __future__ import annotations

import hashlib

import keras

COMMUTATIVE = ("Add", "Multiply", "Maximum", "Minimum", "Average")


def _producer(tensor):
    operation, node_index, _ = tensor._keras_history
    return operation, operation._inbound_nodes[node_index]


def _own_weights(operation):
    return list(operation.weights) if isinstance(operation, keras.layers.Layer) else []


def _is_input(operation):
    return isinstance(operation, keras.layers.InputLayer)


def _nodes_children_first(outputs):
    """Every node reachable from ``outputs``, each after the nodes that feed it."""
    order, done, stack = [], set(), [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        operation, node = _producer(tensor)
        if id(node) in done:
            continue
        if expanded or _is_input(operation):
            done.add(id(node))
            order.append((operation, node))
            continue
        stack.append((tensor, True))
        stack.extend((t, False) for t in reversed(node.input_tensors))
    return order


def _signatures(outputs):
    """``{id(node): hash}``: a Merkle hash of each node's subgraph (see the module docstring)."""
    signature = {}
    for operation, node in _nodes_children_first(outputs):
        children = [_tensor_signature(t, signature) for t in node.input_tensors]
        weights = _own_weights(operation)
        if _is_input(operation):
            key = "input"
        elif not weights and len(children) == 1:
            # Transparent: the child's own hash, not a hash of it, so that an explicit
            # ZeroPadding2D before a "valid" convolution (keras.applications) and none before a
            # "same" one (keras-hub) hash alike.
            signature[id(node)] = children[0]
            continue
        else:
            if type(operation).__name__ in COMMUTATIVE:
                children = sorted(children)
            shapes = [tuple(w.shape) for w in weights]
            key = repr((type(operation).__name__, shapes, children))
        signature[id(node)] = hashlib.sha1(key.encode()).hexdigest()
    return signature


def _tensor_signature(tensor, signature):
    operation, node = _producer(tensor)
    index = tensor._keras_history[2]
    return signature[id(node)] + (f":{index}" if index else "")


def _canonical_inputs(operation, node, signature):
    inputs = list(node.input_tensors)
    if type(operation).__name__ in COMMUTATIVE:
        inputs.sort(key=lambda t: _tensor_signature(t, signature))
    return inputs


def weighted_layers(model):
    """The layers of the functional ``model`` that own weights, in the graph's own order."""
    outputs = list(model.outputs)
    signature = _signatures(outputs)
    layers, seen, done = [], set(), set()
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        operation, node = _producer(tensor)
        if id(node) in done:
            continue
        if not expanded:
            stack.append((tensor, True))
            stack.extend((t, False) for t in
                         reversed(_canonical_inputs(operation, node, signature)))
            continue
        done.add(id(node))
        if _own_weights(operation) and id(operation) not in seen:
            seen.add(id(operation))
            layers.append(operation)
    return layers


def weighted_tensors(model):
    """``[(layer, variable)]`` of ``model`` in the structural order of ``weighted_layers``."""
    return [(layer, variable) for layer in weighted_layers(model)
            for variable in _own_weights(layer)]


def pair_tensors(source, target, label, new_head=(), skip=()):
    """``[(their variable, our variable)]`` in structural order; raises ``ValueError`` naming
    the first tensor that does not fit.

    Pairs are made tensor by tensor, so one layer of ours may stand for several of theirs
    (our ``SqueezeExcitation`` holds the two 1x1 convolutions keras.applications writes out).

    Args:
        source, target: functional models.
        label: the start of every error message (names the model and the source).
        new_head: names of ``target`` layers that may be left out because the source has no
            counterpart (a new classifier head); they must come last in ``target``'s order.
        skip: names of ``target`` layers the source has no counterpart for, left as they are
            wherever they come (an input normalisation the source does in its preprocessing).
    """
    theirs = weighted_tensors(source)
    ours = [(layer, v) for layer, v in weighted_tensors(target) if layer.name not in skip]
    for (_, a), (_, b) in zip(theirs, ours, strict=False):  # the lengths are checked below
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(f"{label}: their tensor {a.path!r} {tuple(a.shape)} does not fit "
                             f"our {b.path!r} {tuple(b.shape)}.")
    if len(theirs) > len(ours):
        layer, variable = theirs[len(ours)]
        raise ValueError(f"{label}: their tensor {variable.path!r} {tuple(variable.shape)} has "
                         f"no counterpart in our model ({len(theirs)} tensors against our "
                         f"{len(ours)}).")
    for layer, variable in ours[len(theirs):]:
        if layer.name not in new_head:
            raise ValueError(f"{label}: our tensor {variable.path!r} {tuple(variable.shape)} has "
                             f"no counterpart in the source (only a new head may: "
                             f"{list(new_head)}).")
    return [(a, b) for (_, a), (_, b) in zip(theirs, ours, strict=False)]


def transfer(source, target, label, new_head=(), skip=()):
    """Copies ``source``'s weights into ``target`` by structure; returns the tensor pairs."""
    pairs = pair_tensors(source, target, label, new_head, skip)
    for theirs, ours in pairs:
        ours.assign(keras.ops.convert_to_numpy(theirs))
    refresh(target)
    return pairs


def refresh(model):
    """Lets layers that cache tensors of their variables (``Normalization``'s mean and
    variance) re-read them after an assignment, as loading a file does."""
    for layer in model.layers:
        if hasattr(layer, "finalize_state") and layer.built:
            layer.finalize_state()
