"""ChebNet (Defferrard, Bresson & Vandergheynst, Convolutional Neural Networks on Graphs with
Fast Localized Spectral Filtering, NeurIPS 2016): graph convolutions whose filters are
Chebyshev polynomials of the rescaled normalised Laplacian (section 2.1, eq. 4-5)."""

from keras_zoo.layers.cheb_conv import ChebConv
from keras_zoo.models.graph import common
from keras_zoo.models.registry import register


def ChebNet(num_features=1433, classes=7, num_nodes=None, hidden_units=(16,), order=3,
            lambda_max=2.0, dropout=0.5, name="chebnet"):
    """Graph convolutions ``y = sum_{k<K} T_k(L~) X W_k`` (ReLU between them), node logits out.

    The paper's own experiments pool the graph for signal classification (MNIST, 20NEWS);
    node classification with two K-term layers is Kipf & Welling's Chebyshev baseline (2017,
    section 6, Table 3: K = 2 or 3, 16 hidden units on the citation graphs), the canonical
    config here. ``lambda_max = 2`` bounds the normalised Laplacian's spectrum instead of the
    eigensolver the paper runs once per graph.

    Args:
        num_features: F, features per node.
        classes: node classes.
        num_nodes: N, nodes per graph; None accepts any size.
        hidden_units: the widths of the hidden graph convolutions (ReLU).
        order: K, Chebyshev terms per filter (``T_0 .. T_{K-1}``: K-1 hops).
        lambda_max: the Laplacian's largest eigenvalue used for the rescaling.
        dropout: drop probability on the input of every layer.
        name: the model's name.

    Example:
        >>> model = ChebNet(num_features=8, classes=4, num_nodes=16, order=3)
        >>> logits = model({"adjacency": a, "features": x})  # [B, 16, 4]
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"ChebNet: order (K, Chebyshev terms) must be a positive int, got "
                         f"{order!r}.")
    return common.graph_model("ChebNet", name, lambda units, activation, layer_name: ChebConv(
        units, order=order, lambda_max=lambda_max, activation=activation, name=layer_name),
        num_features, classes, num_nodes, hidden_units, dropout)


register("chebnet", task="node_classification", family="gcn",
         tiny={**common.TINY, "order": 3},
         canonical={**common.CORA, "hidden_units": (16,), "order": 3, "dropout": 0.5},
         data="sbm", recipe="graph",
         paper="Defferrard, Bresson & Vandergheynst, Convolutional Neural Networks on Graphs "
               "with Fast Localized Spectral Filtering, NeurIPS 2016",
         # 3*1433*16 + 16 + 3*16*7 + 7: Kipf & Welling's Chebyshev baseline on Cora, K = 3.
         params=69_143,
         notes="Spectral (Chebyshev filters of the normalised Laplacian, lambda_max = 2).")(ChebNet)
