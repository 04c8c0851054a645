"""Cases for the test-time augmentation layers: TestTimeView (crop / zoom / mirror) and
ViewAverage (mean of probabilities or logits)."""

import numpy as np

from keras_zoo.layers import TestTimeView, ViewAverage
from tests.layer_harness import LayerCase


def _bilinear_axis(n_in, n_out):
    # Half-pixel centres: source coordinate (i + 0.5) n_in / n_out - 0.5, clamped at the edges.
    src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    base = np.floor(src)
    lo = np.clip(base, 0, n_in - 1).astype(int)
    hi = np.clip(base + 1, 0, n_in - 1).astype(int)
    return lo, hi, src - base


def bilinear_resize(x, size):
    ly, hy, wy = _bilinear_axis(x.shape[1], size[0])
    lx, hx, wx = _bilinear_axis(x.shape[2], size[1])
    rows = x[:, ly] * (1 - wy)[None, :, None, None] + x[:, hy] * wy[None, :, None, None]
    return rows[:, :, lx] * (1 - wx)[None, None, :, None] + rows[:, :, hx] * wx[None, None, :, None]


def view_reference(x, top, left, height, width, flip):
    """Pixel box (may reach outside: zero padding), bilinear resize back, mirror."""
    (x,) = x
    _, h, w, _ = x.shape
    canvas = np.zeros((x.shape[0], h + 2 * h, w + 2 * w, x.shape[3]), np.float64)
    canvas[:, h:2 * h, w:2 * w] = x
    crop = canvas[:, h + top:h + top + height, w + left:w + left + width]
    out = bilinear_resize(crop, (h, w)) if (height, width) != (h, w) else crop
    return out[:, :, ::-1] if flip else out


def average_reference(inputs, mode, from_probabilities):
    v = np.stack([np.asarray(a, np.float64) for a in inputs])
    if mode == "probabilities":
        if not from_probabilities:
            v = np.exp(v - v.max(-1, keepdims=True))
            v /= v.sum(-1, keepdims=True)
        return np.log(v.mean(0))
    return (np.log(v) if from_probabilities else v).mean(0)


def _images(rng):
    return [rng.random((2, 8, 8, 3)).astype(np.float32)]


def _probabilities(rng, views=3):
    out = []
    for _ in range(views):
        z = rng.normal(size=(2, 5))
        p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        out.append(p.astype(np.float32))
    return out


CASES = [
    LayerCase(id="test_time_view_mirror", layer_class=TestTimeView,
              make=lambda: TestTimeView(flip=True), inputs=_images,
              reference=lambda layer, x: view_reference(x, 0, 0, 8, 8, True)),
    LayerCase(id="test_time_view_centre_crop", layer_class=TestTimeView,
              make=lambda: TestTimeView((0.25, 0.25, 0.5, 0.5)), inputs=_images,
              reference=lambda layer, x: view_reference(x, 2, 2, 4, 4, False)),
    LayerCase(id="test_time_view_corner_crop_mirror", layer_class=TestTimeView,
              make=lambda: TestTimeView((0.0, 0.25, 0.75, 0.75), flip=True), inputs=_images,
              reference=lambda layer, x: view_reference(x, 0, 2, 6, 6, True)),
    LayerCase(id="test_time_view_zoom_out", layer_class=TestTimeView,
              make=lambda: TestTimeView((-0.25, -0.25, 1.5, 1.5)), inputs=_images,
              reference=lambda layer, x: view_reference(x, -2, -2, 12, 12, False)),
    LayerCase(id="view_average_probabilities", layer_class=ViewAverage,
              make=lambda: ViewAverage("probabilities"), inputs=_probabilities,
              reference=lambda layer, x: average_reference(x, "probabilities", True)),
    LayerCase(id="view_average_logits_of_probabilities", layer_class=ViewAverage,
              make=lambda: ViewAverage("logits"), inputs=_probabilities,
              reference=lambda layer, x: average_reference(x, "logits", True)),
    LayerCase(id="view_average_probabilities_from_logits", layer_class=ViewAverage,
              make=lambda: ViewAverage("probabilities", from_probabilities=False),
              inputs=lambda rng: [rng.normal(size=(2, 5)).astype(np.float32) for _ in range(2)],
              reference=lambda layer, x: average_reference(x, "probabilities", False)),
]
