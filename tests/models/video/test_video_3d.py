"""S3D, X3D, SlowFast, ViViT, MViT, ConvGRU: structure checks at tiny sizes and (slow) the
canonical parameter counts against the papers' tables."""

import dataclasses
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.layers import DepthwiseConv3D, PhotometricFlowLoss
from keras_zoo.layers.photometric_loss import warp
from keras_zoo.models.video import x3d
from tests.deferred import assert_deferred, deferred_weights


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_depthwise_conv3d_equals_a_grouped_conv3d():
    # The TFLite-friendly form computes what a Conv3D with groups == channels computes.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 7, 5, 4)).astype(np.float32)
    ours = DepthwiseConv3D((3, 3, 3), (2, 2, 1), "same")
    ours(x)
    grouped = keras.layers.Conv3D(4, 3, strides=(2, 2, 1), padding="same", groups=4,
                                  use_bias=False)
    grouped(x)
    grouped.set_weights([np.swapaxes(np.asarray(ours.kernel), -1, -2)])  # [.., 1, C] layout
    np.testing.assert_allclose(ours(x), grouped(x), atol=1e-5)


def test_s3d_units_are_separable_and_gated_only_in_s3d_g():
    plain = keras_zoo.models.get("s3d", preset="tiny")
    gated = keras_zoo.models.get("s3d_g", preset="tiny")
    spatial, temporal = (plain.get_layer(f"mixed_3a_b1b_{k}_conv") for k in ("spatial",
                                                                            "temporal"))
    assert spatial.kernel_size == (1, 3, 3) and temporal.kernel_size == (3, 1, 1)
    # Same channels in both factors (S3D does not use the (2+1)-D mid-channel rule).
    assert spatial.filters == temporal.filters
    gates = [layer for layer in gated.layers if layer.name.endswith("_gate")]
    # conv2c plus the four branches of the Inception block.
    assert len(gates) == 1 + 4
    assert not any(layer.name.endswith("_gate") for layer in plain.layers)
    # A gate is a C x C map plus bias: S3D-G's extra parameters.
    extra = sum(g.units * (g.units + 1) for g in gates)
    assert gated.count_params() - plain.count_params() == extra


def test_s3d_features_for_downstream_models():
    model = keras_zoo.models.get("s3d", preset="tiny", include_top=False, pooling="avg")
    assert model.output_shape == (None, 32)  # the last kept block, 3a: 256 channels x 0.125


@pytest.mark.parametrize("gamma_d, expected", [(2.2, (3, 5, 11, 7)), (5.0, (5, 10, 25, 15)),
                                               (0.2, (1, 1, 1, 1))])
def test_x3d_depth_expansion(gamma_d, expected):
    # X3D Table 1 (gamma_d = 2.2: 3, 5, 11, 7 blocks); X3D-L (gamma_d = 5.0).
    assert tuple(math.ceil(gamma_d * d) for d in x3d.BASE_DEPTHS) == expected
    if gamma_d == 0.2:
        model = keras_zoo.models.get("x3d_m", preset="tiny", gamma_d=0.2,
                                     base_depths=x3d.BASE_DEPTHS)
        blocks = {layer.name.split("_block")[0] for layer in model.layers if "_block" in
                  layer.name}
        assert blocks == {"res2", "res3", "res4", "res5"}


def test_x3d_widths_follow_the_expansion_factors():
    # Table 1 with gamma_w = 2, gamma_b = 2.25: stages 24, 48, 96, 192; inner 54 .. 432.
    widths, width = [], x3d.BASE_WIDTH
    for _ in range(4):
        width = x3d.round_width(width, 2.0)
        widths.append((width, int(2.25 * width)))
    assert widths == [(24, 54), (48, 108), (96, 216), (192, 432)]
    assert set(x3d.EXPANSIONS) == {"xs", "s", "m", "l"}
    assert all(set(e) == {"gamma_tau", "gamma_t", "gamma_s", "gamma_w", "gamma_b", "gamma_d"}
               for e in x3d.EXPANSIONS.values())


def test_slowfast_lateral_connections_map_fast_time_onto_slow_time():
    # The battery's tiny config has one stage; two here, to see both lateral connections.
    model = keras_zoo.models.get("slowfast_r50", preset="tiny", blocks=(1, 1))
    alpha = keras_zoo.models.info("slowfast_r50").tiny["alpha"]
    t = model.input_shape[1]
    for i in range(1, 3):  # a lateral connection before each of the two stages
        lateral = model.get_layer(f"lateral{i}_conv")
        fast_in = lateral.input.shape
        assert lateral.strides[0] == alpha and lateral.kernel_size == (5, 1, 1)
        assert lateral.filters == 2 * fast_in[-1]  # 2 beta C
        fused = model.get_layer(f"fuse{i}").output.shape
        assert fused[1] == t // alpha and fast_in[1] == t
        assert fused[2:4] == fast_in[2:4]
    # The slow pathway's clip is every alpha-th frame of the input.
    probe = keras.Model(model.inputs, model.get_layer("slow_clips").output)
    clips = np.random.default_rng(0).random((1, *model.input_shape[1:])).astype(np.float32)
    np.testing.assert_array_equal(probe(clips), clips[:, ::alpha])


def test_slowfast_refuses_clips_alpha_does_not_divide():
    with pytest.raises(ValueError, match=r"not a multiple of 8; valid frame counts include "
                                         r"\[8, 16, 24"):
        keras_zoo.models.get("slowfast_r50", preset="tiny", alpha=8, input_shape=(12, 16, 16, 3))


def test_vivit_tubelets_and_factorisation():
    model = keras_zoo.models.get("vivit_b", preset="tiny")
    tubelet = model.get_layer("tubelet_embedding")
    assert tubelet.kernel_size == tubelet.strides == (2, 8, 8)
    # The spatial encoder runs once per time step; the temporal one sees one token per step
    # plus its class token.
    assert model.get_layer("spatial_encoding").output.shape[1:] == (4, 16)
    assert model.get_layer("temporal_with_cls").output.shape[1:] == (5, 16)
    joint = keras_zoo.models.get("vivit_b_spatio_temporal", preset="tiny")
    assert joint.get_layer("encoder_with_cls").output.shape[1:] == (1 + 4 * 2 * 2, 16)
    with pytest.raises(ValueError, match="tubelet"):
        keras_zoo.models.get("vivit_b", preset="tiny", input_shape=(8, 20, 20, 3))


def test_mvit_scales_pool_space_and_grow_width():
    model = keras_zoo.models.get("mvit_b", preset="tiny", depths=(1, 1), dims=(8, 16),
                                 heads=(1, 2))
    assert model.get_layer("scale2_block1_mlp_add").output.shape[1:] == (4, 8, 8, 16)
    assert model.get_layer("scale3_block1_mlp_add").output.shape[1:] == (4, 4, 4, 16)
    attention = model.get_layer("scale3_block1_attention")
    assert attention.q_strides == (1, 2, 2) and attention.kv_strides == (1, 1, 1)


def test_motionnet_loss_is_lowest_at_the_true_flow():
    # A pattern moving 1 px right per frame: frame k+1 at (x + 1, y) is frame k at (x, y)...
    # i.e. warping frame k+1 by u = +1 gives frame k away from the right edge.
    rng = np.random.default_rng(0)
    base = rng.random((1, 8, 12, 3)).astype(np.float32)
    frames = np.stack([np.roll(base, k, axis=2) for k in range(3)], axis=1)
    shifted = np.asarray(warp(frames[:, 1], np.tile(np.array([1.0, 0.0], np.float32),
                                                     (1, 8, 12, 1))))
    np.testing.assert_allclose(shifted[:, :, :-1], frames[:, 0, :, :-1], atol=1e-6)
    layer = PhotometricFlowLoss(smoothness=0.0)
    true_flow = np.tile(np.array([1.0, 0.0] * 2, np.float32), (1, 8, 12, 1))
    at_truth = float(layer.loss(frames, true_flow))
    assert at_truth < 0.5 * float(layer.loss(frames, np.zeros_like(true_flow)))
    assert at_truth < 0.5 * float(layer.loss(frames, -true_flow))


def test_hidden_two_stream_serves_clips_only_and_adds_the_flow_loss_in_training():
    model = keras_zoo.models.get("hidden_two_stream", preset="tiny")
    assert [t.name for t in model.inputs] == ["clips"]
    clips = np.random.default_rng(0).random((2, *model.input_shape[1:])).astype(np.float32)
    model(clips, training=False)
    assert not model.losses
    model(clips, training=True)
    assert len(model.losses) == 1 and float(model.losses[0]) > 0


@pytest.mark.slow
@pytest.mark.parametrize("name, params, trainable, paper", [
    ("s3d", 8_341_264, 8_320_048, 8_320_048),  # torchvision's s3d; the paper gives FLOPs
    ("s3d_g", 9_566_272, 9_545_056, None),
    ("x3d_m", 3_825_786, 3_794_322, 3.8e6),  # Feichtenhofer 2020, Table 4
    ("x3d_l", 6_219_744, 6_153_432, 6.1e6),  # Table 4 (0.9 % above)
    ("slowfast_r50", 34_540_904, 34_480_216, 34.4e6),  # X3D paper Table 4: SlowFast 4x16 R50
    ("vivit_b", 115_062_928, 115_062_928, 115.1e6),  # Arnab et al. 2021, Table 2, Model 2
    ("vivit_b_spatio_temporal", 88_954_000, 88_954_000, 88.9e6),  # Table 2, Model 1
    ("mvit_b", 36_599_344, 36_599_344, 36.6e6),  # Fan et al. 2021, MViT-B 16x4
])
def test_canonical_parameter_counts_3d(name, params, trainable, paper):
    with deferred_weights():  # counted only (tests/deferred.py)
        model = keras_zoo.models.get(name, preset="canonical")
        assert_deferred(model.weights)
    assert model.count_params() == params == keras_zoo.models.info(name).params
    assert _trainable(model) == trainable
    if paper:
        assert abs(trainable - paper) / paper < 0.01


def test_predict_reads_a_gif_or_a_folder_and_draws_a_strip(tmp_path):
    from PIL import Image

    from keras_zoo.data import clips as clip_data
    from training.commands.predict import predict

    x, _ = clip_data.generate(1, frames=12, image_size=(20, 20), seed=0)
    frames = [Image.fromarray(f) for f in x[0]]
    frames[0].save(tmp_path / "clip.gif", save_all=True, append_images=frames[1:])
    (tmp_path / "frames").mkdir()
    for i, f in enumerate(frames):
        f.save(tmp_path / "frames" / f"{i:02d}.png")
    gif = clip_data.read_clip(str(tmp_path / "clip.gif"), 4, (16, 16))
    folder = clip_data.read_clip(str(tmp_path / "frames"), 4, (16, 16))
    assert gif.shape == folder.shape == (4, 16, 16, 3) and gif.dtype == np.uint8
    # The same frames, up to the GIF's 256-colour palette.
    assert np.abs(gif.astype(int) - folder).mean() < 4
    model = keras_zoo.models.get("c3d", preset="tiny")
    text, picture, outputs = predict(model, keras_zoo.models.info("c3d"),
                                     str(tmp_path / "clip.gif"))
    assert text.split(",")[0].rsplit(" ", 1)[0] in clip_data.CLASSES
    t = model.input_shape[1]
    assert picture.width >= t * model.input_shape[3]  # the frames side by side
    np.testing.assert_allclose(outputs["probabilities"].sum(), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="no frame images"):
        (tmp_path / "empty").mkdir()
        clip_data.read_clip(str(tmp_path / "empty"), 4, (16, 16))
    # Fewer frames than the model takes: refused, not repeated into a still clip.
    with pytest.raises(ValueError, match="has 12 frame\\(s\\); the model takes 16"):
        clip_data.read_clip(str(tmp_path / "clip.gif"), 16, (16, 16))


def test_slowfast_takes_both_frame_rates_from_one_raw_video():
    # SlowFast 4x16 at tiny scale: alpha = 4, tau = 8 (fast stride 2); the slow pathway's
    # frames are the raw video's frames tau apart, from the same start as the fast ones.
    from keras_zoo.data.clips import sample_clip, slowfast_clip

    raw = np.arange(40, dtype=np.float32)[:, None, None, None] * np.ones((1, 16, 16, 3),
                                                                        np.float32)
    model = keras_zoo.models.get("slowfast_r50", preset="tiny", alpha=4)
    fast = np.asarray(slowfast_clip(raw, slow_frames=2, alpha=4, tau=8, training=False))
    ids = fast[:, 0, 0, 0]
    np.testing.assert_array_equal(ids, ids[0] + 2 * np.arange(8))
    assert ids[0] == (40 - 15) // 2  # centred for evaluation
    probe = keras.Model(model.inputs, model.get_layer("slow_clips").output)
    slow = np.asarray(probe(fast[None]))[0, :, 0, 0, 0]
    np.testing.assert_array_equal(slow, ids[0] + 8 * np.arange(2))
    # Training: a seeded random start that keeps the clip inside the video.
    starts = {int(np.asarray(sample_clip(raw, 8, 2, True, (0, i)))[0, 0, 0, 0])
              for i in range(20)}
    assert len(starts) > 1 and min(starts) >= 0 and max(starts) <= 40 - 15
    np.testing.assert_array_equal(sample_clip(raw, 8, 2, True, (0, 3)),
                                  sample_clip(raw, 8, 2, True, (0, 3)))
    with pytest.raises(ValueError, match="alpha must divide tau"):
        slowfast_clip(raw, 2, alpha=3, tau=8)


@pytest.mark.parametrize("name, recipe, changes", [
    ("slowfast_r50", "slowfast", {"config": {"width": 8}}),
    ("r3d_18", "r3d", {"config": {"filters": (8, 16), "stem_filters": 8}, "epochs": 40}),
])
def test_the_3d_cnns_recipes_widen_the_tiny_network(name, recipe, changes):
    # Issue 19: both under-fit at their tiny widths by the "video" recipe; their recipes are
    # that recipe with a wider network (and R3D with more epochs), nothing else but their
    # measured training times (training/recipes/video_3d.py).
    from training import get_recipe

    assert keras_zoo.models.info(name).recipe == recipe
    own, video = get_recipe(recipe), get_recipe("video")
    assert {k: getattr(own, k) for k in changes} == changes
    assert dataclasses.replace(video, name=recipe, description=own.description,
                               train_minutes=own.train_minutes, **changes) == own
    model = keras_zoo.models.get(name, preset="tiny", **own.config)
    assert model.count_params() > keras_zoo.models.get(name, preset="tiny").count_params()


def test_mvit_is_trained_by_the_transformers_recipe():
    # MViT stalls at chance by the CNNs' "video" recipe (0.461); ViViT's recipe (2,048
    # clips, AdamW, warm-up + cosine) without ViViT's tubelet option and without augmentation.
    from training import get_recipe

    assert keras_zoo.models.info("mvit_b").recipe == "mvit"
    own = get_recipe("mvit")
    assert not own.config and dict(own.data_options) == {"n": 2048}
    assert (own.optimizer, own.schedule, own.warmup_epochs, own.weight_decay, own.epochs) == \
        ("adamw", "warmup_cosine", 5, 0.05, 30)


@pytest.mark.slow
# `keras-zoo train NAME` (seed 0), issue 19; figures in training/recipes/video_3d.py. By the
# "video" recipe before: slowfast_r50 0.711, r3d_18 0.750, mvit_b 0.461; x3d_l (never run
# before) reaches the bar by it as it is.
@pytest.mark.parametrize("name, recipe", [("slowfast_r50", "slowfast"), ("r3d_18", "r3d"),
                                          ("mvit_b", "mvit"), ("x3d_l", "video")])
def test_train_reaches_the_bar_by_the_models_recipe(name, recipe, tmp_path):
    from training import train

    result = train(name, out=str(tmp_path / name), verbose=0)
    accuracy = result.test_metrics["accuracy"]
    print(f"{name} by its recipe ({result.recipe.name}): held-out accuracy {accuracy:.3f}")
    assert result.recipe.name == recipe and not result.changed
    assert result.bar == ("accuracy", 0.9, "max")
    assert result.bar_met and accuracy >= 0.9


@pytest.mark.slow
# The battery's int8 check runs on untrained tiny models, whose near-uniform scores leave few
# confident examples to compare; a trained network shows what int8 serving does to it. By
# `keras-zoo train NAME --export` (seed 0, 2026-12-05), verify's int8 top-1 agreement on the
# held-out clips: tsn 0.9971, r2plus1d_18 0.9976, i3d 1.0000, slowfast_r50 0.9994, s3d_g
# 0.9986, two_stream 0.9993, mvit_b 0.9962, vivit_b 0.9846; x3d_xs and x3d_m 0.9509 (bar
# 0.98): X3D's int8 export is a declared debt (its registry notes say so), cause not found.
@pytest.mark.parametrize("name", [
    "r2plus1d_18",
    pytest.param("x3d_xs", marks=pytest.mark.xfail(
        strict=True, reason="int8 top-1 agreement 0.9509 < 0.98 once trained (measured)")),
])
def test_trained_video_model_serves_int8_within_verifys_bar(name, tmp_path):
    from training import train

    result = train(name, out=str(tmp_path / "run"), export=True, root=str(tmp_path / "saved"),
                   verbose=0)
    rows = {check.split(" (")[0]: (figure, ok) for check, figure, _, ok in result.verify_rows}
    print(name, rows)
    assert rows["tflite int8 top-1 agreement"][1], rows["tflite int8 top-1 agreement"]


def test_padded_conv3d_gives_exact_filter_gradients_for_i3ds_stem_on_7_frames():
    """I3D's first convolution (7 x 7 x 7, stride 2, "same") on two-stream I3D's 7 flow frames:
    TensorFlow's SAME-padded CPU kernel gave filter gradients of 1e18-1e37 or NaN there (the
    run trained to NaN); the explicit padding must match a float64 reference and repeat."""
    from keras_zoo.layers import PaddedConv3D

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 16, 16, 2)).astype(np.float32)
    layer = PaddedConv3D(4, 7, strides=2, use_bias=False)
    layer.build(x.shape)
    dy = rng.normal(size=(2, 4, 8, 8, 4)).astype(np.float32)

    def kernel_gradient():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(tf.constant(x)) * dy)
        return tape.gradient(loss, layer.kernel).numpy()

    kernel = tf.constant(np.asarray(layer.kernel, np.float64))
    x64 = tf.constant(x.astype(np.float64))
    with tf.GradientTape() as tape:
        tape.watch(kernel)
        loss = tf.reduce_sum(tf.nn.conv3d(x64, kernel, [1, 2, 2, 2, 1], "SAME") * dy)
    reference = tape.gradient(loss, kernel).numpy()
    first, second = kernel_gradient(), kernel_gradient()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, reference, rtol=1e-4, atol=1e-3)


def test_i3d_pads_its_strided_convolutions_explicitly():
    backbone = keras_zoo.models.get("i3d", preset="tiny").get_layer("rgb_inception")
    strided = [layer for layer in backbone.layers if isinstance(layer, keras.layers.Conv3D)
               and tuple(layer.strides) != (1, 1, 1)]
    assert strided and all(type(layer).__name__ == "PaddedConv3D" for layer in strided)


def test_c3d_count_is_the_sum_over_the_papers_layer_table():
    """Tran et al. 2015 print no total, but their layer table does (section 3.3, Fig. 3):
    eight 3x3x3 convolutions of 64, 128, 256, 256, 512, 512, 512, 512 filters on RGB, pool5
    giving 512 x 1 x 4 x 4 = 8,192 features, fc6 and fc7 of 4,096, 487 Sports-1M classes."""
    widths = [3, 64, 128, 256, 256, 512, 512, 512, 512]
    convolutions = sum(27 * a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))
    dense = sum(a * b + b for a, b in ((8192, 4096), (4096, 4096), (4096, 487)))
    assert keras_zoo.models.info("c3d").params == convolutions + dense == 79_991_015


def test_i3d_is_two_stream_i3ds_rgb_half():
    """Carreira & Zisserman's Table 1 lists Two-Stream I3D only ("25M"): one I3D is its RGB
    stream, which the flow stream equals but for the first 7 x 7 x 7 convolution's third
    input channel (2 flow channels, not 3 colours: 7^3 x 64 weights)."""
    rgb = keras_zoo.models.info("i3d").params
    two_stream = keras_zoo.models.info("i3d_two_stream").params
    assert two_stream == rgb + (rgb - 7 ** 3 * 64)
    assert round(two_stream / 1e6) == 25


def test_i3d_inflates_the_2d_weights_it_is_given(tmp_path):
    # weights_2d: the zoo's 2-D Inception-v1 (BN) weights, inflated into the RGB stream: each
    # N x N kernel repeated N times in time and divided by N (section 2.4), BN copied.
    from keras_zoo.models.classification.googlenet import GoogLeNet

    keras.utils.set_random_seed(5)
    base = GoogLeNet(width=0.125, modules=("3a",), aux_classifiers=False, include_top=False,
                     batch_norm=True, five_kernel=3, input_shape=(32, 32, 3))
    path = str(tmp_path / "inception_2d.weights.h5")
    base.save_weights(path)
    model = keras_zoo.models.get("i3d", preset="tiny", weights_2d=path)
    stream = model.get_layer("rgb_inception")
    kernel_2d = np.asarray(base.get_layer("conv1_7x7_s2").kernel)
    kernel_3d = np.asarray(stream.get_layer("conv1_7x7_s2").kernel)
    assert kernel_3d.shape == (7, *kernel_2d.shape)
    np.testing.assert_allclose(kernel_3d, np.repeat(kernel_2d[None] / 7, 7, axis=0), rtol=1e-6)
    bn = "conv1_7x7_s2_bn"
    for a, b in zip(base.get_layer(bn).get_weights(), stream.get_layer(bn).get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    random = keras_zoo.models.get("i3d", preset="tiny")  # without weights_2d: not these
    assert not np.allclose(np.asarray(random.get_layer("rgb_inception").get_layer(
        "conv1_7x7_s2").kernel), kernel_3d)
