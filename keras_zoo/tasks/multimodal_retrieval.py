"""Contrastive multimodal retrieval and zero-shot classification (CLIP, MuLan, VATT).

A model of this task takes a batch of matching items of two or three modalities, named by its
inputs: ``images`` (float [0, 1]), ``waveforms`` (float), ``video`` (float [0, 1]) and ``text``
(raw strings), and returns the ``[N, N]`` similarity logits of each contrasted pair (one
output, or a dict ``{"video_audio": ..., "video_text": ...}``), trained by the symmetric
contrastive loss (``keras_zoo.losses.multimodal``; ``y`` carries nothing). Its encoders are
nested models named ``image_encoder``, ``audio_encoder``, ``video_encoder``, ``text_encoder``.

Serving: ``serving_default`` (the one TFLite converts) runs the non-text tower on raw inputs
(uint8 images or clips, float waveforms) and returns its L2-normalised embeddings
(``image_embeddings``, ``audio_embeddings``, ``video_embeddings``) and zero-shot
``probabilities``/``classes`` over the data's class names (their prompt embeddings are computed
when the function is made and are constants of the graph). ``serving_endpoints`` adds
``text_embeddings(text)`` (raw strings, tokenised in the graph) and ``classify(<input>,
class_names)`` (zero-shot over any class names, prompt-ensembled as in CLIP section 3.1.4).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.layers.cosine_similarity_logits import CosineSimilarityLogits
from keras_zoo.losses.multimodal import SymmetricContrastiveLoss
from keras_zoo.tasks.base import Task, array_dataset

SPLIT_SIZES = {"train": 1024, "validation": 256, "test": 256}
#: Held-out (colour, shape) pairs of the shapes captions: never drawn in train/validation.
HELD_OUT = (("green", "triangle"), ("red", "square"), ("blue", "circle"))
#: The non-text input, its encoder and the name of its served embeddings, in priority order.
TOWERS = (("images", "image_encoder", "image_embeddings"),
          ("waveforms", "audio_encoder", "audio_embeddings"),
          ("video", "video_encoder", "video_embeddings"))


def _input_names(model):
    return [t.name for t in model.inputs]


def _input(model, name):
    for tensor in model.inputs:
        if tensor.name == name:
            return tensor
    raise ValueError(f"{model.name}: no input named {name!r}; it has {_input_names(model)}.")


def primary(model):
    """``(input name, encoder name, embeddings name)`` of the tower ``serving_default`` runs:
    ``video`` for a model that has it (VATT), else images or waveforms."""
    names = _input_names(model)
    if "video" in names:
        return TOWERS[2]
    for tower in TOWERS:
        if tower[0] in names:
            return tower
    raise ValueError(f"{model.name}: a retrieval model needs an images, waveforms or video "
                     f"input, it has {names}.")


def embed(encoder, inputs, space=-1):
    """``encoder``'s embeddings; of an encoder with several (VATT's video: S_va, S_vt), the
    ``space``-th (the last: the one shared with text)."""
    out = encoder(inputs, training=False)
    return out[space] if isinstance(out, (list, tuple)) else out


def normalize(x):
    return x * tf.math.rsqrt(tf.reduce_sum(x * x, axis=-1, keepdims=True) + 1e-12)


def _logit_scale(model):
    layers = [layer for layer in model._flatten_layers(include_self=False, recursive=True)
              if isinstance(layer, CosineSimilarityLogits)]
    if not layers:
        raise ValueError(f"{model.name}: no CosineSimilarityLogits layer (its learned "
                         "temperature scales the zero-shot logits).")
    return layers[0].scale()


def _shapes_classes():
    from keras_zoo.data import captions, shapes

    return tuple(f"{c} {k}" for c in captions.COLOURS for k in shapes.CLASSES)


def _audio_classes():
    from keras_zoo.data import audio

    return audio.CLASSES


#: Per data name: the zero-shot class names and the prompts (prefix, suffix) they are put in.
DATA = {
    "shapes_captions": (_shapes_classes, (("a small ", ""), ("a large ", ""))),
    "synthetic_audio_captions": (_audio_classes, (("a ", ""), ("the sound of a ", ""))),
    "captioned_clips_audio": (None, (("a ", ""),)),
}


def _named(name, body):
    """``body(inputs, class_names)`` as a function whose first parameter is called ``name``
    (the serving input's name: TF-Serving and ``fn(**inputs)`` bind arguments by it)."""
    if name == "images":
        def images(images, class_names):
            return body(images, class_names)
        return images
    if name == "waveforms":
        def waveforms(waveforms, class_names):
            return body(waveforms, class_names)
        return waveforms

    def video(video, class_names):
        return body(video, class_names)
    return video


def _named_one(name, body):
    """``body(inputs)`` as a function whose parameter is called ``name``."""
    if name == "images":
        def images(images):
            return body(images)
        return images
    if name == "waveforms":
        def waveforms(waveforms):
            return body(waveforms)
        return waveforms

    def video(video):
        return body(video)
    return video


class MultimodalRetrievalTask(Task):
    """Contrastive training of two or three encoders; recall@1 across modalities; zero-shot
    classification by class-name prompts."""

    name = "multimodal_retrieval"
    data_names = tuple(DATA)
    verify_size = 256

    # --- data ----------------------------------------------------------------------------
    def _data_name(self, model, entry, data=None):
        if data is not None:
            return data
        if entry is not None:
            return entry.data
        if "waveforms" in _input_names(model) and "video" not in _input_names(model):
            return "synthetic_audio_captions"
        return "captioned_clips_audio" if "video" in _input_names(model) else "shapes_captions"

    def raw(self, model, entry, split, n=None, data=None, seed=None):
        """``(raw inputs dict, labels)`` of a split: uint8 images/clips, float waveforms and
        caption strings (object array); labels say which items are interchangeable (same
        class or caption). ``split="novel"`` (shapes): held-out colour-shape pairs only."""
        name = self._data_name(model, entry, data)
        self.check_data(name)
        n = n or SPLIT_SIZES.get(split, 256)
        names = _input_names(model)
        if name == "shapes_captions":
            from keras_zoo.data import captions

            h, w, _ = _input(model, "images").shape[1:]
            d = captions.load(split, (h, w), n=n, max_objects=1, held_out=HELD_OUT,
                              caption_length=6)
            texts = np.array(d["captions"], dtype=object)
            classes = _shapes_classes()
            labels = np.array([classes.index(" ".join(c.split()[2:4])) for c in d["captions"]],
                              np.int32)
            return {"images": d["images"], "text": texts}, labels
        if name == "synthetic_audio_captions":
            from keras_zoo.data import audio
            from keras_zoo.tasks.audio_classification import sample_rate, waveform_length

            d = audio.generate(n, length=waveform_length(model, "waveforms"),
                               sample_rate=sample_rate(model),
                               seed=audio.SPLIT_SEEDS.get(split, 3) if seed is None else seed)
            return ({"waveforms": d["waveforms"], "text": np.array(d["captions"], dtype=object)},
                    d["labels"])
        from keras_zoo.data import audio
        from keras_zoo.tasks.audio_classification import sample_rate, waveform_length

        frames, h, w, _ = _input(model, "video").shape[1:]
        d = audio.with_clips(n, frames=frames, image_size=(h, w),
                             length=waveform_length(model, "waveforms"),
                             sample_rate=sample_rate(model, audio.SAMPLE_RATE),
                             seed=audio.SPLIT_SEEDS.get(split, 3) if seed is None else seed)
        x = {"video": d["clips"], "waveforms": d["waveforms"],
             "text": np.array(d["captions"], dtype=object)}
        return {k: v for k, v in x.items() if k in names}, d["labels"]

    @staticmethod
    def model_inputs(raw):
        """Raw inputs -> model inputs (uint8 pixels scaled to [0, 1])."""
        return {k: (v.astype(np.float32) / 255.0 if v.dtype == np.uint8 else v)
                for k, v in raw.items()}

    @staticmethod
    def _targets(model, n):
        zeros = np.zeros((n,), np.float32)
        if isinstance(model.output, dict):
            return {k: zeros for k in model.output}
        return zeros

    def battery_data(self, model, entry, n=32, seed=0):
        x, _ = self.raw(model, entry, "train", n)
        return self.model_inputs(x), self._targets(model, n)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, data=None,
                unnamed_colours=0.0):
        """Batches of a split (``n`` items). ``unnamed_colours`` (shapes captions, training
        split): that fraction of the pairs is added again with the object painted in a colour
        the captions never name and the colour word dropped (``keras_zoo.data.unnamed_colours``),
        so that each shape is seen in many colours."""
        if unnamed_colours and (split != "train"
                                or self._data_name(model, entry, data) != "shapes_captions"):
            raise ValueError(f"task {self.name!r}: unnamed_colours applies to the training "
                             f"split of 'shapes_captions' only, got split {split!r} of "
                             f"{self._data_name(model, entry, data)!r}.")
        x, _ = self.raw(model, entry, split, n, data)
        if unnamed_colours:
            from keras_zoo.data import unnamed_colours as recolouring

            x["images"], x["text"] = recolouring.recolour(x["images"], x["text"],
                                                          unnamed_colours, seed)
        n = len(next(iter(x.values())))
        if split != "train":
            return array_dataset(self.model_inputs(x), self._targets(model, n), split,
                                 batch_size, seed)
        # Every training batch has batch_size pairs: the loss contrasts within the batch.
        ds = tf.data.Dataset.from_tensor_slices((self.model_inputs(x), self._targets(model, n)))
        return ds.shuffle(n, seed=seed).batch(batch_size, drop_remainder=True).prefetch(
            tf.data.AUTOTUNE)

    # --- training ------------------------------------------------------------------------
    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        # A trained model.keras names this loss: importing the task registers it for loading.
        loss = SymmetricContrastiveLoss()
        if isinstance(model.output, dict):
            loss = {k: SymmetricContrastiveLoss() for k in model.output}
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate), loss=loss)

    # --- serving -------------------------------------------------------------------------
    def _class_names(self, model, entry=None):
        data = self._data_name(model, entry)
        make = DATA[data][0]
        return None if make is None else make()

    @staticmethod
    def _text_embeddings(model, names, prompts):
        """Prompt-ensembled text embeddings ``[C, D]`` of class ``names`` (string tensor)."""
        text = model.get_layer("text_encoder")
        parts = [normalize(text(tf.strings.join([prefix, names, suffix]), training=False))
                 for prefix, suffix in prompts]
        return normalize(tf.add_n(parts) / len(parts))

    def _preprocess(self, name, raw):
        if name in ("images", "video"):
            return tf.cast(raw, tf.float32) / 255.0
        return raw

    def _signature(self, model):
        name, _, _ = primary(model)
        shape = _input(model, name).shape[1:]
        dtype = tf.float32 if name == "waveforms" else tf.uint8
        return name, tf.TensorSpec([None, *shape], dtype, name=name)

    def serving_fn(self, model):
        name, encoder_name, output = primary(model)
        encoder = model.get_layer(encoder_name)
        _, spec = self._signature(model)
        names = self._class_names(model)
        prompts = DATA[self._data_name(model, None)][1]
        class_embeddings = None
        if names is not None:
            class_embeddings = tf.constant(self._text_embeddings(
                model, tf.constant(list(names)), prompts).numpy())
        scale = float(_logit_scale(model).numpy())

        def serve(inputs):
            embeddings = normalize(embed(encoder, self._preprocess(name, inputs)))
            out = {output: embeddings}
            if class_embeddings is not None:
                probabilities = tf.nn.softmax(
                    scale * tf.matmul(embeddings, class_embeddings, transpose_b=True), axis=-1)
                out["probabilities"] = probabilities
                out["classes"] = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            return out

        return tf.function(_named_one(name, serve), input_signature=[spec], autograph=False)

    def serving_endpoints(self, model):
        """``text_embeddings(text)`` and ``classify(<input>, class_names)`` (SavedModel only:
        string ops have no TFLite builtins)."""
        name, encoder_name, _ = primary(model)
        encoder = model.get_layer(encoder_name)
        _, spec = self._signature(model)
        prompts = DATA[self._data_name(model, None)][1]
        text = model.get_layer("text_encoder")

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def text_embeddings(strings):
            return {"text_embeddings": normalize(text(strings, training=False))}

        def classify(inputs, class_names):
            embeddings = normalize(embed(encoder, self._preprocess(name, inputs)))
            classes = self._text_embeddings(model, class_names, prompts)
            logits = _logit_scale(model) * tf.matmul(embeddings, classes, transpose_b=True)
            probabilities = tf.nn.softmax(logits, axis=-1)
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        classify = tf.function(_named(name, classify), autograph=False, input_signature=[
            spec, tf.TensorSpec([None], tf.string, name="class_names")])
        return {"text_embeddings": text_embeddings, "classify": classify}

    def serving_example(self, model, n=4, seed=0):
        x, _ = self.raw(model, None, "validation", max(n, 1))
        name = primary(model)[0]
        return {name: x[name][:n]}

    def test_examples(self, model, entry, n=64):
        x, labels = self.raw(model, entry, "test", n)
        name = primary(model)[0]
        return {name: x[name]}, labels

    def representative_examples(self, model, entry, n=100, seed=0):
        x, _ = self.raw(model, entry, "train", n)
        name = primary(model)[0]
        return [{name: x[name][i:i + 1]} for i in range(n)]

    def int8_agreement(self, reference, quantized):
        key = next(k for k in reference if k.endswith("_embeddings"))
        a, b = np.asarray(reference[key]), np.asarray(quantized[key])
        return float(np.mean(np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1)
                                                  * np.linalg.norm(b, axis=-1) + 1e-12)))

    def int8_check(self, reference, quantized):
        cosine = self.int8_agreement(reference, quantized)
        return cosine >= 0.95, f"mean cosine of float and int8 embeddings {cosine:.4f} (>= 0.95)"

    # --- evaluation and prediction ---------------------------------------------------------
    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """``recall_at_1`` (text -> the other modality, and back; an item of the query's class
        counts), and for shapes ``zero_shot_accuracy`` on the held-out colour-shape pairs."""
        from keras_zoo.metrics.cross_modal import cross_modal_recall_at_k

        x, labels = self.raw(model, entry, split, data=data)
        name, encoder_name, _ = primary(model)
        inputs = self.model_inputs(x)
        media = model.get_layer(encoder_name).predict(inputs[name], verbose=0, batch_size=64)
        media_va = media[0] if isinstance(media, list) else media
        media = media[-1] if isinstance(media, list) else media
        texts = model.get_layer("text_encoder").predict(inputs["text"], verbose=0, batch_size=64)
        out = {"recall_at_1_text_to_" + name: cross_modal_recall_at_k(texts, media, labels,
                                                                       labels, k=1),
               "recall_at_1_" + name + "_to_text": cross_modal_recall_at_k(media, texts, labels,
                                                                            labels, k=1)}
        out["recall_at_1"] = (out["recall_at_1_text_to_" + name]
                              + out["recall_at_1_" + name + "_to_text"]) / 2
        if "waveforms" in inputs and name == "video":
            audio = model.get_layer("audio_encoder").predict(inputs["waveforms"], verbose=0)
            out["recall_at_1_video_to_audio"] = cross_modal_recall_at_k(media_va, audio, labels,
                                                                        labels, k=1)
        if self._data_name(model, entry, data) == "shapes_captions":
            novel, novel_labels = self.raw(model, entry, "novel", 256)
            out["zero_shot_accuracy"] = self.zero_shot_accuracy(model, novel[name], novel_labels)
        return out

    def zero_shot_accuracy(self, model, raw, labels):
        """Top-1 accuracy of ``serving_default``'s zero-shot classes on raw inputs."""
        serve = self.serving_fn(model)
        classes = np.concatenate([serve(tf.constant(raw[i:i + 64]))["classes"].numpy()
                                  for i in range(0, len(raw), 64)])
        return float(np.mean(classes == labels))

    def describe_prediction(self, outputs, index=0):
        """The five most probable zero-shot classes of row ``index``, by name."""
        if "probabilities" not in outputs:
            raise ValueError("predict: this model serves embeddings only (no class names for "
                             "its data); use the SavedModel's classify signature.")
        probabilities = np.asarray(outputs["probabilities"])[index]
        names = _shapes_classes() if len(probabilities) == len(_shapes_classes()) \
            else _audio_classes()
        top = np.argsort(-probabilities, kind="stable")[:5]
        return "\n".join(f"{names[k]}\t{probabilities[k]:.4f}" for k in top)

    def draw_prediction(self, image, outputs, index=0):
        """``image`` above its most probable zero-shot class name."""
        from keras_zoo.visualize import captioned

        best = self.describe_prediction(outputs, index).splitlines()[0].split("\t")
        return captioned(image, f"{best[0]} ({float(best[1]):.2f})")
