"""Generative models: latent (and label, or image) in, uint8 images out.

One task serves the whole generative family; what differs between an autoencoder, a GAN, a
conditional GAN and an image-to-image GAN is read off the model (``conditioning``) and, for
serving, off the names of the served network's inputs: ``latent`` (float32 [B, d]), ``labels``
(int32 [B]) and ``images`` (uint8 [B, H, W, C], scaled inside the graph). The served network is
the generator or decoder (``model.serving_model()``); its images leave the graph as uint8.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task

#: The largest mean absolute difference, in grey levels (0..255), between float and int8 TFLite
#: images of a barely trained tiny model: 2 % of the range.
INT8_MEAN_ABS_LEVELS = 5.0


def _is_signed(network) -> bool:
    """Whether the network's images are in [-1, 1] (a ``tanh`` output) rather than [0, 1]."""
    layer = network.outputs[0]._keras_history[0]
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None) == "tanh"


def _input_specs(network):
    specs = []
    for tensor in network.inputs:
        name = tensor.name.split(":")[0]
        if name == "latent":
            specs.append(tf.TensorSpec([None, tensor.shape[-1]], tf.float32, name="latent"))
        elif name == "labels":
            specs.append(tf.TensorSpec([None], tf.int32, name="labels"))
        elif name == "images":
            specs.append(tf.TensorSpec([None, *tensor.shape[1:]], tf.uint8, name="images"))
        else:
            raise ValueError(f"{network.name}: cannot serve an input named {name!r}; generative "
                             f"networks take 'latent', 'labels' or 'images'.")
    return specs


def to_uint8(images, signed):
    # x * 127.5 + 127.5, not (x + 1) * 127.5: the int8 converter gives ADD and MUL one shared
    # output range in the latter order, which wipes out the [0, 2] intermediate (measured: 29
    # grey levels of error instead of 0.7).
    scaled = images * 127.5 + 127.5 if signed else images * 255.0
    return tf.cast(tf.clip_by_value(tf.round(scaled), 0.0, 255.0), tf.uint8)


def _num_classes(network):
    import keras

    for layer in network.layers:
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
    raise ValueError(f"{network.name}: has a 'labels' input but no label embedding.")


def load_images(data, split, image_shape, n=None):
    """``(uint8 images, int labels)`` of ``data`` ("digits", "shapes", ...), or for a domain
    pair ``"domains/<name>"`` ``(uint8 sources, uint8 targets)``, or for a labelled domain set
    ``(uint8 images, domain labels)`` (``keras_zoo.data.domains``)."""
    h, w, c = image_shape
    if data.startswith("domains/"):
        from keras_zoo.data import domains

        name = data.split("/", 1)[1]
        if name in domains.LABELLED:
            return domains.load_labelled(name, split, (h, w), n=n)
        return domains.load(name, split, (h, w), n=n)
    from keras_zoo.data import load_arrays

    images, labels = load_arrays(data, split, (h, w), c)
    if n is not None:
        images, labels = images[:n], labels[:n]
    return images, labels


def _image_input_shape(network):
    for tensor in network.inputs:
        if tensor.name.split(":")[0] == "images":
            return tuple(tensor.shape[1:])
    raise ValueError(f"{network.name} has no 'images' input.")


class GenerativeTask(Task):
    name = "generative"
    #: Images (``keras_zoo.data.pipeline.DATASETS``) and domain sets (``keras_zoo.data.domains``).
    data_names = ("digits", "shapes", "mnist", "cifar10", "domains/colors",
                  "domains/outline_to_filled", "domains/outline_to_filled_unpaired",
                  "domains/red_to_blue", "domains/red_to_blue_unpaired")

    # --- data ----------------------------------------------------------------------------------
    def _images(self, entry, split, image_shape, n=None, seed=0):
        return load_images(entry.data if entry is not None else "digits", split, image_shape, n)

    def battery_data(self, model, entry, n=32, seed=0):
        return self._examples(model, entry, "train", n, seed)

    def _examples(self, model, entry, split, n, seed):
        conditioning = model.conditioning
        image_shape = getattr(model, "source_shape", None) or model.image_shape
        first, second = self._images(entry, split, image_shape, n, seed)
        images = first.astype(np.float32) / 255.0
        latent_dim = getattr(model, "latent_dim", None)
        if conditioning == "images":
            return {"images": images, "targets": second.astype(np.float32) / 255.0}, None
        if conditioning == "domains":  # StarGAN: images and their domain labels
            return {"images": images, "labels": second.astype(np.int32)}, None
        if model.training_kind != "adversarial":  # autoencoders: images in, images out
            return images, None
        x = {"images": images,
             "latent": np.random.default_rng(seed).standard_normal(
                 (len(images), latent_dim)).astype(np.float32)}
        if conditioning == "labels" or model.semi_supervised:
            x["labels"] = (second % (model.num_classes or model.num_classes_out)).astype(np.int32)
        return x, None

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None,
                shuffle=True, drop_remainder=True, labelled_fraction=None):
        """Batches in the form ``fit`` takes (see ``battery_data``) from a whole split.

        ``labelled_fraction``: for a semi-supervised GAN, the fraction of training images that
        keep their label (the others get -1); validation and test keep all labels.
        """
        import dataclasses

        if data is not None:
            entry = dataclasses.replace(entry, data=data)
        x, _ = self._examples(model, entry, split, None, seed)
        if isinstance(x, dict):
            x = {k: v for k, v in x.items() if k != "latent"}
            if labelled_fraction is not None and split == "train" and "labels" in x:
                keep = np.random.default_rng(seed).uniform(size=len(x["labels"]))
                x["labels"] = np.where(keep < labelled_fraction, x["labels"], -1).astype(
                    np.int32)
        ds = tf.data.Dataset.from_tensor_slices(x)
        if shuffle and split == "train":
            ds = ds.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)

    # --- training ------------------------------------------------------------------------------
    def compile(self, model, entry, learning_rate=1e-3, optimizer=None, beta_1=None,
                beta_2=None):
        """The papers' optimizers (Adam, RMSProp with their betas) at ``learning_rate`` (the
        ``Task`` default 1e-3; ``None`` keeps each paper's rate, as ``model.compile()`` does);
        autoencoders take ``optimizer`` or Adam. A recipe's ``optimizer`` is copied for each
        GAN network, with ``beta_1``/``beta_2`` overriding its betas (DCGAN's Adam beta_1=0.5)."""
        import keras

        if model.training_kind == "adversarial":
            if optimizer is not None:  # a recipe's: each network gets its own copy
                config = optimizer.get_config()
                for key, value in (("beta_1", beta_1), ("beta_2", beta_2)):
                    if value is not None:
                        config[key] = value
                model.compile(d_optimizer=optimizer.__class__.from_config(dict(config)),
                              g_optimizer=optimizer.__class__.from_config(dict(config)))
            else:
                model.compile(learning_rate=learning_rate)
        else:
            model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate or 1e-3))

    def learned(self, history):
        logs = history.history
        bad = [k for k, v in logs.items() if not np.all(np.isfinite(np.asarray(v, float)))]
        if bad:
            return False, f"not finite: {bad}: { {k: logs[k] for k in bad} }"
        if "stat_gap" in logs:
            gap = [float(v) for v in logs["stat_gap"]]
            return gap[-1] < gap[0], (f"generator-vs-data statistics gap {gap[0]:.4f} -> "
                                      f"{gap[-1]:.4f} (must fall); losses finite")
        return super().learned(history)

    # --- serving -------------------------------------------------------------------------------
    def export_model(self, model):
        return model.serving_model()

    def serving_fn(self, model):
        specs = _input_specs(model)
        signed = _is_signed(model)
        names = tuple(s.name for s in specs)

        def generate(inputs):
            if "images" in inputs:  # raw uint8 pixels from the client
                images = tf.cast(inputs["images"], tf.float32) / 255.0
                inputs = dict(inputs, images=images * 2.0 - 1.0 if signed else images)
            args = [inputs[n] for n in names]
            out = model(args if len(args) > 1 else args[0], training=False)
            return {"images": to_uint8(out, signed)}

        # tf.function needs named parameters for named serving inputs.
        if names == ("latent",):
            def serve(latent):
                return generate({"latent": latent})
        elif names == ("latent", "labels"):
            def serve(latent, labels):
                return generate({"latent": latent, "labels": labels})
        elif names == ("images",):
            def serve(images):
                return generate({"images": images})
        elif names == ("images", "labels"):
            def serve(images, labels):
                return generate({"images": images, "labels": labels})
        else:
            raise ValueError(f"{model.name}: no serving signature for inputs {names}.")
        return tf.function(serve, input_signature=specs)

    def serving_example(self, model, n=4, seed=0):
        rng = np.random.default_rng(seed)
        example = {}
        for spec in _input_specs(model):
            if spec.name == "latent":
                example["latent"] = rng.standard_normal((n, spec.shape[-1])).astype(np.float32)
            elif spec.name == "labels":
                example["labels"] = rng.integers(0, _num_classes(model), n).astype(np.int32)
            else:
                example["images"] = rng.integers(0, 256, (n, *spec.shape[1:])).astype(np.uint8)
        return example

    def representative_examples(self, model, entry, n=100, seed=0):
        examples = [self.serving_example(model, 1, seed + i) for i in range(n)]
        if any(s.name == "images" for s in _input_specs(model)):
            sources, _ = self._images(entry, "train", _image_input_shape(model), n)
            for example, image in zip(examples, sources, strict=False):
                example["images"] = image[None]
        return examples

    def test_examples(self, model, entry, n=32):
        example = self.serving_example(model, n, seed=1234)
        if "images" in example:
            sources, _ = self._images(entry, "test", _image_input_shape(model), n)
            example["images"] = sources[:n]
            example = {k: v[:len(sources)] for k, v in example.items()}
        return example, None

    def int8_agreement(self, reference, quantized):
        diff = np.abs(np.asarray(reference["images"], float) - np.asarray(quantized["images"],
                                                                          float))
        return float(1.0 - diff.mean() / 255.0)

    def int8_check(self, reference, quantized):
        diff = np.abs(np.asarray(reference["images"], float) - np.asarray(quantized["images"],
                                                                          float))
        mean = float(diff.mean())
        return mean <= INT8_MEAN_ABS_LEVELS, (
            f"mean |d pixel| {mean:.2f} grey levels (<= {INT8_MEAN_ABS_LEVELS}); "
            f"max {diff.max():.0f}")

    def parity_tolerance(self) -> float:
        # uint8 images: float rounding may move a pixel sitting on a .5 boundary by one level.
        return 1.0
