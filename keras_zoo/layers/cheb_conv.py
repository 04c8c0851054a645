"""Chebyshev spectral graph convolution (Defferrard, Bresson & Vandergheynst, Convolutional
Neural Networks on Graphs with Fast Localized Spectral Filtering, NeurIPS 2016, section 2.1)."""

import keras
from keras import ops

from keras_zoo.layers.graph_conv import _GraphLayer, inverse_sqrt_degree


@keras.saving.register_keras_serializable(package="keras_zoo")
class ChebConv(_GraphLayer):
    """A spectral filter that is a polynomial of the graph Laplacian (eq. 4-5):

    ``y = sum_{k<K} T_k(L~) X W_k + b``, ``L~ = 2 L / lambda_max - I``,
    ``L = I - D^-1/2 A D^-1/2``, ``T_0 = I``, ``T_1 = L~``, ``T_k = 2 L~ T_{k-1} - T_{k-2}``,

    i.e. ``U g(Lambda) U^T X`` in the Laplacian's eigenbasis with ``g`` a Chebyshev expansion,
    computed by the recurrence on ``X`` (K-1 sparse products, no eigendecomposition). The
    output of node i depends on nodes at most K-1 hops away.

    Call with ``[features, adjacency]``: features ``[B, N, F]``, adjacency ``[B, N, N]``
    (symmetric, non-negative; an isolated node has ``D^-1/2 = 0``, so its Laplacian row is
    ``I``'s). Returns ``[B, N, units]``.

    Args:
        units: output features per node.
        order: K, the number of Chebyshev terms (``T_0 .. T_{K-1}``; K = 1 ignores the graph).
        lambda_max: the largest eigenvalue used to rescale ``L`` into ``[-1, 1]``; 2, the bound
            of the normalised Laplacian, as Kipf & Welling (2017, section 2.1) approximate it
            (the paper computes it; an eigensolver is no TFLite builtin).
        activation, use_bias, kernel_initializer, bias_initializer: as ``Dense``'s.
    """

    def __init__(self, units, order=3, lambda_max=2.0, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, bias_initializer,
                         **kwargs)
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            raise ValueError(f"ChebConv: order must be a positive int, got {order!r}.")
        if not isinstance(lambda_max, (int, float)) or not lambda_max > 0:
            raise ValueError(f"ChebConv: lambda_max must be a positive number, got "
                             f"{lambda_max!r}.")
        self.order = order
        self.lambda_max = float(lambda_max)

    def build_kernels(self, in_features):
        self.kernel = self.add_kernel("kernel", (self.order, in_features, self.units))

    def propagate(self, features, adjacency):
        s = inverse_sqrt_degree(adjacency)
        scale = 2.0 / self.lambda_max

        def rescaled_laplacian(x):
            # L~ x = (2 / lambda_max) (x - S A S x) - x, with no N x N operator formed.
            return scale * (x - s * ops.matmul(adjacency, s * x)) - x

        previous, current = None, features
        out = ops.matmul(features, self.kernel[0])
        for k in range(1, self.order):
            if k == 1:
                previous, current = current, rescaled_laplacian(current)
            else:
                previous, current = current, 2.0 * rescaled_laplacian(current) - previous
            out = out + ops.matmul(current, self.kernel[k])
        return out

    def get_config(self):
        return {**super().get_config(), "order": self.order, "lambda_max": self.lambda_max}
