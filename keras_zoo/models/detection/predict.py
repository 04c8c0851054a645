"""``keras-zoo predict MODEL IMAGE`` for detectors, and a callback that draws detections.

Boxes, labels and scores (and instance masks, when a model returns them) are drawn with PIL
and written as PNG.
"""

from __future__ import annotations

import argparse
import os

import keras
import numpy as np

#: Colours of classes, cycled.
_PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
            (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


def class_names(num_classes):
    from keras_zoo.data import shapes

    if num_classes <= len(shapes.CLASSES):
        return list(shapes.CLASSES[:num_classes])
    return [f"class {i}" for i in range(num_classes)]


def draw_detections(image, detections, index=0, names=None, min_score=0.3):
    """A PIL image of ``image`` (uint8 ``[H, W, 3]``) with the detections of row ``index`` of
    a serving dict (``boxes``, ``scores``, ``classes``, ``num_detections``, maybe ``masks``)."""
    from PIL import Image, ImageDraw

    canvas = np.asarray(image, np.uint8).copy()
    count = int(np.asarray(detections["num_detections"])[index])
    keep = [j for j in range(count) if float(detections["scores"][index][j]) >= min_score]
    if "masks" in detections:
        for j in keep:
            colour = np.array(_PALETTE[int(detections["classes"][index][j]) % len(_PALETTE)])
            m = np.asarray(detections["masks"][index][j]) >= 0.5
            canvas[m] = (0.5 * canvas[m] + 0.5 * colour).astype(np.uint8)
    picture = Image.fromarray(canvas)
    draw = ImageDraw.Draw(picture)
    for j in keep:
        cls = int(detections["classes"][index][j])
        colour = _PALETTE[cls % len(_PALETTE)]
        x1, y1, x2, y2 = (float(v) for v in detections["boxes"][index][j])
        draw.rectangle([x1, y1, x2, y2], outline=colour)
        label = names[cls] if names and cls < len(names) else str(cls)
        draw.text((x1 + 1, max(y1 - 10, 0)),
                  f"{label} {float(detections['scores'][index][j]):.2f}", fill=colour)
    return picture


def add_arguments(parser: argparse.ArgumentParser):
    parser.add_argument("model", help="a registered detector's name, or a .keras file")
    parser.add_argument("image", help="an image file (PNG, JPEG ...)")
    parser.add_argument("--output", "-o", default=None,
                        help="the PNG to write (default: IMAGE's name + '_detections.png')")
    parser.add_argument("--preset", default="tiny", choices=["tiny", "canonical"],
                        help="the preset of a registry name (untrained weights)")
    parser.add_argument("--weights", default=None, help="a .keras or .weights.h5 file to load")
    parser.add_argument("--min-score", type=float, default=0.3,
                        help="detections below it are not drawn")


def _load_model(args):
    if args.model.endswith(".keras"):
        return keras.saving.load_model(args.model, safe_mode=True)
    import keras_zoo

    model = keras_zoo.models.get(args.model, args.preset)
    if not hasattr(model, "detect"):
        raise ValueError(f"model: {args.model!r} is not a detector (task "
                         f"{keras_zoo.models.info(args.model).task!r}).")
    if args.weights:
        model.load_weights(args.weights)
    return model


def run(args) -> int:
    """Detects objects in ``args.image``, prints them and writes the drawn PNG; returns 0."""
    from PIL import Image

    if not os.path.isfile(args.image):
        raise ValueError(f"image: no such file {args.image!r}.")
    model = _load_model(args)
    h, w = model.input_shape[1:3]
    image = Image.open(args.image).convert("RGB").resize((w, h), Image.BILINEAR)
    pixels = np.asarray(image, np.uint8)
    detections = {k: np.asarray(v) for k, v in
                  model.detect(pixels[None].astype(np.float32) / 255.0).items()}
    names = class_names(model.num_classes)
    for j in range(int(detections["num_detections"][0])):
        score = float(detections["scores"][0][j])
        if score >= args.min_score:
            box = ", ".join(f"{v:.1f}" for v in detections["boxes"][0][j])
            print(f"{names[int(detections['classes'][0][j])]}\t{score:.3f}\t[{box}]")
    output = args.output or os.path.splitext(args.image)[0] + "_detections.png"
    draw_detections(pixels, detections, 0, names, args.min_score).save(output, format="PNG")
    print(f"wrote {output}")
    return 0


class DrawDetections(keras.callbacks.Callback):
    """Writes ``epoch{N:03d}_{i}.png`` with the model's detections on ``images`` (uint8) into
    ``directory`` every ``every`` epochs of ``fit``.

    Args:
        images: uint8 ``[n, H, W, 3]``.
        directory: where the PNGs go (created).
        every: epochs between drawings.
        min_score: detections below it are not drawn.
    """

    def __init__(self, images, directory, every=1, min_score=0.3):
        super().__init__()
        self.images = np.asarray(images, np.uint8)
        self.directory = directory
        self.every = every
        self.min_score = min_score
        self.written = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        os.makedirs(self.directory, exist_ok=True)
        detections = {k: np.asarray(v) for k, v in
                      self.model.detect(self.images.astype(np.float32) / 255.0).items()}
        names = class_names(self.model.num_classes)
        for i, image in enumerate(self.images):
            path = os.path.join(self.directory, f"epoch{epoch + 1:03d}_{i}.png")
            draw_detections(image, detections, i, names, self.min_score).save(path, format="PNG")
            self.written.append(path)
