"""Moment localisation in a video corpus: a text query -> the video that contains it (retrieval)
and the begin and end frame of its moment (keras_zoo.data.captions.moments)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset

#: Frames per event in the embedded long clips.
EVENT_FRAMES = 4


class MomentLocalizationTask(Task):
    """Models with inputs ``video`` (float32 ``[B, T, H, W, 3]`` in [0, 1]) and ``query``
    (int32 ``[B, L]``) returning ``frame_logits`` ``[B, T, 3]`` (other, begin, end),
    ``video_embedding`` and ``query_embedding`` (unit length), with their own ``compute_loss``.

    Serving: ``videos`` uint8 and ``query`` ids -> ``begin`` and ``end`` (int32, end
    exclusive: the best span with end after begin), ``span_score``, ``video_embedding``,
    ``query_embedding`` (rank a corpus by their dot product).
    """

    name = "moment_localization"
    data_names = ("shape_moments",)
    verify_size = 128

    @staticmethod
    def _input_shape(model, name):
        for tensor in model.inputs:
            if tensor.name == name:
                return tuple(tensor.shape[1:])
        raise ValueError(f"{model.name}: a moment localisation model needs an input {name!r}.")

    def _raw(self, model, split, n=None):
        from keras_zoo.data import captions

        frames, h, w, _ = self._input_shape(model, "video")
        (length,) = self._input_shape(model, "query")
        sizes = {"train": 2048, "validation": 256, "test": 256}
        if split not in sizes:
            raise ValueError(f"split must be one of {list(sizes)}, got {split!r}.")
        if frames % EVENT_FRAMES:
            raise ValueError(f"{model.name}: T={frames} frames must be a multiple of "
                             f"{EVENT_FRAMES} (frames per event).")
        return captions.moments(n or sizes[split], frames // EVENT_FRAMES, EVENT_FRAMES, (h, w),
                                seed=1000 + captions.SPLIT_SEEDS[split], query_length=length)

    @staticmethod
    def _pairs(raw):
        return ({"video": raw["videos"].astype(np.float32) / 255.0,
                 "query": raw["query_tokens"]}, {"frame_labels": raw["frame_labels"]})

    def battery_data(self, model, entry, n=32, seed=0):
        return self._pairs(self._raw(model, "train", n))

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, data=None):
        x, y = self._pairs(self._raw(model, split, n))
        # Drop the remainder: the contrastive loss needs negatives in every batch.
        ds = array_dataset(x, y, split, batch_size, seed)
        return ds.unbatch().batch(batch_size, drop_remainder=split == "train")

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      jit_compile=False)

    def serving_fn(self, model):
        from keras_zoo.models.multimodal.hammer import best_span

        frames, h, w, c = self._input_shape(model, "video")
        (length,) = self._input_shape(model, "query")

        @tf.function(input_signature=[
            tf.TensorSpec([None, frames, h, w, c], tf.uint8, name="videos"),
            tf.TensorSpec([None, length], tf.int32, name="query")])
        def serve(videos, query):
            out = model({"video": tf.cast(videos, tf.float32) / 255.0, "query": query},
                        training=False)
            begin, end, score = best_span(out["frame_logits"])
            return {"begin": begin, "end": end, "span_score": score,
                    "video_embedding": out["video_embedding"],
                    "query_embedding": out["query_embedding"]}

        return serve

    def serving_example(self, model, n=4, seed=0):
        raw = self._raw(model, "validation", max(n, 1))
        return {"videos": raw["videos"][:n], "query": raw["query_tokens"][:n]}

    def test_examples(self, model, entry, n=32):
        raw = self._raw(model, "test", n)
        return {"videos": raw["videos"], "query": raw["query_tokens"]}, raw["spans"]

    def representative_examples(self, model, entry, n=100, seed=0):
        raw = self._raw(model, "train", n)
        return [{"videos": raw["videos"][i:i + 1], "query": raw["query_tokens"][i:i + 1]}
                for i in range(n)]

    def int8_agreement(self, reference, quantized):
        return float(np.mean((np.asarray(reference["begin"]) == np.asarray(quantized["begin"]))
                             & (np.asarray(reference["end"]) == np.asarray(quantized["end"]))))

    def int8_check(self, reference, quantized):
        # Embeddings are the robust part of a barely trained model; spans of near-ties flip.
        ref, q = np.asarray(reference["video_embedding"]), np.asarray(quantized["video_embedding"])
        cosine = float(np.min(np.sum(ref * q, -1) / np.maximum(
            np.linalg.norm(ref, axis=-1) * np.linalg.norm(q, axis=-1), 1e-9)))
        return cosine >= 0.95, f"smallest video-embedding cosine float/int8 {cosine:.3f} (>= 0.95)"

    def parity_check(self, reference, actual):
        """Embeddings and span scores within tolerance; begin/end equal unless the span score
        of the two best spans is a near-tie (the argmax may then flip)."""
        tol = self.parity_tolerance()
        for key in ("video_embedding", "query_embedding", "span_score"):
            np.testing.assert_allclose(np.asarray(actual[key]), np.asarray(reference[key]),
                                       atol=tol, rtol=0, err_msg=key)
        same = ((np.asarray(actual["begin"]) == np.asarray(reference["begin"]))
                & (np.asarray(actual["end"]) == np.asarray(reference["end"])))
        assert same.mean() >= 0.5, f"spans agree on {same.mean():.2f} of the examples"

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """``iou@0.5`` (fraction of queries whose predicted span has temporal IoU >= 0.5 with
        the truth, the video given), ``mean_iou`` and retrieval ``recall@1`` / ``recall@5``
        of each query over the split's videos."""
        from keras_zoo.data import captions
        from keras_zoo.models.multimodal.hammer import best_span

        if data is not None:
            self.check_data(data)
        raw = self._raw(model, split)
        x, _ = self._pairs(raw)
        out = model.predict(x, batch_size=64, verbose=0)
        begin, end, _ = best_span(tf.constant(out["frame_logits"]))
        iou = captions.span_iou(np.stack([begin.numpy(), end.numpy()], 1), raw["spans"])
        similarity = out["query_embedding"] @ out["video_embedding"].T
        rank = (similarity > np.diag(similarity)[:, None]).sum(1)
        return {"iou@0.5": float(np.mean(iou >= 0.5)), "mean_iou": float(iou.mean()),
                "recall@1": float(np.mean(rank < 1)), "recall@5": float(np.mean(rank < 5))}
