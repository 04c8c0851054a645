"""Graphs for node classification: a stochastic block model with class-dependent node features
(embedded, deterministic from a seed) and the atoms of TFDS's ``ogbg_molpcba`` molecules.

Every graph is dense: ``adjacency [G, N, N]`` (float32, symmetric, no self-loops), ``features
[G, N, F]`` (float32) and ``labels [G, N]`` (int32; -1 marks a node without a label, such as the
padding of a smaller graph).
"""

from __future__ import annotations

import numpy as np

#: Label of a node that is not scored (padding, or unlabelled in semi-supervised training).
UNLABELLED = -1
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}
#: Graphs per split when the caller does not say.
SPLIT_SIZES = {"train": 256, "validation": 32, "test": 64}


def _check_positive(name, **values):
    for arg, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}.")


def check_graph(adjacency, features, labels=None):
    """Raises ``ValueError`` unless ``adjacency`` is ``[G, N, N]``, ``features`` ``[G, N, F]``
    and ``labels`` (if given) ``[G, N]``, for one ``G`` and ``N``."""
    a, x = np.shape(adjacency), np.shape(features)
    if len(a) != 3 or a[1] != a[2]:
        raise ValueError(f"the adjacency must be [graphs, nodes, nodes] (square), got shape {a}.")
    if len(x) != 3 or x[:2] != a[:2]:
        raise ValueError(f"the features must be [graphs, nodes, features] with the adjacency's "
                         f"{a[0]} graphs of {a[1]} nodes, got shape {x}.")
    if labels is not None and np.shape(labels) != a[:2]:
        raise ValueError(f"the labels must be [graphs, nodes] = {a[:2]}, got "
                         f"{np.shape(labels)}.")


def class_means(num_classes, num_features, seed=0):
    """The mean feature vector of each class, ``[C, F]``: one draw per (seed, sizes), shared by
    every graph and split, so a label means the same thing in all of them."""
    _check_positive("class_means", num_classes=num_classes, num_features=num_features)
    rng = np.random.default_rng([seed, num_classes, num_features, 7])
    return rng.normal(0.0, 1.0, (num_classes, num_features)).astype(np.float32)


def stochastic_block_model(num_graphs, num_nodes=16, num_classes=4, num_features=8,
                           p_in=0.8, p_out=0.05, feature_noise=1.5, seed=0, means_seed=0):
    """``(adjacency, features, labels)`` of ``num_graphs`` graphs of a stochastic block model
    (Holland, Laskey & Leinhardt, Stochastic Blockmodels, 1983): each node's class is its
    block; an edge joins two nodes of one class with probability ``p_in`` and of two classes
    with ``p_out``; a node's features are its class mean (``class_means(..., means_seed)``)
    plus Gaussian noise of deviation ``feature_noise``, so one node alone is often ambiguous
    and its neighbourhood tells. Blocks are as even as ``num_nodes`` allows; nodes are in a
    random order. Deterministic in ``seed``.
    """
    _check_positive("stochastic_block_model", num_graphs=num_graphs, num_nodes=num_nodes,
                    num_classes=num_classes, num_features=num_features)
    for arg, value in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"stochastic_block_model: {arg} must be in [0, 1], got {value!r}.")
    if feature_noise < 0:
        raise ValueError(f"stochastic_block_model: feature_noise must be >= 0, got "
                         f"{feature_noise!r}.")
    means = class_means(num_classes, num_features, means_seed)
    rng = np.random.default_rng([seed, 1983])
    blocks = np.arange(num_nodes) % num_classes
    labels = np.stack([rng.permutation(blocks) for _ in range(num_graphs)]).astype(np.int32)
    same = labels[:, :, None] == labels[:, None, :]
    draw = rng.random((num_graphs, num_nodes, num_nodes))
    upper = np.triu(draw < np.where(same, p_in, p_out), k=1)
    adjacency = (upper | np.swapaxes(upper, 1, 2)).astype(np.float32)
    noise = rng.normal(0.0, feature_noise, (num_graphs, num_nodes, num_features))
    features = (means[labels] + noise).astype(np.float32)
    return adjacency, features, labels


def sbm_split(split, num_graphs=None, num_nodes=16, num_classes=4, num_features=8, seed=0):
    """The stochastic block model's ``split`` ("train", "validation", "test"): disjoint draws
    (other seeds) from one model, so the test graphs are held out."""
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split must be one of {list(SPLIT_SEEDS)}, got {split!r}.")
    return stochastic_block_model(num_graphs or SPLIT_SIZES[split], num_nodes, num_classes,
                                  num_features, seed=1000 * seed + SPLIT_SEEDS[split],
                                  means_seed=seed)


# --- ogbg_molpcba (TFDS): atoms as nodes, the element as the class --------------------------

#: OGB's atom feature vocabularies (ogb.utils.features.get_atom_feature_dims): atomic number,
#: chirality, degree, formal charge, hydrogens, radical electrons, hybridisation, aromatic, ring.
ATOM_FEATURE_DIMS = (119, 5, 12, 12, 10, 6, 6, 2, 2)
#: The classes of the atom task: OGB stores atomic number - 1; every other element is "other".
ELEMENTS = {"C": 5, "N": 6, "O": 7, "F": 8, "S": 15, "Cl": 16, "Br": 34}
ATOM_CLASSES = (*ELEMENTS, "other")
#: One-hot width of an atom's features without its element (columns 1-8).
ATOM_FEATURES = sum(ATOM_FEATURE_DIMS[1:])


def atom_graph(node_feat, edge_index, max_nodes):
    """``(adjacency [N, N], features [N, ATOM_FEATURES], labels [N])`` of one molecule padded
    to ``max_nodes``: the features one-hot the atom's attributes except its element, which is
    the label (an element from the neighbourhood and bonding, the attribute masking of Hu et
    al., Strategies for Pre-training Graph Neural Networks, ICLR 2020). Out-of-range values
    are clipped into their vocabulary; edges naming a missing atom are dropped."""
    node_feat = np.asarray(node_feat).astype(np.int64).reshape(-1, len(ATOM_FEATURE_DIMS))
    n = len(node_feat)
    if n > max_nodes:
        raise ValueError(f"a molecule of {n} atoms does not fit max_nodes={max_nodes}.")
    adjacency = np.zeros((max_nodes, max_nodes), np.float32)
    edges = np.asarray(edge_index).astype(np.int64).reshape(-1, 2)
    edges = edges[np.all((edges >= 0) & (edges < n), axis=1)]
    edges = edges[edges[:, 0] != edges[:, 1]]
    adjacency[edges[:, 0], edges[:, 1]] = 1.0
    adjacency[edges[:, 1], edges[:, 0]] = 1.0  # OGB lists both directions; be sure
    features = np.zeros((max_nodes, ATOM_FEATURES), np.float32)
    offset = 0
    for column, size in enumerate(ATOM_FEATURE_DIMS[1:], start=1):
        features[np.arange(n), offset + np.clip(node_feat[:, column], 0, size - 1)] = 1.0
        offset += size
    element = np.clip(node_feat[:, 0], 0, ATOM_FEATURE_DIMS[0] - 1)
    lookup = np.full(ATOM_FEATURE_DIMS[0], len(ELEMENTS), np.int32)
    lookup[list(ELEMENTS.values())] = np.arange(len(ELEMENTS))
    labels = np.full(max_nodes, UNLABELLED, np.int32)
    labels[:n] = lookup[element]
    return adjacency, features, labels


def load_molpcba_atoms(split="train", max_nodes=32, limit=None, data_dir=None):
    """``(adjacency, features, labels)`` of the molecules of TFDS ``ogbg_molpcba`` with at most
    ``max_nodes`` atoms (larger ones are skipped), as ``atom_graph`` makes them; the splits are
    TFDS's own (OGB's scaffold split). Nothing is downloaded: the data must be on disk."""
    import tensorflow_datasets as tfds

    _check_positive("load_molpcba_atoms", max_nodes=max_nodes)
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split must be one of {list(SPLIT_SEEDS)}, got {split!r}.")
    ds = tfds.load("ogbg_molpcba", split=split, data_dir=data_dir, download=False)
    graphs = []
    for example in tfds.as_numpy(ds):
        if len(example["node_feat"]) > max_nodes:
            continue
        graphs.append(atom_graph(example["node_feat"], example["edge_index"], max_nodes))
        if limit is not None and len(graphs) >= limit:
            break
    if not graphs:
        raise ValueError(f"TFDS ogbg_molpcba split {split!r} has no molecule of at most "
                         f"{max_nodes} atoms.")
    return tuple(np.stack(parts) for parts in zip(*graphs, strict=True))
