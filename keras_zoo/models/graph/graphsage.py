"""GraphSAGE (Hamilton, Ying & Leskovec, Inductive Representation Learning on Large Graphs,
NeurIPS 2017): the spatial form, each node's new features from its own and an aggregate of its
neighbours' (Algorithm 1)."""

from keras_zoo.layers.graph_sage_conv import GraphSAGEConv
from keras_zoo.models.graph import common
from keras_zoo.models.registry import register


def GraphSAGE(num_features=1433, classes=7, num_nodes=None, hidden_units=(16,),
              aggregator="mean", dropout=0.5, name="graphsage"):
    """``K = len(hidden_units) + 1`` aggregation steps ``h'_i = act(W [h_i || AGG_j h_j])``,
    node logits out (supervised, the paper's section 3.2 second option).

    Departures: every neighbour is aggregated (the dense adjacency holds them all) where the
    paper samples a fixed number per step (S1 = 25, S2 = 10) to bound the cost on large graphs;
    the hidden outputs are not L2-normalised (Algorithm 1, line 7; ``GraphSAGEConv``'s
    ``normalize``), which only rescales a node's features and slows a classifier's training.

    Args:
        num_features: F, features per node.
        classes: node classes.
        num_nodes: N, nodes per graph; None accepts any size (the spatial form needs no
            spectrum, so one model serves graphs of every size).
        hidden_units: the widths of the hidden aggregation steps (ReLU).
        aggregator: "mean" or "max" (``GraphSAGEConv``).
        dropout: drop probability on the input of every layer.
        name: the model's name.

    Example:
        >>> model = GraphSAGE(num_features=8, classes=4, num_nodes=16)
        >>> logits = model({"adjacency": a, "features": x})  # [B, 16, 4]
    """
    return common.graph_model("GraphSAGE", name, lambda units, activation, layer_name: GraphSAGEConv(
        units, aggregator=aggregator, activation=activation, name=layer_name),
        num_features, classes, num_nodes, hidden_units, dropout)


register("graphsage", task="node_classification", family="gcn",
         tiny=common.TINY,
         canonical={**common.CORA, "hidden_units": (16,), "dropout": 0.5},
         data="sbm", recipe="graph",
         paper="Hamilton, Ying & Leskovec, Inductive Representation Learning on Large Graphs, "
               "NeurIPS 2017",
         # 2*1433*16 + 16 + 2*16*7 + 7 (self and neighbour kernels), at Cora's size for
         # comparison with GCN; the paper's own graphs (Reddit, PPI) are larger.
         params=46_103,
         notes="Spatial (gather the neighbours, aggregate by mean, transform).")(GraphSAGE)
