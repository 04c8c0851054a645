"""Explain any registered classifier: where in the image does its decision come from?

Every method has one call signature, ``method(model, images, class_index=None, ...)``, takes one
image ``[H, W, C]`` or a batch ``[B, H, W, C]`` in the model's input range (uint8 images are
divided by 255 for a [0, 1] model), and returns heat maps at the input's size, ``[H, W]`` or
``[B, H, W]``, scaled to [0, 1] unless ``normalize=False``:

- ``cam``: class activation mapping (Zhou et al. 2016), GAP + dense networks only;
- ``grad_cam``: Grad-CAM (Selvaraju et al. 2017), any convolutional classifier;
- ``augmented_grad_cam``: Grad-CAM super-resolved from augmented copies (Morbidelli et al. 2020);
- ``rise``: random input sampling (Petsiuk et al. 2018), a black box: forward passes only;
- ``deconvnet``: Zeiler & Fergus (2014), a unit projected back through a plain chain;
- ``attention_rollout``: Abnar & Zuidema (2020), vision transformers.

``pointing_game`` and ``deletion_insertion`` measure a map against an object mask and against
the model itself.
"""

from keras_zoo.explain.augmented import augmented_grad_cam
from keras_zoo.explain.class_activation import cam, grad_cam
from keras_zoo.explain.deconvnet import deconvnet
from keras_zoo.explain.metrics import deletion_insertion, pointing_game
from keras_zoo.explain.rise import rise, rise_masks
from keras_zoo.explain.rollout import attention_rollout

#: Method name (as the command line spells it) -> function.
METHODS = {
    "cam": cam,
    "grad-cam": grad_cam,
    "augmented-grad-cam": augmented_grad_cam,
    "rise": rise,
    "deconvnet": deconvnet,
    "rollout": attention_rollout,
}


def explain(model, images, method="grad-cam", class_index=None, **options):
    """Heat maps of ``method`` (a name of ``METHODS``) for ``images``; options go to it."""
    if method not in METHODS:
        raise ValueError(f"method={method!r}; expected one of {sorted(METHODS)}.")
    return METHODS[method](model, images, class_index=class_index, **options)


__all__ = ["METHODS", "attention_rollout", "augmented_grad_cam", "cam", "deconvnet",
           "deletion_insertion", "explain", "grad_cam", "pointing_game", "rise", "rise_masks"]
