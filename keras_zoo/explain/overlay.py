"""Heat maps drawn over their images: a jet colour map blended with the picture."""

from __future__ import annotations

import os
import textwrap

import numpy as np


def overlay(image, heat, alpha=0.5):
    """``[H, W, 3]`` float RGB in [0, 1]: ``image`` ([0, 1], 1 or 3 channels) under the jet
    colours of ``heat`` ([0, 1], ``[H, W]``)."""
    from matplotlib import colormaps

    image = np.asarray(image, np.float32)
    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image[..., :3]
    colours = colormaps["jet"](np.clip(np.asarray(heat, np.float32), 0, 1))[..., :3]
    return (1 - alpha) * np.clip(rgb, 0, 1) + alpha * colours


def save_panels(path, image, panels, title=""):
    """Writes one panel per ``(name, heat map or error text)`` as a PNG; refuses to overwrite.

    Args:
        path: the PNG to write (must not exist).
        image: ``[H, W, C]`` in [0, 1].
        panels: ``[(name, heat [H, W] or str)]``; a string is shown instead of a map (why the
            method does not apply to this model).
        title: the figure's title (predicted and target class).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    path = os.fspath(path)
    if os.path.exists(path):
        raise ValueError(f"{path!r} exists; keras-zoo does not overwrite files.")
    n = len(panels) + 1
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 3.0), squeeze=False)
    picture = np.asarray(image, np.float32)
    axes[0, 0].imshow(picture[..., 0] if picture.shape[-1] == 1 else picture[..., :3],
                      cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("image", fontsize=9)
    for ax, (name, heat) in zip(axes[0, 1:], panels, strict=True):
        if isinstance(heat, str):
            ax.text(0.5, 0.5, textwrap.fill(heat, 28), ha="center", va="center", fontsize=7)
        else:
            ax.imshow(overlay(image, heat))
        ax.set_title(name, fontsize=9)
    for ax in axes[0]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
