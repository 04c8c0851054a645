"""Video-text pre-training (VideoBERT, CBT) on captioned clips of moving shapes
(``keras_zoo.data.captions.video_text``): masked words, masked video segments and video-text
alignment, over clip features from the zoo's S3D."""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset
from keras_zoo.tasks.masked_multimodal import MaskedMultimodalTask

#: The feature extractor: the registry's ``s3d`` at its tiny config (width 0.125, Mixed_3b
#: only) without its head, average-pooled: 32-d features of 8-frame 16 px segments. It is
#: randomly initialised (its own seed) and frozen (the papers use S3D trained on Kinetics).
FEATURE_DIM = 32
SEGMENT_FRAMES = 8
IMAGE_SIZE = (16, 16)
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}


@functools.lru_cache(maxsize=1)
def _extractor():
    import keras_zoo

    model = keras_zoo.models.get("s3d", "tiny", include_top=False, pooling="avg",
                                 input_shape=(SEGMENT_FRAMES,) + IMAGE_SIZE + (3,))
    # Its own seeded He-normal weights (BatchNorm at identity), so that the features do not
    # depend on the global random state, nor reseed it, whenever this is first called.
    rng = np.random.default_rng(0)
    for variable in model.weights:
        shape, leaf = tuple(variable.shape), variable.path.split("/")[-1]
        if leaf in ("gamma", "moving_variance"):
            value = np.ones(shape)
        elif len(shape) > 1:
            value = rng.normal(0.0, np.sqrt(2.0 / np.prod(shape[:-1])), shape)
        else:
            value = np.zeros(shape)
        variable.assign(value.astype("float32"))
    return model


def clip_features(clips):
    """uint8 clips ``[..., T, H, W, 3]`` -> S3D features ``[..., FEATURE_DIM]``."""
    clips = np.asarray(clips)
    flat = clips.reshape((-1,) + clips.shape[-4:]).astype(np.float32) / 255.0
    features = np.concatenate([np.asarray(_extractor()(flat[i:i + 64], training=False))
                               for i in range(0, len(flat), 64)])
    return features.reshape(clips.shape[:-4] + (features.shape[-1],))


@functools.lru_cache(maxsize=8)
def _arrays(n, segments, caption_length, seed):
    from keras_zoo.data import captions

    x, y = captions.video_text(n, segments, SEGMENT_FRAMES, IMAGE_SIZE, caption_length,
                               seed=seed)
    return {"features": clip_features(x["clips"]), "tokens": x["tokens"],
            "segment_masked": x["segment_masked"]}, y


class VideoTextTask(Task):
    """Models taking ``features`` float32 ``[B, S, FEATURE_DIM]`` (one S3D feature per
    segment), ``tokens`` int32 ``[B, L]`` (masked caption) and ``segment_masked`` float32
    ``[B, S]``, returning ``word_logits`` ``[B, L, V]`` and ``alignment_logit`` ``[B, 1]``
    (and their own extras), with their own ``compute_loss``. A model with a
    ``visual_vocabulary`` (VideoBERT's ``VisualWords``) has it fitted by hierarchical k-means on
    the training features before training (``prepare``).

    Serving: ``features`` and ``tokens`` -> ``alignment`` (probability that the caption
    describes the clip), ``words`` int32 ``[B, L]`` (the most likely word at each position)
    and ``word_scores`` (its probability).
    """

    name = "video_text_pretraining"
    data_names = ("shape_clip_text",)
    verify_size = 256

    @staticmethod
    def _shapes(model):
        shapes = {t.name: tuple(t.shape[1:]) for t in model.inputs}
        if "features" not in shapes or "tokens" not in shapes:
            raise ValueError(f"{model.name}: a video-text model takes inputs 'features', "
                             f"'tokens' and 'segment_masked', got {sorted(shapes)}.")
        segments, dim = shapes["features"]
        if dim != FEATURE_DIM:
            raise ValueError(f"{model.name}: feature_dim={dim}; the embedded clips' features "
                             f"are the tiny S3D's, {FEATURE_DIM}-d.")
        return segments, shapes["tokens"][0]

    def _data(self, model, split, n, seed=0):
        if split not in SPLIT_SEEDS:
            raise ValueError(f"split must be one of {list(SPLIT_SEEDS)}, got {split!r}.")
        segments, length = self._shapes(model)
        return _arrays(n, segments, length, 1000 * SPLIT_SEEDS[split] + seed)

    @staticmethod
    def prepare(model, features):
        """Fits the model's visual vocabulary (if it has one) to ``features``."""
        if model.visual_vocabulary is not None:
            model.visual_vocabulary.adapt(features)

    def battery_data(self, model, entry, n=32, seed=0):
        x, y = self._data(model, "train", n, seed)
        self.prepare(model, x["features"])
        return x, y

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, data=None):
        x, y = self._data(model, split, n or {"train": 2048}.get(split, 256), seed)
        if split == "train":
            self.prepare(model, x["features"])
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      jit_compile=False)

    def serving_fn(self, model):
        segments, length = self._shapes(model)

        @tf.function(input_signature=[
            tf.TensorSpec([None, segments, FEATURE_DIM], tf.float32, name="features"),
            tf.TensorSpec([None, length], tf.int32, name="tokens")])
        def serve(features, tokens):
            out = model({"features": features, "tokens": tokens,
                         "segment_masked": tf.zeros(tf.shape(features)[:2])}, training=False)
            probabilities = tf.nn.softmax(out["word_logits"], axis=-1)
            return {"alignment": tf.sigmoid(out["alignment_logit"][:, 0]),
                    "words": tf.argmax(probabilities, axis=-1, output_type=tf.int32),
                    "word_scores": tf.reduce_max(probabilities, axis=-1)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        x, _ = self._data(model, "validation", max(n, 1), seed)
        return {"features": x["features"][:n], "tokens": x["tokens"][:n]}

    def test_examples(self, model, entry, n=32):
        x, y = self._data(model, "test", n)
        return {"features": x["features"], "tokens": x["tokens"]}, y["alignment"]

    def representative_examples(self, model, entry, n=100, seed=0):
        x, _ = self._data(model, "train", n, seed)
        return [{"features": x["features"][i:i + 1], "tokens": x["tokens"][i:i + 1]}
                for i in range(n)]

    # The same outputs as the image-text transformers', so the same int8 comparison.
    int8_agreement = MaskedMultimodalTask.int8_agreement
    int8_check = MaskedMultimodalTask.int8_check

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """Accuracy of the masked words and of the alignment prediction."""
        if data is not None:
            self.check_data(data)
        x, y = self._data(model, split, 256, seed)
        out = model.predict(x, batch_size=64, verbose=0)
        aligned = y["alignment"] > 0.5
        words = (y["word_targets"] > 0) & aligned[:, None]
        hit = np.argmax(out["word_logits"], -1) == y["word_targets"]
        return {"masked_word_accuracy": float(hit[words].mean()),
                "alignment_accuracy": float(np.mean((out["alignment_logit"][:, 0] > 0)
                                                    == aligned))}
