"""Semantic segmentation: uint8 images in, a class per pixel out (argmax inside the graph).

Models return per-pixel logits ``[B, H', W', K]``. Most return them at the input's size; a
U-Net with valid convolutions returns a smaller map (572 -> 388) and is served by the paper's
overlap-tile strategy (Ronneberger et al. 2015, figure 2): the served image is the output's
size and is mirrored outwards by the margin ``(H - H') / 2`` inside the graph. Labels are
uint8/int32 masks ``[B, H', W']``; ``IGNORE_LABEL`` (255) counts in no loss or metric.

``serving_default`` takes ``images`` uint8 ``[B, H', W', C]`` and returns ``mask`` uint8
``[B, H', W']`` (the argmax class) and ``probabilities`` float32 ``[B, H', W', K]``.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.data.segmentation import IGNORE_LABEL, SHAPES_CLASSES, SPLIT_SEEDS
from keras_zoo.tasks.base import Task

#: Colours of the classes (background transparent), cycled.
PALETTE = np.array([[0, 0, 0], [230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230],
                    [210, 245, 60]], np.uint8)


def dense_geometry(model):
    """``((H, W, C), (H', W'), K, margin)`` of a dense-prediction model: input, output size,
    output channels and the overlap-tile margin ``((H - H') / 2, (W - W') / 2)``."""
    in_shape = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else None
    out_shape = tuple(model.output_shape[1:]) if not isinstance(model.output_shape,
                                                                list) else None
    if (in_shape is None or len(in_shape) != 3 or None in in_shape or out_shape is None
            or len(out_shape) != 3 or None in out_shape):
        raise ValueError(f"{model.name}: a dense-prediction model needs one image input and one "
                         f"output map of fixed sizes, got {model.input_shape} -> "
                         f"{model.output_shape}.")
    margin = []
    for axis in (0, 1):
        extra = in_shape[axis] - out_shape[axis]
        if extra < 0 or extra % 2:
            raise ValueError(f"{model.name}: the output {out_shape[:2]} must be the input's "
                             f"size {in_shape[:2]} or smaller by an even margin.")
        margin.append(extra // 2)
    return in_shape, out_shape[:2], out_shape[2], tuple(margin)


def pad_to_model(images, margin):
    """Mirrors ``images`` ``[B, H', W', C]`` outwards by ``margin`` (overlap-tile), in the graph
    (TFLite MIRROR_PAD) or in NumPy (same values: reflection without repeating the edge)."""
    if margin == (0, 0):
        return images
    pads = [[0, 0], [margin[0], margin[0]], [margin[1], margin[1]], [0, 0]]
    if isinstance(images, np.ndarray):
        return np.pad(images, pads, mode="reflect")
    return tf.pad(images, pads, mode="REFLECT")


def class_names(num_classes):
    if num_classes <= len(SHAPES_CLASSES):
        return list(SHAPES_CLASSES[:num_classes])
    return [f"class {k}" for k in range(num_classes)]


def overlay(image, mask, alpha=0.5, ignore_label=IGNORE_LABEL):
    """A PIL image: ``image`` (uint8 ``[H, W, 3]`` or ``[H, W, 1]``) with the classes of ``mask``
    ``[H, W]`` blended in their palette colours (background and ignored pixels left as they
    are); the mask is resized to the image by nearest neighbour if their sizes differ."""
    from PIL import Image

    image = np.asarray(image, np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    mask = np.asarray(mask)
    if mask.shape != image.shape[:2]:
        mask = np.asarray(Image.fromarray(mask.astype(np.uint8)).resize(
            (image.shape[1], image.shape[0]), Image.NEAREST))
    canvas = image.astype(np.float32)
    colours = PALETTE[np.where(mask == ignore_label, 0, mask % len(PALETTE))].astype(np.float32)
    painted = (mask != 0) & (mask != ignore_label)
    canvas[painted] = (1 - alpha) * canvas[painted] + alpha * colours[painted]
    return Image.fromarray(canvas.round().astype(np.uint8))


class DenseTask(Task):
    """What the dense-prediction tasks share: examples for serving, testing and int8
    calibration from ``self._arrays(model, entry, split, n, seed)`` (images uint8, targets),
    drawn from the split's own seeds (``train_seed`` for the calibration images)."""

    train_seed = SPLIT_SEEDS["train"]

    def serving_example(self, model, n=4, seed=0):
        images, _ = self._arrays(model, None, "test", max(n, 1), seed=1000 + seed)
        return {"images": images[:n]}

    def test_examples(self, model, entry, n=32):
        images, targets = self._arrays(model, entry, "test", n)
        return {"images": images}, targets

    def representative_examples(self, model, entry, n=100, seed=0):
        images, _ = self._arrays(model, entry, "train", n, seed=self.train_seed + seed)
        return [{"images": images[i:i + 1]} for i in range(len(images))]

    #: Held-out images ``train`` draws into ``<run>/predictions`` (issue 17: "a callback
    #: writes such overlays for a few held-out images during training").
    drawn_examples = 4

    def training_callbacks(self, model, entry, out):
        examples, _ = self.test_examples(model, entry, n=self.drawn_examples)
        return [DrawPredictions(self.name, examples["images"], os.path.join(out, "predictions"),
                                every=None)]


class SegmentationTask(DenseTask):
    name = "segmentation"
    data_names = ("shapes", "oxford_iiit_pet")
    ignore_label = IGNORE_LABEL

    # --- data ----------------------------------------------------------------------------
    def _arrays(self, model, entry, split, n, seed=None, data=None):
        from keras_zoo.data.segmentation import load_arrays

        (_, _, channels), size, classes, _ = dense_geometry(model)
        data = data or (entry.data if entry else "shapes")
        self.check_data(data)
        images, masks = load_arrays(data, split, size, classes, n, seed=seed)
        if channels == 1:
            images = np.round(images.mean(-1, keepdims=True)).astype(np.uint8)
        return images, masks

    def battery_data(self, model, entry, n=32, seed=0):
        _, _, _, margin = dense_geometry(model)
        images, masks = self._arrays(model, entry, "train", n,
                                     seed=SPLIT_SEEDS["train"] + 7919 * seed)
        x = pad_to_model(images.astype(np.float32) / 255.0, margin)
        return x, masks.astype(np.int32)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None, n=None,
                augment=(), drop_remainder=False, data_dir=None):
        """Args: ``data`` (one of ``data_names``), ``n`` images, ``augment`` (names of
        ``keras_zoo.data.segmentation.AUGMENTATIONS``, training split only), ``seed`` (shuffle
        and augmentation), ``drop_remainder``, ``data_dir`` (TFDS)."""
        from keras_zoo.data.segmentation import segmentation_dataset

        (_, _, channels), size, classes, margin = dense_geometry(model)
        data = data or entry.data
        self.check_data(data)
        ds = segmentation_dataset(data, split, size, min(classes, 255), batch_size, n=n,
                                  augment=augment, seed=seed, drop_remainder=drop_remainder,
                                  data_dir=data_dir)
        if channels == 1:
            ds = ds.map(lambda x, y: (tf.reduce_mean(x, -1, keepdims=True), y))
        if margin != (0, 0):
            ds = ds.map(lambda x, y: (pad_to_model(x, margin), y))
        return ds

    # --- training ------------------------------------------------------------------------
    def compile(self, model, entry, learning_rate=1e-3, optimizer=None, per_class_iou=False):
        """Cross-entropy over the non-ignored pixels; mean IoU, pixel accuracy, Dice (and
        one IoU per class with ``per_class_iou``)."""
        import keras

        from keras_zoo.metrics.segmentation import segmentation_metrics

        _, _, classes, _ = dense_geometry(model)
        model.compile(
            optimizer=optimizer or keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                            ignore_class=self.ignore_label),
            metrics=segmentation_metrics(classes, self.ignore_label, per_class_iou))

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """Mean IoU, pixel accuracy, Dice and per-class IoU on a held-out split."""
        from keras_zoo.metrics.segmentation import segmentation_metrics

        _, _, classes, _ = dense_geometry(model)
        metrics = segmentation_metrics(classes, self.ignore_label, per_class=True)
        for x, y in self.dataset(model, entry, split, 32, seed, data=data):
            logits = model(x, training=False)
            for metric in metrics:
                metric.update_state(y, logits)
        return {m.name: float(m.result()) for m in metrics}

    # --- serving -------------------------------------------------------------------------
    def serving_fn(self, model):
        (_, _, channels), (h, w), _, margin = dense_geometry(model)

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, channels], tf.uint8,
                                                    name="images")])
        def serve(images):
            x = pad_to_model(tf.cast(images, tf.float32) / 255.0, margin)
            probabilities = tf.nn.softmax(model(x, training=False), axis=-1)
            mask = tf.cast(tf.argmax(probabilities, axis=-1, output_type=tf.int32), tf.uint8)
            return {"mask": mask, "probabilities": probabilities}

        return serve

    def parity_check(self, reference, actual):
        assert sorted(reference) == sorted(actual), (sorted(reference), sorted(actual))
        p = np.asarray(reference["probabilities"])
        np.testing.assert_allclose(np.asarray(actual["probabilities"]), p,
                                   atol=self.parity_tolerance(), rtol=0,
                                   err_msg="probabilities")
        # The argmax may differ only where two classes tie within the tolerance.
        top2 = np.sort(p, axis=-1)[..., -2:]
        decided = (top2[..., 1] - top2[..., 0]) > 2 * self.parity_tolerance()
        same = np.asarray(actual["mask"]) == np.asarray(reference["mask"])
        assert same[decided].all(), f"mask differs on {(~same[decided]).sum()} decided pixels"

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["mask"]) == np.asarray(quantized["mask"])))

    def int8_check(self, reference, quantized):
        # As for classifiers: the argmax of a barely trained model is meaningless where the
        # float model hesitates (an untrained FCN's scores tie everywhere), so masks are
        # compared where the float top-2 margin is >= 0.2 (confident) or >= 0.01 (decided).
        p = np.asarray(reference["probabilities"], np.float32)
        q = np.asarray(quantized["probabilities"], np.float32)
        top2 = np.sort(p, axis=-1)[..., -2:]
        margin = top2[..., 1] - top2[..., 0]
        same = np.asarray(reference["mask"]) == np.asarray(quantized["mask"])
        confident, decided = margin >= 0.2, margin >= 0.01
        agreement = float(same[confident].mean()) if confident.any() else 1.0
        overall = float(same[decided].mean()) if decided.any() else 1.0
        mean_diff = float(np.mean(np.abs(p - q)))
        # Judged by the masks (what is served); a softmax over few classes drifts by several
        # hundredths (Segmenter's mask decoder: 0.075) while its argmax stays put.
        ok = agreement >= 0.9 and overall >= 0.75 and mean_diff <= 0.1
        return ok, (f"mask agreement {agreement:.3f} on {int(confident.sum())} confident pixels "
                    f"(>= 0.9), {overall:.3f} on {int(decided.sum())} decided pixels (>= 0.75); "
                    f"mean |dp| {mean_diff:.4f} (<= 0.1)")

    # --- predict -------------------------------------------------------------------------
    def draw_prediction(self, image, outputs, index=0):
        """``image`` with the predicted classes blended in their colours."""
        return overlay(image, np.asarray(outputs["mask"])[index])

    def describe_prediction(self, outputs, index=0):
        """The share of the image each predicted class covers, largest first."""
        mask = np.asarray(outputs["mask"])[index]
        classes = np.asarray(outputs["probabilities"]).shape[-1]
        names = class_names(classes)
        counts = np.bincount(mask.ravel(), minlength=classes)[:classes]
        order = np.argsort(-counts, kind="stable")
        return "\n".join(f"{names[k]}\t{100.0 * counts[k] / mask.size:.1f} %"
                         for k in order if counts[k])



class DrawPredictions(keras.callbacks.Callback):
    """Writes ``epoch{N:03d}_{i}.png`` into ``directory`` every ``every`` epochs of ``fit``:
    held-out ``images`` (uint8, at the size the model serves) with the model's prediction drawn
    by its task (a segmentation's colour-coded mask over the image, a depth model's colour map
    beside it). ``train`` adds one to every dense-prediction run (``<run>/predictions``).

    Args:
        task: the model's task name ("segmentation", "depth").
        images: uint8 ``[n, H, W, C]``.
        directory: where the PNGs go (created).
        every: epochs between drawings; None: about five drawings over the run (every
            ``ceil(epochs / 5)`` epochs), and always the last epoch.

    Example:
        >>> examples, _ = get_task("segmentation").test_examples(model, entry, n=4)
        >>> callback = DrawPredictions("segmentation", examples["images"], "runs/unet/draw")
    """

    def __init__(self, task, images, directory, every=1):
        super().__init__()
        from keras_zoo.tasks import get_task

        if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                                  or every < 1):
            raise ValueError(f"DrawPredictions: every must be a positive int or None, got "
                             f"{every!r}.")
        self.task = get_task(task)
        self.images = np.asarray(images, np.uint8)
        self.directory = directory
        self.every = every
        self._serve = None

    def on_train_begin(self, logs=None):
        # One traced serving function for the whole run (it reads the live weights).
        self._serve = self.task.serving_fn(self.model)

    def on_epoch_end(self, epoch, logs=None):
        epochs = (self.params or {}).get("epochs") or 0
        every = self.every or max(1, -(-epochs // 5))
        if (epoch + 1) % every and epoch + 1 != epochs:
            return
        os.makedirs(self.directory, exist_ok=True)
        serve = self._serve or self.task.serving_fn(self.model)
        outputs = {k: np.asarray(v) for k, v in serve(images=self.images).items()}
        for i in range(len(self.images)):
            self.task.draw_prediction(self.images[i], outputs, i).save(
                os.path.join(self.directory, f"epoch{epoch + 1:03d}_{i}.png"))
