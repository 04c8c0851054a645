"""Spatial graph convolution: gather the neighbours' features, aggregate, transform (Hamilton,
Ying & Leskovec, Inductive Representation Learning on Large Graphs (GraphSAGE), NeurIPS 2017,
Algorithm 1 and section 3.3)."""

import keras
from keras import ops

from keras_zoo.layers.graph_conv import _GraphLayer

_AGGREGATORS = ("mean", "max")


@keras.saving.register_keras_serializable(package="keras_zoo")
class GraphSAGEConv(_GraphLayer):
    """One GraphSAGE step (Algorithm 1, lines 4-5, the concatenation written as two kernels):

    ``h'_i = act(W_self h_i + W_neigh AGG({h_j : A_ij > 0}) + b)``

    ``AGG`` is the mean of the neighbours' features (the paper's mean aggregator with its
    concatenation) or their element-wise max (the paper's pooling aggregator without its
    per-neighbour layer: put a ``Dense`` before this layer for it). No spectrum is involved:
    the same weights apply to any graph, of any size. A node without neighbours aggregates 0.

    Call with ``[features, adjacency]``: features ``[B, N, F]``, adjacency ``[B, N, N]``
    (``A_ij > 0``: j is a neighbour of i; for "mean", weights are used as given). Returns
    ``[B, N, units]``.

    Args:
        units: output features per node.
        aggregator: "mean" or "max".
        normalize: divide each output by its L2 norm (Algorithm 1, line 7).
        activation, use_bias, kernel_initializer, bias_initializer: as ``Dense``'s.
    """

    def __init__(self, units, aggregator="mean", normalize=False, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, bias_initializer,
                         **kwargs)
        if aggregator not in _AGGREGATORS:
            raise ValueError(f"GraphSAGEConv: aggregator must be one of {_AGGREGATORS}, got "
                             f"{aggregator!r}.")
        self.aggregator = aggregator
        self.normalize = bool(normalize)

    def build_kernels(self, in_features):
        self.self_kernel = self.add_kernel("self_kernel", (in_features, self.units))
        self.neighbour_kernel = self.add_kernel("neighbour_kernel", (in_features, self.units))

    def aggregate(self, features, adjacency):
        """``AGG`` of every node's neighbours, ``[B, N, F]``."""
        if self.aggregator == "mean":
            degree = ops.sum(adjacency, axis=-1, keepdims=True)
            # 1/d as rsqrt(d)^2 of d (1 where d = 0, masked after): an int8 DIV fails on a
            # zero, and a huge value in a masked lane would still set the int8 range.
            has = degree > 0
            root = ops.rsqrt(ops.where(has, degree, ops.ones_like(degree)))
            inverse = ops.where(has, root * root, ops.zeros_like(degree))
            return inverse * ops.matmul(adjacency, features)
        # max: gather every neighbour's row ([B, N, N, F]), masking non-neighbours out.
        neighbour = ops.expand_dims(adjacency > 0, -1)
        gathered = ops.where(neighbour, ops.expand_dims(features, 1), -3.0e38)
        return ops.where(ops.any(neighbour, axis=2), ops.max(gathered, axis=2), 0.0)

    def propagate(self, features, adjacency):
        return (ops.matmul(features, self.self_kernel)
                + ops.matmul(self.aggregate(features, adjacency), self.neighbour_kernel))

    def call(self, inputs):
        out = super().call(inputs)
        if self.normalize:
            out = out * ops.rsqrt(ops.maximum(ops.sum(ops.square(out), -1, keepdims=True),
                                              1e-12))
        return out

    def get_config(self):
        return {**super().get_config(), "aggregator": self.aggregator,
                "normalize": self.normalize}
