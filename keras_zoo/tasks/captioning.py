"""Image captioning: an image in, a caption string out (greedy decoding in the graph), with the
attention over the image of every word (keras_zoo.data.captions)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset


def bleu(references, hypotheses, max_order=4):
    """Corpus BLEU-``max_order`` of caption strings with keras-hub's ``Bleu`` (one reference per
    hypothesis; keras-hub's default tokeniser)."""
    import keras_hub

    if len(references) != len(hypotheses):
        raise ValueError(f"bleu: {len(references)} references for {len(hypotheses)} hypotheses.")
    metric = keras_hub.metrics.Bleu(max_order=max_order)
    metric.update_state([[r] for r in references], list(hypotheses))
    return float(metric.result())


def cut_at_end(tokens):
    """Greedy tokens ``[B, T]`` -> caption strings (words up to the first ``[END]``)."""
    from keras_zoo.data import captions

    return captions.decode(tokens)


class CaptioningTask(Task):
    """Models with inputs ``image`` (float32 in [0, 1]) and ``tokens`` (int32 ``[B, T]``,
    ``[START]`` + caption) returning ``{"logits": [B, T, V], "attention": [B, T, L]}``, with
    attributes ``caption_length``, ``feature_size`` (h, w of the attended map) and a module-level
    ``greedy_decode(model, images)``; the loss is the model's own ``compute_loss``.

    Serving: ``images`` uint8 ``[B, H, W, 3]`` -> ``tokens`` int32 ``[B, T]`` (greedy words,
    ``[END]`` and what follows to be cut), ``scores`` (their probabilities), ``attention``
    ``[B, T, L]`` and ``caption`` (a string per image, joined in the graph).
    """

    name = "captioning"
    data_names = ("shape_captions",)
    verify_size = 256
    #: The model's visual input, the serving input's name, and the raw data's key.
    input_name, serving_name, raw_key = "image", "images", "images"

    def _image_shape(self, model):
        for tensor in model.inputs:
            if tensor.name == self.input_name:
                return tuple(tensor.shape[1:])
        raise ValueError(f"{model.name}: a {self.name} model needs an input named "
                         f"{self.input_name!r}.")

    def _raw(self, model, split, n=None, held_out=None):
        from keras_zoo.data import captions

        h, w, _ = self._image_shape(model)
        options = {} if held_out is None else {"held_out": held_out}
        # A model with short captions (a tiny config) sees one-object images only.
        length = model.caption_length
        max_objects = 2 if length >= captions.CAPTION_LENGTH else 1
        return captions.load(split, image_size=(h, w), n=n, max_objects=max_objects,
                             caption_length=length, **options)

    def _pairs(self, raw):
        x = {self.input_name: raw[self.raw_key].astype(np.float32) / 255.0,
             "tokens": raw["tokens"][:, :-1]}
        return x, raw["tokens"][:, 1:]

    def battery_data(self, model, entry, n=32, seed=0):
        return self._pairs(self._raw(model, "train", n))

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, data=None):
        x, y = self._pairs(self._raw(model, split, n))
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        # No compiled loss: the model's compute_loss adds the doubly stochastic term.
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      jit_compile=False)

    @staticmethod
    def _decoder(model):
        # A captioning model declares greedy_decode(images) -> (tokens, scores, attention).
        return type(model).greedy_decode

    def serving_fn(self, model):
        from keras_zoo.data import captions

        shape = self._image_shape(model)
        decode = self._decoder(model)
        vocabulary = tf.constant(list(captions.VOCABULARY))

        def caption(images):
            tokens, scores, attention = decode(model, tf.cast(images, tf.float32) / 255.0)
            # Words up to the first [END]: a running product of "not END yet".
            keep = tf.math.cumprod(tf.cast(tf.not_equal(tokens, captions.END), tf.int32), axis=1)
            # As captions.decode: [START] and padding are no words.
            shown = (keep > 0) & (tokens != captions.START) & (tokens != captions.PAD)
            words = tf.where(shown, tf.gather(vocabulary, tokens), "")
            caption = tf.strings.strip(tf.strings.reduce_join(words, axis=1, separator=" "))
            caption = tf.strings.regex_replace(caption, " +", " ")
            return {"tokens": tokens, "scores": scores, "attention": attention,
                    "caption": caption}

        spec = [tf.TensorSpec((None,) + shape, tf.uint8, name=self.serving_name)]
        # The argument's name is the serving input's name (callers pass it by keyword).
        if self.serving_name == "videos":
            @tf.function(input_signature=spec)
            def serve(videos):
                return caption(videos)
        else:
            @tf.function(input_signature=spec)
            def serve(images):
                return caption(images)
        return serve

    def serving_example(self, model, n=4, seed=0):
        return {self.serving_name: self._raw(model, "validation", max(n, 1))[self.raw_key][:n]}

    def test_examples(self, model, entry, n=32):
        raw = self._raw(model, "test", n)
        return {self.serving_name: raw[self.raw_key]}, raw["captions"]

    def representative_examples(self, model, entry, n=100, seed=0):
        images = self._raw(model, "train", n)[self.raw_key]
        return [{self.serving_name: images[i:i + 1]} for i in range(n)]

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["tokens"]) == np.asarray(quantized["tokens"])))

    def int8_check(self, reference, quantized):
        confident = np.asarray(reference["scores"]) >= 0.5
        same = np.asarray(reference["tokens"]) == np.asarray(quantized["tokens"])
        agreement = float(same[confident].mean()) if confident.any() else 1.0
        return agreement >= 0.9, (f"word agreement {agreement:.3f} on {int(confident.sum())} "
                                  "confident steps (>= 0.9)")

    def parity_check(self, reference, actual):
        """Greedy decoding feeds each argmax back: on an untrained model a 1e-7 difference can
        flip a near-tie. Tokens must agree up to a divergence at an unsure step (< 0.5), scores
        and attention within tolerance up to it, and captions equal where tokens are."""
        tokens, other = np.asarray(reference["tokens"]), np.asarray(actual["tokens"])
        assert tokens.shape == other.shape, (tokens.shape, other.shape)
        scores, other_scores = np.asarray(reference["scores"]), np.asarray(actual["scores"])
        tol = self.parity_tolerance()
        for i in range(len(tokens)):
            differ = np.flatnonzero(tokens[i] != other[i])
            k = differ[0] if differ.size else tokens.shape[1]
            np.testing.assert_allclose(other_scores[i, :k], scores[i, :k], atol=tol, rtol=0)
            np.testing.assert_allclose(np.asarray(actual["attention"])[i, :k],
                                       np.asarray(reference["attention"])[i, :k], atol=tol,
                                       rtol=0)
            if differ.size:
                assert scores[i, k] < 0.5 and other_scores[i, k] < 0.5, (
                    f"example {i} diverges at step {k} where a model was confident")
            elif "caption" in reference and "caption" in actual:
                assert np.asarray(reference["caption"])[i] == np.asarray(actual["caption"])[i]

    # --- evaluation and prediction ---------------------------------------------------------
    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0, n=None):
        """BLEU-1 and BLEU-4 (keras-hub) of greedy captions on ``split`` (``"novel"``: images
        with a held-out colour-shape pair), and the exact-caption rate."""
        if data is not None:
            self.check_data(data)
        raw = self._raw(model, split, n)
        decode = self._decoder(model)
        tokens = np.asarray(decode(model, raw[self.raw_key].astype(np.float32) / 255.0)[0])
        hypotheses = cut_at_end(tokens)
        return {"bleu1": bleu(raw["captions"], hypotheses, 1),
                "bleu4": bleu(raw["captions"], hypotheses, 4),
                "exact_caption": float(np.mean([a == b for a, b in
                                                zip(raw["captions"], hypotheses, strict=True)]))}

    @staticmethod
    def _caption(outputs, index):
        caption = np.asarray(outputs["caption"])[index]
        return caption.decode() if isinstance(caption, bytes) else str(caption)

    def describe_prediction(self, outputs, index=0):
        return self._caption(outputs, index)

    def draw_prediction(self, image, outputs, index=0, scale=4):
        """One panel per word: the image with that word's attention map over it (upsampled,
        as the paper's figures) and the word beneath."""
        from PIL import Image, ImageDraw

        from keras_zoo.data import captions

        words = self._caption(outputs, index).split()
        if not words:
            raise ValueError("the model produced an empty caption: nothing to draw.")
        attention = np.asarray(outputs["attention"])[index]
        h, w = image.shape[:2]
        grid = _grid(attention.shape[-1], h, w)
        if grid is None:
            raise ValueError(f"cannot lay {attention.shape[-1]} attention weights over a "
                             f"{h}x{w} image.")
        rgb = image if image.shape[-1] == 3 else np.repeat(image, 3, axis=-1)
        big = np.asarray(Image.fromarray(rgb).resize((w * scale, h * scale), Image.NEAREST),
                         np.float32)
        panels = [Image.fromarray(big.astype(np.uint8))]
        labels = ["image"]
        for t, word in enumerate(words[:attention.shape[0]]):
            alpha = attention[t].reshape(grid)
            alpha = alpha / max(float(alpha.max()), 1e-9)
            heat = np.asarray(Image.fromarray((alpha * 255).astype(np.uint8)).resize(
                (w * scale, h * scale), Image.BILINEAR), np.float32)[..., None] / 255.0
            panels.append(Image.fromarray((big * (0.25 + 0.75 * heat)).astype(np.uint8)))
            labels.append(word if word in captions.VOCABULARY else "?")
        text_h = 14
        sheet = Image.new("RGB", (len(panels) * w * scale, h * scale + text_h), "white")
        draw = ImageDraw.Draw(sheet)
        for i, (panel, label) in enumerate(zip(panels, labels, strict=True)):
            sheet.paste(panel, (i * w * scale, 0))
            draw.text((i * w * scale + 2, h * scale + 1), label, fill="black")
        return sheet


class VideoCaptioningTask(CaptioningTask):
    """Video captioning: as ``captioning`` with ``video`` ``[B, T, H, W, 3]`` in (serving:
    ``videos`` uint8) and the attention over the T frames; data ``shape_clip_captions``
    (``keras_zoo.data.captions.clips``: one shape moving left or right)."""

    name = "video_captioning"
    data_names = ("shape_clip_captions",)
    input_name, serving_name, raw_key = "video", "videos", "clips"

    def _raw(self, model, split, n=None, held_out=None):
        from keras_zoo.data import captions

        frames, h, w, _ = self._image_shape(model)
        sizes = {"train": 1024, "validation": 128, "test": 128}
        if split not in sizes:
            raise ValueError(f"split must be one of {list(sizes)}, got {split!r}.")
        return captions.clips(n or sizes[split], frames, (h, w),
                              seed=1000 + captions.SPLIT_SEEDS[split],
                              caption_length=model.caption_length)

    def draw_prediction(self, image, outputs, index=0, scale=4):
        raise ValueError("predict takes an image; the video captioner captions clips (serve "
                         "it, or call greedy_decode).")


def _grid(locations, h, w):
    """``(rows, cols)`` of the attended feature map: the factorisation of ``locations`` with the
    image's aspect ratio."""
    for rows in range(1, locations + 1):
        if locations % rows == 0 and rows * w == (locations // rows) * h:
            return rows, locations // rows
    return None
