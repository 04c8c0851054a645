"""GCN (Kipf & Welling, Semi-Supervised Classification with Graph Convolutional Networks,
ICLR 2017): graph convolutions of the renormalised adjacency (section 2, eq. 2 and 9)."""

from keras_zoo.layers.graph_conv import GraphConv
from keras_zoo.models.graph import common
from keras_zoo.models.registry import register


def GCN(num_features=1433, classes=7, num_nodes=None, hidden_units=(16,), dropout=0.5,
        name="gcn"):
    """The paper's two-layer model (eq. 9): ``Z = A^ ReLU(A^ X W0) W1`` with
    ``A^ = D~^-1/2 (A + I) D~^-1/2``, logits per node (the softmax is in the loss).

    Section 5.2's citation setting: 16 hidden units, dropout 0.5 on every layer's input (the
    L2 penalty 5e-4 on the first layer belongs to the recipe's optimizer, not the model).

    Args:
        num_features: F, features per node (Cora: 1,433).
        classes: node classes (Cora: 7).
        num_nodes: N, nodes per graph; None accepts any size (give it for TFLite, which wants
            static shapes).
        hidden_units: the widths of the hidden graph convolutions (ReLU).
        dropout: drop probability on the input of every layer.
        name: the model's name.

    Example:
        >>> model = GCN(num_features=8, classes=4, num_nodes=16)
        >>> logits = model({"adjacency": a, "features": x})  # [B, 16, 4]
    """
    return common.graph_model("GCN", name, lambda units, activation, layer_name: GraphConv(
        units, activation=activation, name=layer_name), num_features, classes, num_nodes,
        hidden_units, dropout)


register("gcn", task="node_classification", family="gcn",
         tiny=common.TINY,
         canonical={**common.CORA, "hidden_units": (16,), "dropout": 0.5},
         data="sbm", recipe="graph",
         paper="Kipf & Welling, Semi-Supervised Classification with Graph Convolutional "
               "Networks, ICLR 2017",
         # 1433*16 + 16 + 16*7 + 7, Cora's size (the paper prints no count).
         params=23_063,
         notes="Spectral (first-order, renormalised); the canonical config is Cora-sized.")(GCN)
