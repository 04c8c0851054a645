"""Graph convolution of Kipf & Welling (Semi-Supervised Classification with Graph Convolutional
Networks, ICLR 2017, eq. 2): the first-order approximation of a spectral filter, with the
renormalisation trick, ``H' = act(D~^-1/2 (A + I) D~^-1/2 H W + b)``."""

import keras
from keras import ops

__all__ = ["check_graph_shapes", "inverse_sqrt_degree", "normalized_laplacian"]


def check_graph_shapes(layer_name, features_shape, adjacency_shape):
    """Raises ``ValueError`` unless ``adjacency`` is ``[B, N, N]`` and ``features`` ``[B, N, F]``
    (dimensions that are ``None`` are not checked)."""
    features_shape, adjacency_shape = tuple(features_shape), tuple(adjacency_shape)
    if len(adjacency_shape) != 3 or len(features_shape) != 3:
        raise ValueError(f"{layer_name}: expected features [batch, nodes, features] and adjacency "
                         f"[batch, nodes, nodes], got features {features_shape} and adjacency "
                         f"{adjacency_shape}.")
    rows, columns = adjacency_shape[1:]
    if rows is not None and columns is not None and rows != columns:
        raise ValueError(f"{layer_name}: the adjacency must be square (nodes x nodes), got "
                         f"{rows} x {columns} (shape {adjacency_shape}).")
    nodes = rows if rows is not None else columns
    if nodes is not None and features_shape[1] is not None and features_shape[1] != nodes:
        raise ValueError(f"{layer_name}: the adjacency is {nodes} x {nodes} but the features "
                         f"have {features_shape[1]} nodes (shape {features_shape}); row i of "
                         "the features is node i of the adjacency.")


def split_graph_inputs(layer_name, inputs):
    """``(features, adjacency)`` from the call's ``[features, adjacency]``."""
    if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
        raise ValueError(f"{layer_name}: call with [features, adjacency], got {type(inputs)}.")
    return inputs[0], inputs[1]


def inverse_sqrt_degree(adjacency, self_loops=False):
    """``d^-1/2`` of every node, ``[B, N, 1]``, from the row sums of ``adjacency`` (plus 1 with
    ``self_loops``): 0 for an isolated node, whose degree is 0 (its row of the normalised
    operator is then empty, not NaN)."""
    degree = ops.sum(adjacency, axis=-1, keepdims=True)
    if self_loops:
        degree = degree + 1.0
    # SELECT_V2 + RSQRT in TFLite (DivNoNan is not a builtin); rsqrt of 1, not of 0 or a
    # tiny floor, in the masked lanes: their value would still set an int8 model's range.
    has = degree > 0
    return ops.where(has, ops.rsqrt(ops.where(has, degree, ops.ones_like(degree))),
                     ops.zeros_like(degree))


def normalized_laplacian(adjacency):
    """The symmetric normalised Laplacian ``L = I - D^-1/2 A D^-1/2``, ``[B, N, N]`` (Chung,
    Spectral Graph Theory, 1997; Defferrard et al. 2016, section 2.1); an isolated node has
    ``D^-1/2 = 0`` by convention, so its row is that of ``I``."""
    s = inverse_sqrt_degree(adjacency)
    n = ops.shape(adjacency)[-1]
    return ops.eye(n, dtype=adjacency.dtype) - s * adjacency * ops.swapaxes(s, -1, -2)


def normalized_propagation(features, adjacency, self_loops):
    """``D^-1/2 (A [+ I]) D^-1/2 @ features`` without forming ``I`` or a normalised matrix."""
    s = inverse_sqrt_degree(adjacency, self_loops)
    scaled = s * features
    out = ops.matmul(adjacency, scaled)
    if self_loops:
        out = out + scaled
    return s * out


class _GraphLayer(keras.layers.Layer):
    """What the graph convolutions share: ``[features, adjacency]`` in, checked; ``units``
    features per node out, ``act(propagate(features, adjacency) + b)``. A subclass makes its
    kernels in ``build_kernels(in_features)`` and computes ``propagate``; its own config keys
    are added by ``get_config``."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{type(self).__name__}: units must be a positive int, got "
                             f"{units!r}.")
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def _shapes(self, pair):
        """``(features, adjacency)`` of ``pair`` (shapes or tensors), their shapes checked."""
        features, adjacency = split_graph_inputs(type(self).__name__, pair)
        shapes = [getattr(x, "shape", x) for x in (features, adjacency)]  # a tensor or a shape
        check_graph_shapes(type(self).__name__, *shapes)
        return features, adjacency

    def add_kernel(self, name, shape):
        return self.add_weight(name=name, shape=shape, initializer=self.kernel_initializer)

    def build_kernels(self, in_features):
        raise NotImplementedError

    def propagate(self, features, adjacency):
        raise NotImplementedError

    def build(self, input_shape):
        features_shape, _ = self._shapes(input_shape)
        self.build_kernels(features_shape[-1])
        self.bias = (self.add_weight(name="bias", shape=(self.units,),
                                     initializer=self.bias_initializer)
                     if self.use_bias else None)

    def call(self, inputs):
        out = self.propagate(*self._shapes(inputs))
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        features_shape, _ = split_graph_inputs(type(self).__name__, input_shape)
        return tuple(features_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}


@keras.saving.register_keras_serializable(package="keras_zoo")
class GraphConv(_GraphLayer):
    """Kipf & Welling's graph convolution (section 2, eq. 2):

    ``H' = act(D~^-1/2 A~ D~^-1/2 H W + b)``, ``A~ = A + I``, ``D~_ii = sum_j A~_ij``,

    the spectral filter ``theta (I + D^-1/2 A D^-1/2)`` (Chebyshev order 1, ``lambda_max = 2``)
    renormalised so that repeated application stays stable. Read spatially, node i sums its
    neighbours' (and its own) transformed features weighted by ``1 / sqrt(d~_i d~_j)``.

    Call with ``[features, adjacency]``: features ``[B, N, F]``, adjacency ``[B, N, N]``
    (symmetric, 0/1 or non-negative weights, no self-loops needed). Returns ``[B, N, units]``.

    Args:
        units: output features per node.
        activation: applied last (``None``: linear).
        use_bias: add ``b``.
        renormalize: ``True`` for the paper's ``A + I`` (the renormalisation trick); ``False``
            propagates with ``D^-1/2 A D^-1/2`` only (an isolated node then receives 0).
        kernel_initializer, bias_initializer: for ``W`` and ``b`` (the paper's Glorot, zeros).
    """

    def __init__(self, units, activation=None, use_bias=True, renormalize=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, bias_initializer,
                         **kwargs)
        self.renormalize = bool(renormalize)

    def build_kernels(self, in_features):
        self.kernel = self.add_kernel("kernel", (in_features, self.units))

    def propagate(self, features, adjacency):
        # Transform first: the propagation then runs on `units` columns, not F.
        return normalized_propagation(ops.matmul(features, self.kernel), adjacency,
                                      self.renormalize)

    def get_config(self):
        return {**super().get_config(), "renormalize": self.renormalize}
