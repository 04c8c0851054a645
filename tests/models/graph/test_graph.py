"""Graph convolutions: the spectral and spatial forms on a 5-node graph worked by hand, the
Chebyshev recurrence, the Laplacian of a graph with an isolated node, bad graphs, the block
model's data, the TFDS atoms (mock data), serving, and (slow) held-out node accuracy."""

import numpy as np
import pytest
import tensorflow as tf
from numpy.polynomial import chebyshev

import keras_zoo
from keras_zoo.data import graphs
from keras_zoo.layers import ChebConv, GraphConv, GraphSAGEConv, normalized_laplacian
from keras_zoo.tasks import get_task

# The worked graph: a triangle 0-1-2 with a tail 2-3-4.
#   degrees d = [2, 2, 3, 2, 1]; with self-loops d~ = [3, 3, 4, 3, 2].
EDGES = [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4)]


def worked_graph():
    a = np.zeros((5, 5), np.float32)
    for i, j in EDGES:
        a[i, j] = a[j, i] = 1.0
    return a


def run(layer, x, a, weights):
    """``layer`` on one graph (features [5, F]) with the given weights, as numpy [5, units]."""
    layer([x[None], a[None]])
    layer.set_weights(weights)
    return np.asarray(layer([x[None], a[None]]))[0]


def test_gcn_on_the_worked_graph_by_hand():
    # A^ = D~^-1/2 (A + I) D~^-1/2 with W = 1: the signal on node 0 reaches node 0 and its
    # neighbours 1, 2 with weight 1/sqrt(d~_i d~_0): 1/3, 1/3, 1/sqrt(12); nodes 3, 4 get 0.
    a, e0 = worked_graph(), np.eye(5, dtype=np.float32)[:, :1]
    out = run(GraphConv(1, use_bias=False), e0, a, [np.ones((1, 1), np.float32)])
    np.testing.assert_allclose(out[:, 0], [1 / 3, 1 / 3, 1 / np.sqrt(12), 0, 0], atol=1e-6)
    # Node 4 (d~ = 2) keeps 1/2 of its own signal and gives 1/sqrt(3 * 2) to node 3.
    e4 = np.eye(5, dtype=np.float32)[:, 4:]
    out = run(GraphConv(1, use_bias=False), e4, a, [np.ones((1, 1), np.float32)])
    np.testing.assert_allclose(out[:, 0], [0, 0, 0, 1 / np.sqrt(6), 0.5], atol=1e-6)


def test_gcn_spectral_and_spatial_readings_agree():
    # Spectral: A^ = I - L(A + I), so A^ X W = U (1 - Lambda) U^T X W in the eigenbasis of the
    # self-looped graph's normalised Laplacian. Spatial: node i sums W x_j / sqrt(d~_i d~_j)
    # over its neighbours and itself. The layer must equal both.
    rng = np.random.default_rng(0)
    a = worked_graph()
    x = rng.normal(size=(5, 3)).astype(np.float32)
    kernel, bias = rng.normal(size=(3, 2)).astype(np.float32), np.zeros(2, np.float32)
    out = run(GraphConv(2), x, a, [kernel, bias])
    looped = a + np.eye(5)
    eigenvalues, u = np.linalg.eigh(np.asarray(normalized_laplacian(looped[None]))[0])
    spectral = u @ np.diag(1.0 - eigenvalues) @ u.T @ x @ kernel
    d = looped.sum(1)
    spatial = np.stack([sum(x[j] @ kernel / np.sqrt(d[i] * d[j]) for j in range(5)
                            if looped[i, j]) for i in range(5)])
    np.testing.assert_allclose(out, spectral, atol=1e-5)
    np.testing.assert_allclose(out, spatial, atol=1e-5)


def test_chebyshev_first_order_on_the_worked_graph_by_hand():
    # K = 2, lambda_max = 2: L~ = L - I = -D^-1/2 A D^-1/2. With W_0 = 0, W_1 = 1 the signal
    # on node 0 becomes -1/sqrt(d_i d_0) on its neighbours: -1/2 on node 1, -1/sqrt(6) on 2.
    a, e0 = worked_graph(), np.eye(5, dtype=np.float32)[:, :1]
    weights = [np.array([[[0.0]], [[1.0]]], np.float32)]
    out = run(ChebConv(1, order=2, use_bias=False), e0, a, weights)
    np.testing.assert_allclose(out[:, 0], [0, -0.5, -1 / np.sqrt(6), 0, 0], atol=1e-6)


def test_kipf_welling_is_chebyshev_order_two_with_tied_weights():
    # Kipf & Welling eq. 6: theta_0 = -theta_1 = theta gives theta (I + D^-1/2 A D^-1/2) x,
    # the propagation GraphConv makes without the renormalisation (plus x itself).
    rng = np.random.default_rng(1)
    a = worked_graph()
    x = rng.normal(size=(5, 3)).astype(np.float32)
    theta = rng.normal(size=(3, 2)).astype(np.float32)
    zeros = np.zeros(2, np.float32)
    cheb = run(ChebConv(2, order=2), x, a, [np.stack([theta, -theta]), zeros])
    propagated = run(GraphConv(2, renormalize=False), x, a, [theta, zeros])
    np.testing.assert_allclose(cheb, x @ theta + propagated, atol=1e-5)


def test_graphsage_gathers_the_worked_graph_neighbours_by_hand():
    # Signals 1..5 on nodes 0..4; the neighbours' mean and max, node by node.
    a = worked_graph()
    x = np.arange(1, 6, dtype=np.float32)[:, None]
    weights = [np.zeros((1, 1), np.float32), np.ones((1, 1), np.float32),
               np.zeros(1, np.float32)]
    mean = run(GraphSAGEConv(1), x, a, weights)[:, 0]
    np.testing.assert_allclose(mean, [2.5, 2.0, 7 / 3, 4.0, 4.0], atol=1e-6)
    top = run(GraphSAGEConv(1, aggregator="max"), x, a, weights)[:, 0]
    np.testing.assert_allclose(top, [3, 3, 4, 5, 4], atol=1e-6)


def test_chebyshev_recurrence_against_numpy():
    # T_k(L~) x from the layer (only W_k = I), from the matrix recurrence in NumPy and from
    # numpy's Chebyshev series on the eigenvalues: all three agree for k = 0..5.
    rng = np.random.default_rng(2)
    upper = np.triu(rng.random((7, 7)) < 0.5, k=1)
    a = (upper | upper.T).astype(np.float32)
    x = rng.normal(size=(7, 2)).astype(np.float32)
    lambda_max = 1.7
    lap = np.asarray(normalized_laplacian(a[None]))[0]
    scaled = 2 * lap / lambda_max - np.eye(7)
    terms = [np.eye(7), scaled]
    for _ in range(4):
        terms.append(2 * scaled @ terms[-1] - terms[-2])
    eigenvalues, u = np.linalg.eigh(lap)
    for k in range(6):
        kernel = np.zeros((6, 2, 2), np.float32)
        kernel[k] = np.eye(2)
        out = run(ChebConv(2, order=6, lambda_max=lambda_max, use_bias=False), x, a, [kernel])
        np.testing.assert_allclose(out, terms[k] @ x, atol=1e-4, err_msg=f"T_{k}")
        series = chebyshev.chebval(2 * eigenvalues / lambda_max - 1, np.eye(6)[k])
        np.testing.assert_allclose(out, u @ np.diag(series) @ u.T @ x, atol=1e-4)


def test_laplacian_of_a_graph_with_an_isolated_node_is_defined():
    a = worked_graph()
    a = np.pad(a, ((0, 1), (0, 1)))  # node 5 has no edge
    lap = np.asarray(normalized_laplacian(a[None]))[0]
    assert np.all(np.isfinite(lap))
    np.testing.assert_array_equal(lap[5], np.eye(6)[5])  # D^-1/2 = 0 by convention
    eigenvalues = np.linalg.eigvalsh(lap)
    assert eigenvalues.min() > -1e-6 and eigenvalues.max() < 2 + 1e-6
    x = np.random.default_rng(3).normal(size=(1, 6, 3)).astype(np.float32)
    for layer in (GraphConv(2), GraphConv(2, renormalize=False), ChebConv(2, order=3),
                  GraphSAGEConv(2), GraphSAGEConv(2, aggregator="max")):
        with tf.GradientTape() as tape:
            out = layer([tf.constant(x), tf.constant(a[None])])
            loss = tf.reduce_sum(out ** 2)
        grads = tape.gradient(loss, layer.trainable_variables)
        assert np.all(np.isfinite(out)), type(layer).__name__
        assert all(np.all(np.isfinite(g)) for g in grads), type(layer).__name__
    # Without self-loops the isolated node receives nothing.
    out = GraphConv(2, use_bias=False, renormalize=False)([x, a[None]])
    np.testing.assert_array_equal(np.asarray(out)[0, 5], 0.0)


@pytest.mark.parametrize("layer", [GraphConv(2), ChebConv(2), GraphSAGEConv(2)],
                         ids=["GraphConv", "ChebConv", "GraphSAGEConv"])
def test_bad_graphs_are_clear_errors(layer):
    x = np.zeros((1, 4, 3), np.float32)
    with pytest.raises(ValueError, match="must be square"):
        layer([x, np.zeros((1, 4, 5), np.float32)])
    with pytest.raises(ValueError, match="adjacency is 5 x 5 but the features have 4 nodes"):
        layer([x, np.zeros((1, 5, 5), np.float32)])
    with pytest.raises(ValueError, match=r"call with \[features, adjacency\]"):
        layer(x)


def test_a_model_refuses_a_graph_of_the_wrong_size():
    model = keras_zoo.models.get("gcn", preset="tiny")  # 16 nodes, 8 features
    good = {"adjacency": np.zeros((1, 16, 16), np.float32),
            "features": np.zeros((1, 16, 8), np.float32)}
    assert model(good).shape == (1, 16, 4)
    any_size = keras_zoo.models.get("graphsage", preset="tiny", num_nodes=None)
    with pytest.raises(ValueError, match="adjacency is 5 x 5 but the features have 16 nodes"):
        any_size({"adjacency": np.zeros((1, 5, 5), np.float32),
                  "features": np.zeros((1, 16, 8), np.float32)})
    with pytest.raises(ValueError, match=r"\(square\)"):
        graphs.check_graph(np.zeros((1, 3, 4)), np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="features must be"):
        graphs.check_graph(np.zeros((1, 3, 3)), np.zeros((1, 4, 2)))


@pytest.mark.parametrize("name, config, message", [
    ("gcn", {"hidden_units": 16}, "hidden_units"),
    ("gcn", {"hidden_units": (8, 0)}, "hidden_units must be a positive int"),
    ("gcn", {"num_nodes": 0}, "num_nodes must be a positive int"),
    ("chebnet", {"order": 0}, "order"),
    ("chebnet", {"lambda_max": -1.0}, "lambda_max must be a positive number"),
    ("graphsage", {"aggregator": "lstm"}, "aggregator must be one of"),
    ("graphsage", {"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
])
def test_bad_configs_name_the_argument(name, config, message):
    with pytest.raises(ValueError, match=message):
        keras_zoo.models.get(name, preset="tiny", **config)


def test_builder_refuses_a_width_that_is_not_a_list():
    from keras_zoo.models.graph.gcn import GCN

    with pytest.raises(ValueError, match="GCN: hidden_units must be a list of ints"):
        GCN(num_features=8, classes=4, hidden_units=16)


@pytest.mark.parametrize("name, params", [("gcn", 23_063), ("chebnet", 69_143),
                                          ("graphsage", 46_103)])
def test_canonical_parameter_counts(name, params):
    # Cora-sized (1,433 features, 7 classes, 16 hidden): K weight matrices per layer.
    k = {"gcn": 1, "chebnet": 3, "graphsage": 2}[name]
    assert params == k * 1433 * 16 + 16 + k * 16 * 7 + 7 == keras_zoo.models.info(name).params
    assert keras_zoo.models.get(name, preset="canonical").count_params() == params


def test_block_model_is_seeded_symmetric_and_class_dependent():
    a, x, y = graphs.stochastic_block_model(8, 16, 4, 8, seed=5)
    a2, x2, y2 = graphs.stochastic_block_model(8, 16, 4, 8, seed=5)
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(a, graphs.stochastic_block_model(8, 16, 4, 8, seed=6)[0])
    np.testing.assert_array_equal(a, np.swapaxes(a, 1, 2))
    assert np.all(np.diagonal(a, axis1=1, axis2=2) == 0)
    assert np.all(np.bincount(y.ravel()) == 8 * 4)  # even blocks
    same = y[:, :, None] == y[:, None, :]
    off = ~np.eye(16, dtype=bool)[None]
    assert a[same & off].mean() > 0.6 > 0.15 > a[~same].mean()  # p_in 0.8, p_out 0.05
    a, x, y = graphs.stochastic_block_model(64, 16, 4, 8, seed=5)  # 256 nodes per class
    means = np.stack([x[y == c].mean(0) for c in range(4)])
    np.testing.assert_allclose(means, graphs.class_means(4, 8), atol=0.35)
    # The test split is other graphs with the same class means.
    test = graphs.sbm_split("test", 4)
    assert not np.array_equal(test[0], graphs.sbm_split("train", 4)[0])
    with pytest.raises(ValueError, match="p_in must be in"):
        graphs.stochastic_block_model(1, p_in=1.5)


def test_serving_takes_adjacency_and_features_and_returns_node_logits():
    task = get_task("node_classification")
    entry = keras_zoo.models.info("chebnet")
    model = entry.build("tiny")
    serve = task.serving_fn(model)
    assert [s.name for s in serve.input_signature] == ["adjacency", "features"]
    example = task.serving_example(model, n=3)
    out = serve(**example)
    np.testing.assert_allclose(out["logits"], model(example), atol=1e-6)
    np.testing.assert_array_equal(out["classes"], np.argmax(out["logits"], -1))
    assert out["classes"].dtype == tf.int32 and out["logits"].shape == (3, 16, 4)


def test_node_accuracy_skips_unlabelled_nodes_and_task_refuses_unknown_data():
    from keras_zoo.metrics.graph import NodeAccuracy

    metric = NodeAccuracy()
    logits = np.array([[[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]]], np.float32)
    metric.update_state(np.array([[0, 0, -1]]), logits)  # one right, one wrong, one unscored
    assert float(metric.result()) == 0.5
    task = get_task("node_classification")
    model = keras_zoo.models.get("gcn", preset="tiny")
    with pytest.raises(ValueError, match="cannot load data 'cora'"):
        task.dataset(model, keras_zoo.models.info("gcn"), data="cora")
    with pytest.raises(ValueError, match="ogbg_molpcba atoms need num_features=55"):
        task.dataset(model, keras_zoo.models.info("gcn"), data="ogbg_molpcba")


def test_molpcba_atoms_through_tfds_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=6, policy=tfds.testing.MockPolicy.USE_CODE):
        a, x, y = graphs.load_molpcba_atoms("validation", max_nodes=64)
    assert a.shape[1:] == (64, 64) and x.shape[1:] == (64, graphs.ATOM_FEATURES)
    np.testing.assert_array_equal(a, np.swapaxes(a, 1, 2))
    labelled = y >= 0
    assert labelled.any() and np.all(y[labelled] < len(graphs.ATOM_CLASSES))
    # Padding nodes: no label, no features, no edges; real atoms: one value per attribute.
    assert np.all(x[~labelled] == 0) and np.all(a[~labelled] == 0)
    np.testing.assert_array_equal(x[labelled].sum(-1), len(graphs.ATOM_FEATURE_DIMS) - 1)


def test_atom_graph_by_hand():
    # Formaldehyde-like: C (atomic number 6 -> 5) bonded to O (8 -> 7) and to a Cl (17 -> 16).
    node_feat = np.zeros((3, 9))
    node_feat[:, 0] = [5, 7, 16]
    node_feat[:, 2] = [3, 1, 1]  # degree
    a, x, y = graphs.atom_graph(node_feat, [[0, 1], [1, 0], [0, 2], [2, 0]], max_nodes=4)
    np.testing.assert_array_equal(y, [0, 2, 5, -1])  # C, O, Cl, padding
    np.testing.assert_array_equal(a[0], [0, 1, 1, 0])
    degree_offset = graphs.ATOM_FEATURE_DIMS[1]
    assert x[0, degree_offset + 3] == 1 and x[1, degree_offset + 1] == 1
    with pytest.raises(ValueError, match="does not fit max_nodes=2"):
        graphs.atom_graph(node_feat, [], max_nodes=2)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gcn", "chebnet", "graphsage"])
def test_recipe_reaches_080_on_held_out_graphs(name, tmp_path):
    """Measured (stop 24, 2026-12-03, load 8-21, through ``training.train``): held-out node
    accuracy GCN 0.902, ChebNet 0.908, GraphSAGE 0.889 (nearest class mean from a node's own
    features 0.72)."""
    # Measured: 64 held-out graphs (1,024 nodes), 30 epochs; a node alone (nearest class
    # mean, the best use of its own features) is right 0.72 of the time.
    from training import train

    result = train(name, out=str(tmp_path / name), verbose=0)
    print(f"{name}: held-out node accuracy {result.metrics['accuracy']:.3f}")
    assert result.metrics["accuracy"] >= 0.8
    a, x, y = graphs.sbm_split("test", 64)
    nearest = np.argmin(((x[..., None, :] - graphs.class_means(4, 8)) ** 2).sum(-1), -1)
    assert result.metrics["accuracy"] > np.mean(nearest == y) + 0.05
