"""Parameter counts at the papers' sizes, against each paper's own figure (slow: the models
have 30M-340M parameters), and the formula checks that stay in the default tier."""

import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.segmentation.segmenter import Segmenter
from keras_zoo.models.segmentation.unet import UNet
from tests.deferred import assert_deferred, deferred_weights


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def unet_params(channels, classes, filters=64, depth=4):
    """U-Net's parameters from its layer list (figure 1): two 3x3 convolutions per step,
    2x2 up-convolutions, a 1x1 output convolution."""
    total, c_in = 0, channels
    for level in range(depth + 1):
        f = filters * 2 ** level
        total += (9 * c_in * f + f) + (9 * f * f + f)
        c_in = f
    for level in reversed(range(depth)):
        f = filters * 2 ** level
        total += 4 * c_in * f + f  # up-convolution halving the channels
        total += (9 * 2 * f * f + f) + (9 * f * f + f)  # after concatenating the skip
        c_in = f
    return total + c_in * classes + classes


def test_unet_count_follows_the_layer_list():
    assert UNet(input_shape=(188, 188, 1), filters=4).count_params() == unet_params(1, 2, 4)
    # At the paper's width (1 channel, 2 classes): 31.03M, the figure usually quoted; the
    # paper itself states no count.
    assert unet_params(1, 2) == 31_030_658 == keras_zoo.models.info("unet").params


def test_segmenter_b16_count_follows_vit_b16():
    # Segmenter's table 1: Seg-B is ViT-B (86M). At 512x512 the position embedding has
    # 1 + 32*32 rows instead of 1 + 14*14; the linear decoder adds 768 x 150 + 150.
    vit_b16_without_head = 86_567_656 - (768 * 1000 + 1000)
    assert abs(vit_b16_without_head / 86e6 - 1) < 0.01
    expected = vit_b16_without_head + (1024 - 196) * 768 + 768 * 150 + 150
    assert keras_zoo.models.info("segmenter_linear").params == expected
    tiny = Segmenter(decoder="linear", input_shape=(32, 32, 3), classes=4, patch_size=4,
                     hidden_dim=32, num_layers=2, num_heads=2, mlp_dim=64)
    assert tiny.count_params() == (
        4 * 4 * 3 * 32 + 32 + 32 + 65 * 32  # patch projection, class token, positions
        + 2 * (2 * 64 + 4 * (32 * 32 + 32) + 32 * 64 + 64 + 64 * 32 + 32)  # 2 layers
        + 64 + 32 * 4 + 4)  # final norm, linear decoder


@pytest.mark.slow
@pytest.mark.parametrize("name, paper, tolerance", [
    # Long et al. 2015, table 1: FCN-VGG16, 134M parameters. The fixed (not learned) bilinear
    # upsampling kernels are left out of the count, as frozen weights are not parameters.
    ("fcn8s", 134e6, 0.01), ("fcn16s", 134e6, 0.01), ("fcn32s", 134e6, 0.01),
    # Noh et al. 2015, section 4.1/table 1: DeconvNet, 252M parameters.
    ("deconvnet", 252e6, 0.01),
    # Ronneberger et al. 2015 give no count; 31.0M is the one derived from figure 1.
    ("unet", 31.03e6, 0.001),
    # Strudel et al. 2021, table 1: Seg-B/16 = ViT-B/16, 86M (encoder; + the 512x512
    # position embedding and the 150-class linear decoder: 86.5M).
    ("segmenter_linear", 86e6, 0.01),
    # DPT: test_dpt_counts_against_the_paper (by formula) and the build below.
])
def test_canonical_counts_against_the_papers(name, paper, tolerance):
    entry = keras_zoo.models.info(name)
    with deferred_weights():  # counted only (tests/deferred.py)
        model = entry.build("canonical")
        assert_deferred(model.weights)
    assert model.count_params() == entry.params
    assert abs(_trainable(model) / paper - 1) < tolerance, (name, _trainable(model))


def dpt_parameters(input_shape=(384, 384, 3), head="depth", classes=1, patch_size=16,
                   hidden_dim=768, num_layers=12, mlp_dim=3072, hooks=(3, 6, 9, 12),
                   reassemble_dims=(96, 192, 384, 768), features=256):
    """DPT's parameters (readout "project") from its layer list (Ranftl et al. 2021, section 3;
    Keras' count: BatchNorm's moving statistics included)."""
    h, w, c = input_shape
    d, f = hidden_dim, features
    total = patch_size ** 2 * c * d + d + d + (1 + (h // patch_size) * (w // patch_size)) * d
    total += hooks[-1] * (4 * d + 4 * (d * d + d) + d * mlp_dim + mlp_dim + mlp_dim * d + d)
    total += 4 * (2 * d * d + d)  # Read: concatenate the readout token, Linear + GELU
    for dims, scale in zip(reassemble_dims, (patch_size / 4, patch_size / 8, patch_size / 16,
                                             patch_size / 32), strict=True):
        total += d * dims + dims  # 1x1 projection to D^
        if scale > 1:
            total += int(scale) ** 2 * dims * dims + dims  # transposed convolution
        elif scale < 1:
            total += 9 * dims * dims + dims  # 3x3 stride-2 (or more) convolution
        total += 9 * dims * f  # 3x3 to the fusion width, no bias
    bn = head == "segmentation"
    rcu = 2 * (9 * f * f + (4 * f if bn else f))
    total += 7 * rcu + 4 * (f * f + f)  # 1 + 2 + 2 + 2 residual units, 4 projections
    if bn:
        return total + 9 * f * f + 4 * f + f * classes + classes
    return total + 9 * f * (f // 2) + f // 2 + 9 * (f // 2) * 32 + 32 + 32 + 1


def authors_unused_parameters(hidden_dim, features=256, imagenet_classes=1000):
    """Weights the DPT authors' PyTorch model holds but never uses, which the zoo's model does
    not build: the timm ViT's final LayerNorm and ImageNet head (the backbone is kept whole)
    and the first residual unit of the coarsest fusion block (built in all four blocks, run
    only in the three that receive a skip)."""
    return (2 * hidden_dim + hidden_dim * imagenet_classes + imagenet_classes
            + 2 * (9 * features * features + features))


def test_dpt_count_formula_matches_small_builds():
    from keras_zoo.models.segmentation.dpt import DPT, DPTDepth

    # Five layers, the last one after the deepest hook (not built); 8x8 patches of 32x32
    # take every kind of resampling (2x transposed, identity, stride-2 and stride-4 conv).
    config = dict(input_shape=(32, 32, 3), patch_size=8, hidden_dim=16, num_layers=5,
                  mlp_dim=24, hooks=(1, 2, 3, 4), reassemble_dims=(4, 8, 12, 16), features=8)
    assert DPTDepth(num_heads=2, **config).count_params() == dpt_parameters(**config)
    assert DPT(classes=5, num_heads=2, **config).count_params() == dpt_parameters(
        head="segmentation", classes=5, **config)


def test_dpt_counts_against_the_paper():
    from keras_zoo.models.segmentation.dpt import LARGE

    # Ranftl et al. 2021, table 5 (parameters): DPT-Base 112M, DPT-Large 343M. The layer list gives 109.70M and 341.85M, -2.1 % and -0.3 %. The
    # structure has no difference from the paper (widths D^, the fusion width 256 and the head
    # are the paper's, and the same structure gives Large): the paper counts the authors'
    # PyTorch module, which also holds weights it never uses (authors_unused_parameters:
    # 1.95M for Base, 2.21M for Large). With them: 111.65M (-0.3 %) and 344.06M (+0.3 %).
    large = {k: v for k, v in LARGE.items() if k != "num_heads"}
    base_count, large_count = dpt_parameters(), dpt_parameters(**large)
    assert base_count == keras_zoo.models.info("dpt_depth").params == 109_696_385
    assert large_count == 341_848_257
    assert dpt_parameters(head="segmentation", classes=150) == keras_zoo.models.info("dpt").params
    assert abs((base_count + authors_unused_parameters(768)) / 112e6 - 1) < 0.005
    assert abs((large_count + authors_unused_parameters(1024)) / 343e6 - 1) < 0.005
    # Without them Base is 2.1 % short: the unused weights are the whole difference.
    assert abs(base_count / 112e6 - 1) > 0.02


@pytest.mark.slow
def test_dpt_canonical_builds_have_the_counted_parameters():
    from keras_zoo.models.segmentation.dpt import LARGE, DPTDepth

    with deferred_weights():  # counted only (tests/deferred.py)
        large = DPTDepth(input_shape=(384, 384, 3), **LARGE)
        base = DPTDepth(input_shape=(384, 384, 3))
        assert_deferred(large.weights + base.weights)
    assert large.count_params() == dpt_parameters(
        **{k: v for k, v in LARGE.items() if k != "num_heads"})
    assert base.count_params() == keras_zoo.models.info("dpt_depth").params
