"""Image classification: uint8 images in, class probabilities out."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task


def image_input_shape(model):
    """``(H, W, C)`` of a single-input image model; a clear error if it has no fixed size."""
    shape = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else None
    if shape is None or len(shape) != 3 or None in shape:
        raise ValueError(
            f"{model.name}: serving needs one image input of fixed (H, W, C), got "
            f"{model.input_shape}."
        )
    return shape


#: Loss weight of auxiliary classifiers (GoogLeNet, Szegedy et al. 2015, section 5: 0.3).
AUX_LOSS_WEIGHT = 0.3


def outputs_are_probabilities(model) -> bool:
    """Whether the model's (first) output is probabilities: a softmax (a layer's activation or
    a ``Softmax`` layer, also inside ``TimeDistributed``), a nested network's probabilities,
    or an average of probabilities (``Average``: a two-stream network's fused scores;
    ``GlobalAveragePooling1D``: LRCN's mean of its steps' scores). Anything else is logits.
    Looking at the last layer's activation only took the averages for logits, and their loss
    became the cross-entropy of softmax(p), whose gradient vanishes through a confident
    stream's softmax, instead of -log p."""
    import keras

    def probabilities(tensor):
        layer, node_index, _ = tensor._keras_history
        inner = layer.layer if isinstance(layer, keras.layers.TimeDistributed) else layer
        if isinstance(inner, keras.layers.Softmax) or getattr(
                getattr(inner, "activation", None), "__name__", None) == "softmax":
            return True
        if isinstance(layer, keras.Model) and layer.outputs:
            return probabilities(layer.outputs[0])
        if isinstance(layer, (keras.layers.Average, keras.layers.GlobalAveragePooling1D)):
            return all(probabilities(t) for t in layer._inbound_nodes[node_index].input_tensors)
        return False

    outputs = getattr(model, "outputs", None)
    return bool(outputs) and probabilities(outputs[0])


def main_output_model(model):
    """The model without its auxiliary heads: output 0 is the main classifier by convention
    (GoogLeNet, Inception v3 train with auxiliary classifiers and drop them at inference)."""
    import keras

    if len(model.outputs) == 1:
        return model
    return keras.Model(model.inputs, model.outputs[0], name=model.name)


def compile_kwargs(model, one_hot=False):
    """Loss and metrics for a classifier, with auxiliary heads weighted AUX_LOSS_WEIGHT."""
    import keras

    logits = not outputs_are_probabilities(model)
    if one_hot:
        loss = keras.losses.CategoricalCrossentropy(from_logits=logits)
        accuracy = keras.metrics.CategoricalAccuracy(name="accuracy")
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
        accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    n = len(model.outputs)
    if n == 1:
        return {"loss": loss, "metrics": [accuracy]}
    return {"loss": [loss] * n, "loss_weights": [1.0] + [AUX_LOSS_WEIGHT] * (n - 1),
            "metrics": [[accuracy]] + [[] for _ in range(n - 1)]}


def check_classes(model, data, data_classes, recipe=None):
    """A clear error when ``model``'s head has fewer classes than ``data``: its labels would not
    fit (and taking them modulo the head's size would merge classes).

    Args:
        model: the classifier (its output's last axis: the head's classes).
        data: the data's name, for the message.
        data_classes: the data's classes (4 for "clips", 12 "clips_motions", 101 "ucf101";
            for arrays whose count is not declared, the largest label + 1).
        recipe: a recipe made for that data, named in the message.
    """
    classes = model.outputs[0].shape[-1]
    if classes < data_classes:
        raise ValueError(f"{model.name}: data {data!r} has {data_classes} classes, the model's "
                         f"head {classes}; build it with classes={data_classes} (`keras-zoo "
                         f"train {model.name} --data {data} --config classes={data_classes}`, or "
                         f"classes={data_classes} in Python)"
                         + (f", or train by the recipe made for it: --recipe {recipe}."
                            if recipe else "."))


class ClassificationTask(Task):
    name = "classification"
    #: ``keras_zoo.data.pipeline.DATASETS``.
    data_names = (
        "digits", "shapes", "mnist", "cifar10", "rendered_digits", "rendered_digits_20k")

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import load_arrays

        h, w, c = image_input_shape(model)
        images, labels = load_arrays(data or (entry.data if entry else "digits"), split, (h, w), c)
        check_classes(model, data or (entry.data if entry else "digits"),
                      int(np.max(labels)) + 1 if len(labels) else 0)
        if n is not None:
            images, labels = images[:n], labels[:n]
        return images, labels

    def battery_data(self, model, entry, n=32, seed=0):
        images, labels = self._arrays(model, entry, "train", n)
        if len(model.outputs) > 1:  # auxiliary classifiers learn the same labels
            return images.astype(np.float32) / 255.0, tuple([labels] * len(model.outputs))
        return images.astype(np.float32) / 255.0, labels

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, augment=(), data=None,
                drop_remainder=False):
        from keras_zoo.data import image_classification_dataset
        from keras_zoo.data.pipeline import num_classes

        h, w, c = image_input_shape(model)
        # Here too, not only in _arrays: a head smaller than the data failed inside the first
        # training step, with a graph error about the loss's gather.
        check_classes(model, data or entry.data, num_classes(data or entry.data))
        ds = image_classification_dataset(data or entry.data, split, (h, w), c, batch_size,
                                          augment=augment, seed=seed,
                                          drop_remainder=drop_remainder)
        heads = len(model.outputs)
        if heads > 1:  # auxiliary classifiers learn the same labels
            ds = ds.map(lambda x, y: (x, (y,) * heads))
        return ds

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None, one_hot=False):
        """``one_hot``: the labels are one-hot (or mixed, by MixUp/CutMix), not class ids."""
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      **compile_kwargs(model, one_hot))

    def export_model(self, model):
        return main_output_model(model)

    def serving_fn(self, model):
        h, w, c = image_input_shape(model)
        probabilities = outputs_are_probabilities(model)

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, c], tf.uint8, name="images")])
        def serve(images):
            # Preprocessing lives in the graph: a TF-Serving client sends raw uint8 pixels.
            outputs = model(tf.cast(images, tf.float32) / 255.0, training=False)
            if not probabilities:
                outputs = tf.nn.softmax(outputs, axis=-1)
            return {"probabilities": outputs,
                    "classes": tf.argmax(outputs, axis=-1, output_type=tf.int32)}

        return serve

    def describe_prediction(self, outputs, index=0):
        """The five most probable classes of row ``index``, one ``class<TAB>probability``
        line each, most probable first."""
        probabilities = np.asarray(outputs["probabilities"])[index]
        top = np.argsort(-probabilities, kind="stable")[:5]
        return "\n".join(f"class {k}\t{probabilities[k]:.4f}" for k in top)

    def draw_prediction(self, image, outputs, index=0):
        """``image`` above a caption with its most probable class and that probability."""
        from keras_zoo.visualize import captioned

        probabilities = np.asarray(outputs["probabilities"])[index]
        k = int(np.argmax(probabilities))
        return captioned(image, f"class {k} ({probabilities[k]:.2f})")

    def serving_example(self, model, n=4, seed=0):
        h, w, c = image_input_shape(model)
        rng = np.random.default_rng(seed)
        return {"images": rng.integers(0, 256, size=(n, h, w, c)).astype(np.uint8)}

    def test_examples(self, model, entry, n=64):
        """Raw inputs from the embedded test split, for parity checks on real data."""
        images, labels = self._arrays(model, entry, "test", n)
        return {"images": images}, labels

    def representative_examples(self, model, entry, n=100, seed=0):
        images, _ = self._arrays(model, entry, "train", n)
        return [{"images": images[i:i + 1]} for i in range(len(images))]

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["classes"]) == np.asarray(quantized["classes"])))

    def int8_check(self, reference, quantized):
        p = np.asarray(reference["probabilities"])
        q = np.asarray(quantized["probabilities"])
        top2 = np.sort(p, axis=-1)[:, -2:]
        confident = (top2[:, 1] - top2[:, 0]) >= 0.2
        mean_diff = float(np.mean(np.abs(p - q)))
        agree = (np.argmax(p, -1) == np.argmax(q, -1))[confident]
        agreement = float(agree.mean()) if agree.size else 1.0
        ok = mean_diff <= 0.05 and agreement >= 0.9
        return ok, (f"mean |dp| {mean_diff:.4f} (<= 0.05); top-1 agreement {agreement:.3f} on "
                    f"{int(confident.sum())} confident examples (>= 0.9)")
