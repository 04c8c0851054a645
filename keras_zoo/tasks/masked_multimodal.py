"""Masked multimodal pre-training of image-text transformers (VL-BERT, ViLBERT): masked words,
masked regions and image-caption alignment on the shapes captions (keras_zoo.data.captions)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset


class MaskedMultimodalTask(Task):
    """Models taking ``keras_zoo.data.captions.pretraining``'s ``x`` and returning
    ``word_logits``, ``region_logits``, ``alignment_logit``, with their own ``compute_loss``
    and a ``caption_length`` attribute.

    Serving: ``images`` uint8 ``[B, H, W, 3]``, ``tokens`` int32 ``[B, L]`` (``[MASK]`` where a
    word is asked for), ``boxes`` float32 ``[B, R, 4]`` (pixels; box 0 the whole image) and
    ``region_valid`` float32 ``[B, R]`` -> ``alignment`` (probability that the caption
    describes the image), ``words`` int32 ``[B, L]`` (the most likely word at each position)
    and ``word_scores`` (its probability).
    """

    name = "masked_multimodal"
    data_names = ("shape_captions",)
    verify_size = 256
    learned_key = "loss"

    @staticmethod
    def _input_shape(model, name):
        for tensor in model.inputs:
            if tensor.name == name:
                return tuple(tensor.shape[1:])
        raise ValueError(f"{model.name}: a masked multimodal model needs an input {name!r}.")

    def _arrays(self, model, split, n=None, seed=0):
        from keras_zoo.data import captions

        h, w, _ = self._input_shape(model, "image")
        sizes = {"train": 2048, "validation": 256, "test": 256}
        if split not in sizes:
            raise ValueError(f"split must be one of {list(sizes)}, got {split!r}.")
        return captions.pretraining(n or sizes[split], (h, w), model.caption_length,
                                    seed=seed, split_seed=1000 + captions.SPLIT_SEEDS[split])

    def battery_data(self, model, entry, n=32, seed=0):
        return self._arrays(model, "train", n, seed)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, data=None):
        x, y = self._arrays(model, split, n, seed)
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      jit_compile=False)

    def serving_fn(self, model):
        h, w, c = self._input_shape(model, "image")
        (length,) = self._input_shape(model, "tokens")
        regions = self._input_shape(model, "boxes")[0]

        @tf.function(input_signature=[
            tf.TensorSpec([None, h, w, c], tf.uint8, name="images"),
            tf.TensorSpec([None, length], tf.int32, name="tokens"),
            tf.TensorSpec([None, regions, 4], tf.float32, name="boxes"),
            tf.TensorSpec([None, regions], tf.float32, name="region_valid")])
        def serve(images, tokens, boxes, region_valid):
            out = model({"image": tf.cast(images, tf.float32) / 255.0, "tokens": tokens,
                         "boxes": boxes, "region_valid": region_valid,
                         "region_masked": tf.zeros_like(region_valid)}, training=False)
            probabilities = tf.nn.softmax(out["word_logits"], axis=-1)
            return {"alignment": tf.sigmoid(out["alignment_logit"][:, 0]),
                    "words": tf.argmax(probabilities, axis=-1, output_type=tf.int32),
                    "word_scores": tf.reduce_max(probabilities, axis=-1)}

        return serve

    @staticmethod
    def _raw(x):
        return {"images": np.round(x["image"] * 255.0).astype(np.uint8), "tokens": x["tokens"],
                "boxes": x["boxes"], "region_valid": x["region_valid"]}

    def serving_example(self, model, n=4, seed=0):
        x, _ = self._arrays(model, "validation", max(n, 1), seed)
        return {k: v[:n] for k, v in self._raw(x).items()}

    def test_examples(self, model, entry, n=32):
        x, y = self._arrays(model, "test", n)
        return self._raw(x), y["alignment"]

    def representative_examples(self, model, entry, n=100, seed=0):
        x, _ = self._arrays(model, "train", n, seed)
        raw = self._raw(x)
        return [{k: v[i:i + 1] for k, v in raw.items()} for i in range(n)]

    def int8_agreement(self, reference, quantized):
        return float(np.mean((np.asarray(reference["alignment"]) > 0.5)
                             == (np.asarray(quantized["alignment"]) > 0.5)))

    def int8_check(self, reference, quantized):
        # Where the float model is sure (word probability >= 0.5, alignment away from 0.5).
        confident = np.asarray(reference["word_scores"]) >= 0.5
        same = np.asarray(reference["words"]) == np.asarray(quantized["words"])
        words = float(same[confident].mean()) if confident.any() else 1.0
        alignment = np.abs(np.asarray(reference["alignment"]) - np.asarray(
            quantized["alignment"])).max()
        return words >= 0.9 and alignment <= 0.1, (
            f"word agreement {words:.3f} on {int(confident.sum())} confident positions "
            f"(>= 0.9); largest alignment difference {alignment:.3f} (<= 0.1)")

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """Accuracy of the masked words and regions and of the alignment prediction."""
        if data is not None:
            self.check_data(data)
        x, y = self._arrays(model, split, None, seed)
        out = model.predict(x, batch_size=64, verbose=0)
        aligned = y["alignment"] > 0.5
        words = (y["word_targets"] > 0) & aligned[:, None]
        regions = (y["region_targets"] >= 0) & aligned[:, None]
        word_hit = np.argmax(out["word_logits"], -1) == y["word_targets"]
        region_hit = np.argmax(out["region_logits"], -1) == y["region_targets"]
        return {"masked_word_accuracy": float(word_hit[words].mean()),
                "masked_region_accuracy": float(region_hit[regions].mean()),
                "alignment_accuracy": float(np.mean((out["alignment_logit"][:, 0] > 0)
                                                    == aligned))}
