"""Embedding: uint8 images in, L2-normalised embeddings out (metric, contrastive and pretext
learning). Siamese models also serve the similarity of image pairs."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.models.representation.base import NetworksModel, RepresentationModel
from keras_zoo.tasks.base import Task


def _representation(model):
    """``model``, checked to be a representation model (the contract this task reads)."""
    if not isinstance(model, RepresentationModel):
        raise ValueError(f"task 'embedding': {model.name!r} is a {type(model).__name__}, not a "
                         "RepresentationModel (keras_zoo.models.representation.base).")
    return model


def _image_shape(model):
    return _representation(model).image_shape


def load_images(image_shape, split, data="digits", classes=None, n=None):
    """``(uint8 images [N,H,W,C] of size image_shape, int32 labels [N])`` of one split.

    Args:
        image_shape: ``(H, W, C)`` (a model's ``image_shape``).
        classes: keep only these class ids (e.g. digits 0-6 to train, 7-9 to test retrieval on
            classes never seen in training); ``None`` keeps all.
        n: keep the first ``n`` (after the class filter).
    """
    from keras_zoo.data import load_arrays, num_classes

    h, w, c = image_shape
    images, labels = load_arrays(data, split, (h, w), c)
    if classes is not None:
        classes = tuple(int(k) for k in classes)
        bad = [k for k in classes if not 0 <= k < num_classes(data)]
        if bad or not classes:
            raise ValueError(f"classes must be a non-empty subset of 0..{num_classes(data) - 1} "
                             f"for {data!r}, got {classes}.")
        keep = np.isin(labels, classes)
        images, labels = images[keep], labels[keep]
    if n is not None:
        images, labels = images[:n], labels[:n]
    return images, labels.astype(np.int32)


def targets(model, labels):
    """What ``fit`` gets as ``y``: class labels, or the example's index (instance
    discrimination's memory bank), per the model's ``target``."""
    if _representation(model).target == "index":
        return np.arange(len(labels), dtype=np.int32)
    return labels


def edge_examples(images, labels, seed=0, n=None):
    """``({"anchor", "positive"} images, zeros)`` of a synthetic co-occurrence graph over the
    images (``keras_zoo.data.cooccurrence``: related items share a hidden topic, the class)."""
    from keras_zoo.data import cooccurrence

    anchors, positives = cooccurrence.edges(labels, edges_per_item=4, noise=0.1, seed=seed)
    order = np.random.default_rng(seed).permutation(len(anchors))
    if n is not None:
        order = order[:n]
    anchors, positives = anchors[order], positives[order]
    return ({"anchor": images[anchors], "positive": images[positives]},
            np.zeros(len(anchors), np.int32))


def embed(model, images, batch_size=256):
    """Embeddings ``[N, D]`` (numpy) of uint8 images, in batches."""
    out = [np.asarray(model(images[i:i + batch_size].astype(np.float32) / 255.0, training=False))
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out, axis=0)


class EmbeddingTask(Task):
    name = "embedding"
    data_names = ("digits", "shapes")

    def battery_data(self, model, entry, n=32, seed=0):
        images, labels = load_images(_image_shape(model), "train",
                                     entry.data if entry else "digits", n=n)
        images = images.astype(np.float32) / 255.0
        if model.target == "edges":
            return edge_examples(images, labels, seed, n)
        return images, targets(model, labels)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None,
                classes=None, drop_remainder=False):
        """``(float images in [0, 1], y)`` batches (co-occurrence edges ``{"anchor",
        "positive"}`` for a model whose ``target`` is ``"edges"``); ``classes`` restricts the
        split to some classes. The training split is reshuffled each epoch and drops its last partial batch:
        the losses form their pairs inside a batch, and a last batch of one or two examples
        has almost none (a single-class batch is an error for the triplet loss)."""
        if _representation(model).target == "index" and classes is not None:
            raise ValueError(f"task {self.name!r}: classes is not supported for {model.name}: "
                             "its targets are instance indices of the whole training split.")
        images, labels = load_images(model.image_shape, split, data or entry.data, classes)
        if model.target == "edges":
            x, y = edge_examples(images, labels, seed=seed if split == "train" else 0)
        else:
            x, y = images, (targets(model, labels) if split == "train" else labels)
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        if split == "train":
            ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder or split == "train")
        ds = ds.map(lambda x, t: (tf.nest.map_structure(
            lambda v: tf.cast(v, tf.float32) / 255.0, x), t), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        # The loss is the model's own objective (its train_step): nothing else to compile.
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate))

    def serving_fn(self, model):
        h, w, c = _image_shape(model)

        def embeddings(images):
            # Preprocessing in the graph: a client sends raw uint8 pixels.
            return model(tf.cast(images, tf.float32) / 255.0, training=False)

        spec = tf.TensorSpec([None, h, w, c], tf.uint8, name="images")
        if not model.serves_pairs:
            @tf.function(input_signature=[spec])
            def serve(images):
                return {"embeddings": embeddings(images)}

            return serve

        pair_spec = tf.TensorSpec([None, h, w, c], tf.uint8, name="pair_images")

        @tf.function(input_signature=[spec, pair_spec])
        def serve_pairs(images, pair_images):
            a, b = embeddings(images), embeddings(pair_images)
            # Cosine similarity of unit vectors; the distance is sqrt(2 - 2 * similarity).
            return {"embeddings": a, "pair_embeddings": b,
                    "similarity": tf.reduce_sum(a * b, axis=-1)}

        return serve_pairs

    def serving_endpoints(self, model) -> dict:
        """A pair model (Siamese) also serves ``embeddings`` (``images`` only) and
        ``similarity`` (``images``, ``pair_images`` -> the cosine of each pair) as signatures
        of their own; ``serving_default`` returns all three."""
        if not _representation(model).serves_pairs:
            return {}
        h, w, c = _image_shape(model)
        spec = tf.TensorSpec([None, h, w, c], tf.uint8, name="images")
        pair_spec = tf.TensorSpec([None, h, w, c], tf.uint8, name="pair_images")
        serve_pairs = self.serving_fn(model)

        @tf.function(input_signature=[spec])
        def embeddings(images):
            return {"embeddings": model(tf.cast(images, tf.float32) / 255.0, training=False)}

        @tf.function(input_signature=[spec, pair_spec])
        def similarity(images, pair_images):
            return {"similarity": serve_pairs(images, pair_images)["similarity"]}

        return {"embeddings": embeddings, "similarity": similarity}

    def _inputs(self, model, images):
        if _representation(model).serves_pairs:
            return {"images": images, "pair_images": np.roll(images, 1, axis=0)}
        return {"images": images}

    def serving_example(self, model, n=4, seed=0):
        h, w, c = _image_shape(model)
        rng = np.random.default_rng(seed)
        return self._inputs(model, rng.integers(0, 256, size=(n, h, w, c)).astype(np.uint8))

    def test_examples(self, model, entry, n=64):
        images, labels = load_images(_image_shape(model), "test",
                                     entry.data if entry else "digits", n=n)
        return self._inputs(model, images), labels

    def representative_examples(self, model, entry, n=100, seed=0):
        images, _ = load_images(_image_shape(model), "train",
                                entry.data if entry else "digits", n=n)
        return [self._inputs(model, images[i:i + 1]) for i in range(len(images))]

    def int8_agreement(self, reference, quantized):
        a = np.asarray(reference["embeddings"], np.float64)
        b = np.asarray(quantized["embeddings"], np.float64)
        cos = np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
                                   + 1e-12)
        return float(np.mean(cos))

    def int8_check(self, reference, quantized):
        cosine = self.int8_agreement(reference, quantized)
        a = np.asarray(reference["embeddings"])
        b = np.asarray(quantized["embeddings"])
        # Retrieval is what embeddings are for: the nearest neighbour should not change where
        # the float model's nearest is clearly nearer than its second (ties may flip).
        sa, sb = a @ a.T, b @ b.T
        np.fill_diagonal(sa, -np.inf)
        np.fill_diagonal(sb, -np.inf)
        top2 = np.sort(sa, axis=1)[:, -2:]
        clear = (top2[:, 1] - top2[:, 0]) >= 0.02
        agree = (np.argmax(sa, 1) == np.argmax(sb, 1))[clear]
        same_nn = float(agree.mean()) if agree.size else 1.0
        ok = cosine >= 0.98 and same_nn >= 0.9
        return ok, (f"mean cosine(float, int8) {cosine:.4f} (>= 0.98); same nearest neighbour "
                    f"{same_nn:.3f} on {int(clear.sum())} clear queries (>= 0.9)")

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """Leave-one-out retrieval on the held-out split: recall@1/5, NDCG@10, MAP@R; and for
        self-supervised models (no labels in training) the accuracy of a linear probe."""
        from keras_zoo.metrics.retrieval import retrieval_report

        if data is not None:
            self.check_data(data)
        images, labels = load_images(_image_shape(model), split, data or entry.data)
        report = retrieval_report(embed(model, images), labels)
        if model.target in (None, "index"):
            report["linear_probe_accuracy"] = linear_probe_accuracy(model, data or entry.data,
                                                                    split=split)
        return report


#: The probe's L2 settings (scikit-learn's C, the inverse of the weight), one chosen on the
#: validation split.
PROBE_C = tuple(10.0 ** k for k in range(-2, 5))


def linear_probe_accuracy(model, data="digits", per_class=None, split="test"):
    """Accuracy on ``split`` of a linear classifier (L2-regularised multinomial logistic
    regression, L-BFGS to convergence) trained on the frozen features (``model.features``) of
    the training split, or of its first ``per_class`` images of each class: the linear
    evaluation of SimCLR (Chen et al. 2020, section 4.2 and appendix B) and of the pretext tasks.

    As in the paper's linear evaluation, the L2 weight is chosen on the validation split (among
    ``PROBE_C``); features are standardised with the probe's training statistics. A fixed
    weight favoured one encoder over another by its features' scale alone (measured: at
    scikit-learn's default C = 1 SimCLR 0.755 against a random encoder's 0.624; with C chosen
    on validation 0.786 against 0.769). With ``split="validation"`` the figure is the
    selection's own (optimistic)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    shape = _image_shape(model)
    train, y_train = load_images(shape, "train", data)
    if per_class is not None:
        keep = np.concatenate([np.flatnonzero(y_train == c)[:per_class]
                               for c in np.unique(y_train)])
        train, y_train = train[keep], y_train[keep]
    validation, y_validation = load_images(shape, "validation", data)
    test, y_test = load_images(shape, split, data)

    def features(images):
        return np.concatenate([np.asarray(model.features(
            images[i:i + 256].astype(np.float32) / 255.0, training=False))
            for i in range(0, len(images), 256)])

    f_train = features(train)
    scaler = StandardScaler().fit(f_train)
    f_train, f_validation = scaler.transform(f_train), scaler.transform(features(validation))
    probes = [LogisticRegression(C=c, max_iter=5000).fit(f_train, y_train) for c in PROBE_C]
    # The first of the best (the strongest regularisation among ties).
    probe = max(probes, key=lambda p: p.score(f_validation, y_validation))
    return float(probe.score(scaler.transform(features(test)), y_test))


def embedding_function(model):
    """``(images float [N,H,W,C] in [0,1] -> numpy embeddings [N, D], (H, W, C))`` of any
    keras-zoo image model: a representation model's (or DANN's) own ``embed``, or an image
    classifier's features before its last layer; all L2-normalised."""
    import keras

    if isinstance(model, NetworksModel):
        return (lambda x: np.asarray(model.embed(x, training=False))), model.image_shape
    try:
        inputs = model.inputs
    except AttributeError:  # Keras gives only functional models inputs (and layers to cut)
        inputs = None
    if not inputs or len(inputs) != 1 or len(inputs[0].shape) != 4 or len(model.layers) < 2:
        raise ValueError(f"{model.name}: embed needs an embedding model or an image classifier "
                         "with one image input.")
    try:
        features = model.get_layer("predictions").input
    except ValueError:
        features = model.layers[-2].output
    extractor = keras.Model(model.inputs, features)
    return (lambda x: np.asarray(tf.math.l2_normalize(
        tf.reshape(extractor(x, training=False), [tf.shape(x)[0], -1]), -1)),
        tuple(inputs[0].shape[1:]))


def save_tsne(embeddings, labels, path, seed=0, title=""):
    """A 2-D t-SNE (scikit-learn) of ``embeddings`` coloured by ``labels``, written as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    embeddings = np.asarray(embeddings, np.float64)
    if len(embeddings) < 3:
        raise ValueError(f"t-SNE needs at least 3 examples, got {len(embeddings)}.")
    # Exact gradients up to 1,000 points: Barnes-Hut was 3x slower at 359 points here, and
    # its OpenMP threads compete with everything else on a shared machine.
    method = "exact" if len(embeddings) <= 1000 else "barnes_hut"
    points = TSNE(n_components=2, perplexity=min(30.0, len(embeddings) - 1.0), init="pca",
                  method=method, random_state=seed).fit_transform(embeddings)
    fig, ax = plt.subplots(figsize=(6, 5))
    for c in np.unique(labels):
        keep = np.asarray(labels) == c
        ax.scatter(points[keep, 0], points[keep, 1], s=8, label=str(c))
    ax.legend(title="class", fontsize=7, markerscale=2, loc="best")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
