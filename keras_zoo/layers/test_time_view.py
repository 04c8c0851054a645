"""One fixed view of an image for test-time augmentation: a crop (or a zoom) resized back to the
input's size, optionally mirrored (Krizhevsky et al., ImageNet Classification with Deep
Convolutional Neural Networks, NIPS 2012, section 4.1: the mean over ten crop/flip views)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class TestTimeView(keras.layers.Layer):
    """``resize(crop(x, box), (H, W))``, mirrored left-right if ``flip``.

    ``box = (top, left, height, width)`` in fractions of the input's side: ``(0, 0, 1, 1)`` is
    the whole image, a smaller box a crop (a zoom in), a box reaching outside [0, 1] a zoom out
    (the outside is zero, black). Pixel bounds are rounded; the resize is bilinear with half-pixel
    centres (TFLite's RESIZE_BILINEAR). Deterministic: the same view in training and serving.

    Args:
        box: ``(top, left, height, width)`` fractions.
        flip: mirror the view left-right.
    """

    __test__ = False  # not a pytest class despite its name

    def __init__(self, box=(0.0, 0.0, 1.0, 1.0), flip=False, **kwargs):
        super().__init__(**kwargs)
        box = tuple(float(v) for v in box)
        if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
            raise ValueError(f"TestTimeView: box must be (top, left, height, width) with "
                             f"positive height and width, got {box!r}.")
        self.box, self.flip = box, bool(flip)

    def pixel_box(self, height, width):
        """``(pad_top, pad_left, pad_bottom, pad_right, top, left, crop_h, crop_w)``."""
        top, left = round(self.box[0] * height), round(self.box[1] * width)
        crop_h = max(1, round(self.box[2] * height))
        crop_w = max(1, round(self.box[3] * width))
        pads = (max(0, -top), max(0, -left), max(0, top + crop_h - height),
                max(0, left + crop_w - width))
        return pads + (top + pads[0], left + pads[1], crop_h, crop_w)

    def build(self, input_shape):
        if len(input_shape) != 4 or None in tuple(input_shape[1:3]):
            raise ValueError(f"TestTimeView: needs [B, H, W, C] with known H, W, got "
                             f"{tuple(input_shape)}.")

    def call(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        pt, pl, pb, pr, top, left, crop_h, crop_w = self.pixel_box(height, width)
        x = inputs
        if pt or pl or pb or pr:
            x = ops.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]])
        x = x[:, top:top + crop_h, left:left + crop_w, :]
        if (crop_h, crop_w) != (height, width):
            x = ops.image.resize(x, (height, width), interpolation="bilinear")
        if self.flip:
            x = ops.flip(x, axis=2)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "box": list(self.box), "flip": self.flip}
