"""What the graph models share: their two named inputs and the argument checks."""

from __future__ import annotations

import keras

#: Kipf & Welling 2017, section 5.2 / Table 1: Cora has 2,708 nodes, 1,433 features, 7 classes.
CORA = {"num_features": 1433, "classes": 7}
#: The entries' test config: 16-node graphs of 8 features in 4 classes, one hidden layer of 8.
TINY = {"num_features": 8, "classes": 4, "num_nodes": 16, "hidden_units": (8,), "dropout": 0.1}


def _positive(model, arg, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{model}: {arg} must be a positive int, got {value!r}.")


def check_config(model, num_features, classes, num_nodes, hidden_units, dropout):
    """Raises ``ValueError`` naming the model and the argument for a config it cannot build."""
    _positive(model, "num_features", num_features)
    _positive(model, "classes", classes)
    if num_nodes is not None:
        _positive(model, "num_nodes", num_nodes)
    if not isinstance(hidden_units, (list, tuple)):
        raise ValueError(f"{model}: hidden_units must be a list of ints (one per hidden layer), "
                         f"got {hidden_units!r}.")
    for units in hidden_units:
        _positive(model, "hidden_units", units)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"{model}: dropout must be in [0, 1), got {dropout!r}.")


def graph_inputs(num_nodes, num_features):
    """The inputs ``adjacency [B, N, N]`` and ``features [B, N, F]`` (``N`` may be None: any
    graph size)."""
    adjacency = keras.Input((num_nodes, num_nodes), name="adjacency")
    features = keras.Input((num_nodes, num_features), name="features")
    return adjacency, features


def graph_model(owner, name, layer, num_features, classes, num_nodes, hidden_units, dropout):
    """The checked config's model: inputs ``adjacency`` and ``features``; dropout, then
    ``layer(units, activation, layer_name)`` on ``[x, adjacency]`` for each hidden width (ReLU)
    and the output (``classes`` logits, named "logits")."""
    check_config(owner, num_features, classes, num_nodes, hidden_units, dropout)
    adjacency, features = graph_inputs(num_nodes, num_features)
    x = features
    widths = [*hidden_units, classes]
    for i, units in enumerate(widths):
        last = i == len(widths) - 1
        # Kipf & Welling (appendix B) drop the input of every layer.
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
        x = layer(units, None if last else "relu", "logits" if last else f"graph_{i + 1}")(
            [x, adjacency])
    return keras.Model({"adjacency": adjacency, "features": features}, x, name=name)
