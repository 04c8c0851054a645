"""The attack's picture: clean image, adversarial image, amplified perturbation, predictions."""

from __future__ import annotations

import os

import numpy as np


def save_attack_grid(path, clean, adversarial, clean_pred, adversarial_pred, labels, eps,
                     pixel_range=(0.0, 1.0), title=""):
    """Writes a PNG with one row per example: clean (true / predicted class), adversarial
    (predicted class), and the perturbation scaled from [-eps, eps] to the full grey range.

    Args:
        path: the PNG to write (must not exist).
        clean, adversarial: ``[N, H, W, C]`` in ``pixel_range``.
        clean_pred, adversarial_pred, labels: ``[N]`` class ids.
        eps: the perturbation's bound (its amplification is ``1 / (2 eps)``).
        pixel_range: the images' range.
        title: the figure's title.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    path = os.fspath(path)
    if os.path.exists(path):
        raise ValueError(f"{path!r} exists; keras-zoo does not overwrite files.")
    lo, hi = pixel_range
    clean = (np.asarray(clean, np.float32) - lo) / (hi - lo)
    adversarial = (np.asarray(adversarial, np.float32) - lo) / (hi - lo)
    scale = eps / (hi - lo)
    delta = np.clip((adversarial - clean) / (2 * scale) + 0.5, 0, 1)
    n = len(clean)
    fig, axes = plt.subplots(n, 3, figsize=(6.0, 2.0 * n), squeeze=False)

    def show(ax, picture, text):
        ax.imshow(picture[..., 0] if picture.shape[-1] == 1 else picture[..., :3],
                  cmap="gray", vmin=0, vmax=1)
        ax.set_title(text, fontsize=8)
        ax.axis("off")

    for i in range(n):
        show(axes[i, 0], clean[i], f"clean: true {labels[i]}, pred {clean_pred[i]}")
        show(axes[i, 1], adversarial[i], f"adversarial: pred {adversarial_pred[i]}")
        show(axes[i, 2], delta[i], f"perturbation x{0.5 / scale:.0f}")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)
