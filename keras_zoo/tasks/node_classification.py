"""Node classification: a graph (adjacency + node features) in, a class per node out."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask


def graph_sizes(model):
    """``(num_nodes or None, num_features)`` of a graph model's inputs."""
    shapes = {tensor.name: tuple(tensor.shape) for tensor in model.inputs}
    if set(shapes) != {"adjacency", "features"}:
        raise ValueError(f"{model.name}: a node classifier takes inputs 'adjacency' and "
                         f"'features', got {sorted(shapes)}.")
    return shapes["features"][1], shapes["features"][2]


def num_classes(model):
    return int(model.outputs[0].shape[-1])


class NodeClassificationTask(ArraysTask):
    """Inputs ``adjacency [B, N, N]`` and ``features [B, N, F]`` (float32), output node logits
    ``[B, N, C]``; labels ``[B, N]`` int32, -1 for a node that is not scored (padding).

    Embedded data ``"sbm"``: graphs of a stochastic block model, a node's class its block, its
    features a noisy class mean (``keras_zoo.data.graphs``); the test split's graphs are other
    draws (held out). ``"ogbg_molpcba"`` (TFDS, on disk): the atoms of molecules of at most N
    atoms, the element to predict from the bonds and the other atom attributes (the model
    needs ``num_features=graphs.ATOM_FEATURES`` and 8 classes). Graphs of another size than a
    model's fixed N: build it with ``num_nodes=``.

    Serving: ``adjacency`` and ``features`` in, ``logits`` and ``classes`` (int32) per node out.
    """

    name = "node_classification"
    data_names = ("sbm", "ogbg_molpcba")
    #: Nodes per graph when a model accepts any size.
    default_nodes = 16

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import graphs

        nodes, features = graph_sizes(model)
        nodes = nodes or self.default_nodes
        classes = num_classes(model)
        name = data or (entry.data if entry is not None else "sbm")
        if name == "ogbg_molpcba":
            if features != graphs.ATOM_FEATURES or classes != len(graphs.ATOM_CLASSES):
                raise ValueError(f"{model.name}: ogbg_molpcba atoms need num_features="
                                 f"{graphs.ATOM_FEATURES} and classes="
                                 f"{len(graphs.ATOM_CLASSES)}; the model has {features} and "
                                 f"{classes}.")
            adjacency, x, labels = graphs.load_molpcba_atoms(split, nodes, limit=n)
        else:
            self.check_data(name)
            adjacency, x, labels = graphs.sbm_split(split, n, nodes, classes, features)
        return {"adjacency": adjacency, "features": x}, labels

    def compile(self, model, entry, learning_rate=1e-2, optimizer=None):
        import keras

        from keras_zoo.metrics.graph import NodeAccuracy

        # Unscored nodes (label -1) leave the loss and the accuracy.
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                      ignore_class=-1),
                      metrics=[NodeAccuracy(name="accuracy")])

    def serving_fn(self, model):
        nodes, features = graph_sizes(model)

        @tf.function(input_signature=[
            tf.TensorSpec([None, nodes, nodes], tf.float32, name="adjacency"),
            tf.TensorSpec([None, nodes, features], tf.float32, name="features")])
        def serve(adjacency, features):
            logits = model({"adjacency": adjacency, "features": features}, training=False)
            return {"logits": logits,
                    "classes": tf.argmax(logits, axis=-1, output_type=tf.int32)}

        return serve

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["classes"]) == np.asarray(quantized["classes"])))

    def int8_check(self, reference, quantized):
        p = np.asarray(reference["logits"])
        q = np.asarray(quantized["logits"])
        top2 = np.sort(p, axis=-1)[..., -2:]
        confident = (top2[..., 1] - top2[..., 0]) >= 0.5
        agree = (np.argmax(p, -1) == np.argmax(q, -1))[confident]
        agreement = float(agree.mean()) if agree.size else 1.0
        error = float(np.mean(np.abs(p - q)))
        spread = float(np.ptp(p))
        ok = agreement >= 0.9 and error <= 0.1 * spread
        return ok, (f"top-1 agreement {agreement:.3f} on {int(confident.sum())} nodes whose two "
                    f"best logits differ by >= 0.5 (>= 0.9); mean |d logit| {error:.4f} "
                    f"(<= 10% of the logits' range {spread:.3f})")
