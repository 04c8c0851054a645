"""Pictures of predictions, drawn with PIL: detections (boxes, labels, scores, instance masks)
and an image with a caption; a callback that draws a detector's detections during ``fit``.

``keras-zoo predict`` reaches them through its task (``Task.draw_prediction``).
"""

from __future__ import annotations

import os

import keras
import numpy as np

#: Colours of classes, cycled.
PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


def detection_class_names(num_classes):
    """Names of the synthetic shapes' classes (the detectors' data), else ``class i``."""
    from keras_zoo.data import shapes

    if num_classes <= len(shapes.CLASSES):
        return list(shapes.CLASSES[:num_classes])
    return [f"class {i}" for i in range(num_classes)]


def _rgb(image):
    image = np.asarray(image, np.uint8)
    if image.ndim == 2 or image.shape[-1] == 1:
        image = np.repeat(image.reshape(image.shape[0], image.shape[1], 1), 3, axis=-1)
    return image[..., :3].copy()


def draw_detections(image, detections, index=0, names=None, min_score=0.3):
    """A PIL image of ``image`` (uint8 ``[H, W, C]``) with the detections of row ``index`` of
    a serving dict (``boxes``, ``scores``, ``classes``, ``num_detections``, maybe ``masks``)
    whose score is at least ``min_score``."""
    from PIL import Image, ImageDraw

    canvas = _rgb(image)
    count = int(np.asarray(detections["num_detections"])[index])
    keep = [j for j in range(count) if float(detections["scores"][index][j]) >= min_score]
    if "masks" in detections:
        for j in keep:
            colour = np.array(PALETTE[int(detections["classes"][index][j]) % len(PALETTE)])
            m = np.asarray(detections["masks"][index][j]) >= 0.5
            canvas[m] = (0.5 * canvas[m] + 0.5 * colour).astype(np.uint8)
    picture = Image.fromarray(canvas)
    draw = ImageDraw.Draw(picture)
    for j in keep:
        cls = int(detections["classes"][index][j])
        colour = PALETTE[cls % len(PALETTE)]
        x1, y1, x2, y2 = (float(v) for v in detections["boxes"][index][j])
        draw.rectangle([x1, y1, max(x2, x1), max(y2, y1)], outline=colour)
        label = names[cls] if names and cls < len(names) else str(cls)
        draw.text((x1 + 1, max(y1 - 10, 0)),
                  f"{label} {float(detections['scores'][index][j]):.2f}", fill=colour)
    return picture


def captioned(image, caption, min_width=160):
    """A PIL image of ``image`` (uint8 ``[H, W, C]``), enlarged (nearest neighbour) to at
    least ``min_width`` pixels wide, above a white strip with ``caption``."""
    from PIL import Image, ImageDraw

    picture = Image.fromarray(_rgb(image))
    scale = max(1, -(-min_width // picture.width))
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    lines = caption.splitlines() or [""]
    framed = Image.new("RGB", (picture.width, picture.height + 4 + 12 * len(lines)), "white")
    framed.paste(picture, (0, 0))
    draw = ImageDraw.Draw(framed)
    for i, line in enumerate(lines):
        draw.text((2, picture.height + 2 + 12 * i), line, fill=(0, 0, 0))
    return framed


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
        names = detection_class_names(self.model.num_classes)
        for i, image in enumerate(self.images):
            path = os.path.join(self.directory, f"epoch{epoch + 1:03d}_{i}.png")
            draw_detections(image, detections, i, names, self.min_score).save(path, format="PNG")
            self.written.append(path)
