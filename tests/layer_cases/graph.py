"""Cases for the graph convolutions, each against NumPy written from its paper's formula:
Kipf & Welling's renormalised propagation (eq. 2), Defferrard et al.'s Chebyshev filter in the
Laplacian's eigenbasis (eq. 3-4: ``U g(Lambda) U^T x``, no recurrence), GraphSAGE's neighbour
loop (Algorithm 1)."""

import numpy as np
from numpy.polynomial import chebyshev

from keras_zoo.layers import ChebConv, GraphConv, GraphSAGEConv
from tests.layer_harness import LayerCase


def random_graphs(rng, graphs=2, nodes=6, features=3, isolated=True):
    """Symmetric 0/1 adjacencies without self-loops; node 0 of graph 0 isolated if asked."""
    upper = np.triu(rng.random((graphs, nodes, nodes)) < 0.5, k=1)
    a = (upper | np.swapaxes(upper, 1, 2)).astype(np.float32)
    if isolated:
        a[0, 0, :] = a[0, :, 0] = 0.0
    return [rng.normal(size=(graphs, nodes, features)).astype(np.float32), a]


def gcn_reference(layer, inputs, self_loops=True):
    x, a = inputs
    kernel, bias = layer.get_weights()
    out = []
    for xg, ag in zip(x, a, strict=True):
        a_tilde = ag + np.eye(len(ag)) if self_loops else ag
        d = a_tilde.sum(1)
        inv = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
        out.append(np.diag(inv) @ a_tilde @ np.diag(inv) @ xg @ kernel + bias)
    return np.maximum(np.stack(out), 0.0)


def laplacian(a):
    d = a.sum(1)
    inv = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    return np.eye(len(a)) - np.diag(inv) @ a @ np.diag(inv)


def chebyshev_reference(layer, inputs, lambda_max=2.0):
    # Filtering in the spectral domain: x -> U T_k(Lambda~) U^T x for each term k.
    x, a = inputs
    kernel, bias = layer.get_weights()
    out = []
    for xg, ag in zip(x, a, strict=True):
        eigenvalues, u = np.linalg.eigh(laplacian(ag))
        scaled = 2.0 * eigenvalues / lambda_max - 1.0
        y = np.zeros((len(ag), kernel.shape[-1]))
        for k in range(kernel.shape[0]):
            t_k = chebyshev.chebval(scaled, np.eye(kernel.shape[0])[k])
            y += u @ np.diag(t_k) @ u.T @ xg @ kernel[k]
        out.append(y + bias)
    return np.stack(out)


def sage_reference(layer, inputs, aggregator="mean"):
    x, a = inputs
    self_kernel, neighbour_kernel, bias = layer.get_weights()
    out = np.zeros(x.shape[:2] + (self_kernel.shape[1],))
    for g in range(len(x)):
        for i in range(x.shape[1]):
            neighbours = [x[g, j] for j in range(x.shape[1]) if a[g, i, j] > 0]
            if not neighbours:
                aggregated = np.zeros(x.shape[2])
            elif aggregator == "mean":
                aggregated = np.mean(neighbours, axis=0)
            else:
                aggregated = np.max(neighbours, axis=0)
            out[g, i] = x[g, i] @ self_kernel + aggregated @ neighbour_kernel + bias
    return np.tanh(out)


CASES = [
    LayerCase(
        id="graph_conv_renormalised",
        layer_class=GraphConv,
        make=lambda: GraphConv(4, activation="relu", bias_initializer="random_normal"),
        inputs=random_graphs,
        reference=gcn_reference,
    ),
    LayerCase(
        id="graph_conv_without_self_loops",
        layer_class=GraphConv,
        make=lambda: GraphConv(4, activation="relu", renormalize=False,
                               bias_initializer="random_normal"),
        inputs=random_graphs,
        reference=lambda layer, inputs: gcn_reference(layer, inputs, self_loops=False),
    ),
    LayerCase(
        id="cheb_conv_k3",
        layer_class=ChebConv,
        make=lambda: ChebConv(4, order=3, bias_initializer="random_normal"),
        inputs=random_graphs,
        reference=chebyshev_reference,
    ),
    LayerCase(
        id="cheb_conv_k4_lambda_1_5",
        layer_class=ChebConv,
        make=lambda: ChebConv(2, order=4, lambda_max=1.5, bias_initializer="random_normal"),
        inputs=random_graphs,
        reference=lambda layer, inputs: chebyshev_reference(layer, inputs, lambda_max=1.5),
    ),
    LayerCase(
        id="graph_sage_mean",
        layer_class=GraphSAGEConv,
        make=lambda: GraphSAGEConv(4, activation="tanh", bias_initializer="random_normal"),
        inputs=random_graphs,
        reference=sage_reference,
    ),
    LayerCase(
        id="graph_sage_max",
        layer_class=GraphSAGEConv,
        make=lambda: GraphSAGEConv(4, aggregator="max", activation="tanh",
                                   bias_initializer="random_normal"),
        inputs=random_graphs,
        reference=lambda layer, inputs: sage_reference(layer, inputs, "max"),
    ),
]
