"""Video family: the synthetic clips, the (2+1)-D factorisation, the two-stream inputs, the
argument checks, and (slow) training figures on held-out clips."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.blocks.video import midplanes
from keras_zoo.data import clips as clip_data
from keras_zoo.tasks import get_task
from tests.deferred import assert_deferred, deferred_weights


def test_clips_are_seeded_and_balanced():
    a, la = clip_data.generate(16, frames=6, image_size=(16, 20), seed=3)
    b, lb = clip_data.generate(16, frames=6, image_size=(16, 20), seed=3)
    assert a.shape == (16, 6, 16, 20, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert np.bincount(la, minlength=4).tolist() == [4, 4, 4, 4]
    c, _ = clip_data.generate(16, frames=6, image_size=(16, 20), seed=4)
    assert not np.array_equal(a, c)


def test_the_direction_is_seen_only_in_motion():
    clips, labels = clip_data.generate(32, frames=6, image_size=(24, 24), seed=0)
    flow = clip_data.optical_flow(clips, cache=False)
    mean_dx = flow[..., 0].reshape(32, -1).mean(axis=1)
    moving_right = labels % 2 == 0
    assert np.all(mean_dx[moving_right] > 0) and np.all(mean_dx[~moving_right] < 0)
    # A single frame of "square right" and of "square left" comes from one distribution: the
    # shape's size, colour and places are drawn alike; only the order of frames differs.
    reversed_clips = clips[:, ::-1]
    flow_back = clip_data.optical_flow(np.ascontiguousarray(reversed_clips), cache=False)
    assert np.all(np.sign(flow_back[..., 0].reshape(32, -1).mean(axis=1)) == -np.sign(mean_dx))


def test_optical_flow_is_cached_by_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_ZOO_CACHE", str(tmp_path))
    clips, _ = clip_data.generate(2, frames=3, image_size=(16, 16), seed=0)
    first = clip_data.optical_flow(clips)
    files = list((tmp_path / "flow").iterdir())
    assert len(files) == 1 and files[0].suffix == ".npy"
    np.save(files[0], np.zeros_like(first))  # a cached result is read, not recomputed
    assert not np.any(clip_data.optical_flow(clips))
    with pytest.raises(ValueError, match="uint8 clips"):
        clip_data.optical_flow(clips.astype(np.float32))


@pytest.mark.parametrize("n_in, n_out", [(64, 64), (64, 128), (128, 256), (256, 512), (3, 64)])
def test_2plus1d_has_the_3d_convolutions_parameters(n_in, n_out):
    # Tran et al. 2018, section 3.5: M = floor(t d^2 N_in N_out / (d^2 N_in + t N_out)) makes
    # the 1 x d x d then t x 1 x 1 pair cost what the t x d x d convolution costs.
    t, d = 3, 3
    full = t * d * d * n_in * n_out
    m = midplanes(n_in, n_out, t, d)
    factorised = d * d * n_in * m + t * m * n_out
    assert factorised <= full
    assert full - factorised < d * d * n_in + t * n_out  # at most one mid-channel's worth


def test_2plus1d_block_built_counts_match_the_formula():
    tiny = keras_zoo.models.get("r2plus1d_18", preset="tiny")
    spatial = tiny.get_layer("conv3_block1_1_spatial_conv")
    temporal = tiny.get_layer("conv3_block1_1_temporal_conv")
    n_in, n_out = spatial.input.shape[-1], temporal.filters
    assert spatial.filters == midplanes(n_in, n_out)
    assert spatial.kernel_size == (1, 3, 3) and temporal.kernel_size == (3, 1, 1)
    assert spatial.strides == (1, 2, 2) and temporal.strides == (2, 1, 1)


def test_two_stream_spatial_stream_sees_the_middle_frame_and_flow_is_stacked():
    model = keras_zoo.models.get("two_stream", preset="tiny")
    t, h, w, _ = keras_zoo.models.info("two_stream").tiny["input_shape"]
    probe = keras.Model(model.inputs, [model.get_layer("frame").output,
                                       model.get_layer("stacked_flow").output])
    rng = np.random.default_rng(0)
    clips = rng.random((2, t, h, w, 3)).astype(np.float32)
    flow = rng.normal(size=(2, t - 1, h, w, 2)).astype(np.float32)
    frame, stacked = (np.asarray(o) for o in probe({"clips": clips, "flow": flow}))
    np.testing.assert_array_equal(frame, clips[:, t // 2])
    # Channel 2k + j is flow field k's component j (dx, dy), as the paper stacks them.
    for k in range(t - 1):
        np.testing.assert_array_equal(stacked[..., 2 * k:2 * k + 2], flow[:, k])


def test_two_stream_recipe_gives_conv3_a_map_the_tiny_frame_does_not():
    # CNN-M reduces the frame 16 times before conv3: at the tiny 16 x 16 conv3-5 run on 1 x 1
    # (their 3 x 3 kernels see one real tap) and by the "video" recipe the network stayed at
    # 0.5 (direction learned, shape not); its recipe's 32 x 32 frames leave them 2 x 2.
    from training import get_recipe

    entry = keras_zoo.models.info("two_stream")
    recipe = get_recipe(entry.recipe)
    tiny = entry.build("tiny")
    model = entry.build(recipe.preset, **recipe.config)
    for stream in ("spatial", "temporal"):
        assert tiny.get_layer(f"{stream}_conv3").output.shape[1:3] == (1, 1)
        assert model.get_layer(f"{stream}_conv3").output.shape[1:3] == (2, 2)
    assert tuple(model.get_layer("flow").output.shape[1:]) == (4, 32, 32, 2)
    # The recipe's other fixes (its comment has the measurements), the builder's defaults kept:
    # the frame centred before the spatial stream, He initialisation, dropout 0.5 in the
    # temporal stream's fc layers only, and the streams trained on their own losses.
    from keras_zoo.models.video.late_fusion import SeparateStreamTraining

    centring = model.get_layer("frame_mean_subtraction")
    np.testing.assert_allclose(np.asarray(centring(np.full((1, 2, 2, 3), 0.5, np.float32))), 0.0)
    assert "frame_mean_subtraction" not in [layer.name for layer in tiny.layers]
    assert isinstance(model.get_layer("spatial_conv1").kernel_initializer,
                      keras.initializers.HeNormal)
    assert model.get_layer("temporal_drop6").rate == 0.5
    assert not any(layer.name.startswith("spatial_drop") for layer in model.layers)
    wrapped = recipe.wrap(model)
    assert isinstance(wrapped, SeparateStreamTraining) and wrapped.network is model


def test_two_stream_fusion_recipe_initialises_the_streams_for_relu():
    # The conv-fused network's spatial stream learned no shape at the tiny widths and Keras'
    # initialisation (its ReLUs died or its conv5 stayed ~constant over the clips); its recipe
    # doubles the widths and initialises the streams' convolutions and fc layers He normal.
    # The builder's default is unchanged.
    from training import get_recipe

    entry = keras_zoo.models.info("two_stream_fusion")
    recipe = get_recipe(entry.recipe)
    assert recipe.name == "two_stream_fusion"
    model = entry.build(recipe.preset, **recipe.config)
    tiny = entry.build("tiny")
    for stream in ("spatial", "temporal"):
        for layer in (f"{stream}_conv1", f"{stream}_conv5"):
            init = model.get_layer(layer).kernel_initializer
            assert isinstance(init, keras.initializers.HeNormal), layer
            assert isinstance(tiny.get_layer(layer).kernel_initializer,
                              keras.initializers.GlorotUniform), layer
        assert model.get_layer(f"{stream}_conv3").output.shape[1:] == (2, 2, 16)
    assert isinstance(model.get_layer("fused_full6").kernel_initializer,
                      keras.initializers.HeNormal)
    assert isinstance(model.get_layer("fusion_conv").kernel_initializer,
                      keras.initializers.GlorotUniform)


def test_video_task_serves_two_inputs_for_two_stream_models():
    task = get_task("video_classification")
    model = keras_zoo.models.get("two_stream", preset="tiny")
    fn = task.serving_fn(model)
    names = sorted(spec.name for spec in fn.input_signature)
    assert names == ["clips", "flow"]
    example = task.serving_example(model, n=2)
    out = fn(**example)
    np.testing.assert_allclose(np.asarray(out["probabilities"]).sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", ["two_stream", "lrcn", "tsn", "i3d"])
def test_averaged_softmax_scores_are_trained_as_probabilities(name):
    # Two-stream networks average their streams' softmax scores, LRCN its steps', TSN and I3D
    # end in a Softmax layer: their outputs are probabilities, and the loss is -log p. The
    # classifiers' test looked at the last layer's activation only and compiled these with
    # from_logits=True: the cross-entropy of softmax(p).
    from keras_zoo.tasks.classification import outputs_are_probabilities

    task = get_task("video_classification")
    model = keras_zoo.models.get(name, preset="tiny")
    assert outputs_are_probabilities(model)
    task.compile(model, keras_zoo.models.info(name))
    y = np.array([0, 2])
    p = np.full((2, 4), 0.01, np.float32)
    p[[0, 1], [0, 1]] = 0.97  # right, then confidently wrong: -log p is 0.03 and 4.6
    expected = -np.mean(np.log(p[[0, 1], y]))  # 2.32; the cross-entropy of softmax(p): 1.24
    np.testing.assert_allclose(float(model.loss(y, p)), expected, rtol=1e-4)
    inputs = keras.Input((4,))
    logits = keras.layers.Average()([keras.layers.Dense(3)(inputs),
                                     keras.layers.Dense(3, activation="softmax")(inputs)])
    assert not outputs_are_probabilities(keras.Model(inputs, logits))


def test_beyond_short_snippets_pooling_is_order_blind_its_flow_network_is_not():
    # Max pooling over time scores a clip and the same clip played backwards (in the embedded
    # clips: the other direction's class) alike; the paper's optical-flow network, late fused
    # (flow=True), sees the direction in every flow field.
    from keras_zoo.tasks.video import is_two_stream
    from training import get_recipe

    keras.utils.set_random_seed(0)
    rgb = keras_zoo.models.get("beyond_short_snippets", preset="tiny")
    t, h, w, _ = rgb.input_shape[1:]
    clips, _ = clip_data.load("test", frames=t, image_size=(h, w), n=4)
    backwards = np.ascontiguousarray(clips[:, ::-1])
    np.testing.assert_allclose(rgb(clips / 255.0), rgb(backwards / 255.0), atol=1e-6)
    both = keras_zoo.models.get("beyond_short_snippets", preset="tiny", flow=True)
    assert is_two_stream(both)
    assert both.get_layer("flow_network").input_shape[1:] == (t - 1, h, w, 2)

    def scores(x):
        return np.asarray(both({"clips": x / 255.0, "flow": clip_data.optical_flow(x, False)}))

    assert np.abs(scores(clips) - scores(backwards)).max() > 1e-4
    # Their recipe trains the flow network (by the "video" recipe: 0.422, direction 0.461).
    for name in ("beyond_short_snippets", "beyond_short_snippets_lstm"):
        assert get_recipe(keras_zoo.models.info(name).recipe).config["flow"] is True
    with pytest.raises(ValueError, match="too short"):  # the flow network's T - 1 windows
        keras_zoo.models.get("beyond_short_snippets", preset="tiny", flow=True,
                             aggregation="slow_pooling", input_shape=(2, 16, 16, 3))
    with pytest.raises(ValueError, match="flow"):
        keras_zoo.models.get("beyond_short_snippets", preset="tiny", flow="optical")


def test_per_clip_augmentation_moves_every_frame_alike():
    task = get_task("video_classification")
    model = keras_zoo.models.get("c3d", preset="tiny")
    ds = task.dataset(model, keras_zoo.models.info("c3d"), split="train", batch_size=8, seed=1,
                      augment=("flip_vertical", "translation"), n=8)
    clips, _ = next(iter(ds))
    clips = np.asarray(clips)
    raw, _ = clip_data.load("train", frames=8, image_size=(16, 16), n=8)
    # The background differs frame to frame only by its noise; the transform is one per clip,
    # so frame-to-frame differences stay as small as in the raw clips (a per-frame transform
    # would shift the noisy background by pixels between frames).
    step = np.abs(np.diff(clips, axis=1)).mean()
    raw_step = np.abs(np.diff(raw.astype(np.float32) / 255.0, axis=1)).mean()
    assert step < 2 * raw_step
    with pytest.raises(ValueError, match="flip_horizontal"):
        task.dataset(model, keras_zoo.models.info("c3d"), augment=("flip_horizontal",))


def test_unknown_data_and_options_are_refused():
    task = get_task("video_classification")
    model = keras_zoo.models.get("c3d", preset="tiny")
    entry = keras_zoo.models.info("c3d")
    with pytest.raises(ValueError, match="ucf"):
        task.dataset(model, entry, data="ucf101_missing")
    with pytest.raises(ValueError, match="colour"):
        task.dataset(model, entry, colour=True)


@pytest.mark.parametrize("name, frames, message", [
    ("r3d_18", 12, "multiple of 8"),
    ("r2plus1d_18", 4, "valid frame counts include \\[8, 16"),
    ("c3d", 4, "too short"),
])
def test_clips_of_the_wrong_length_name_the_valid_ones(name, frames, message):
    with pytest.raises(ValueError, match=message):
        keras_zoo.models.get(name, preset="tiny", input_shape=(frames, 16, 16, 3))


@pytest.mark.slow
@pytest.mark.parametrize("name, params, trainable, paper", [
    ("r3d_18", 33_381_072, 33_371_472, 33.4e6),     # Tran et al. 2018, Table 1: 33.4M
    ("r2plus1d_18", 33_410_033, 33_383_797, 33.3e6),  # Table 1: 33.3M
    ("c3d", 79_991_015, 79_991_015, None),           # no total printed; layer table, sec. 3.3
    # Carreira & Zisserman 2017, Table 1 prints whole millions: Two-Stream I3D "25M". Ours,
    # 25.37M, is that figure at the table's precision (1.5 % above 25.00M; 1 % of a figure
    # rounded to millions is a precision the table does not have), so it compares whole
    # millions. The table has no single-stream I3D: ours is 12.70M, the RGB half (the flow
    # stream's first convolution takes 2 channels, not 3).
    ("i3d", 12_711_824, 12_697_264, None),
    ("i3d_two_stream", 25_401_696, 25_372_576, "25M"),
])
def test_canonical_parameter_counts(name, params, trainable, paper):
    with deferred_weights():  # counted only (tests/deferred.py)
        model = keras_zoo.models.get(name, preset="canonical")
        assert_deferred(model.weights)
    assert model.count_params() == params == keras_zoo.models.info(name).params
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable
    if isinstance(paper, str):  # a table of whole millions
        assert f"{round(trainable / 1e6)}M" == paper
    elif paper:
        # Keras counts BN's moving statistics too; the paper counts learned weights. R(2+1)D
        # is 0.25 % above 33.3M: the floor in M, the BN between the factors, and the stem's
        # mid-channels by the same rule (83).
        assert abs(trainable - paper) / paper < 0.01


def _fit_and_score(model, x, y, x_test, y_test, epochs, lr=3e-3, batch_size=32):
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    predictions = np.argmax(model.predict(x_test, verbose=0), axis=-1)
    return predictions


@pytest.mark.slow
def test_one_frame_cannot_tell_the_direction_flow_can():
    # The notes' reason for two streams, measured on the zoo's own streams: two_stream's
    # spatial CNN-M (the sub-network from the middle frame to its softmax) and its temporal one
    # (from the stacked flow), built as the "two_stream" recipe builds the model (32 x 32
    # frames: at 16 x 16 conv3-5 run on 1 x 1) and each fitted alone. The spatial stream is at
    # chance between the classes that differ only in motion; the temporal stream is not.
    # Measured (2026-12-04, 40 CPU s for the whole test): spatial shape 0.977, direction 0.547;
    # temporal direction 1.000. (At the builder's tiny config, Glorot and the uncentred frame,
    # the spatial stream learns nothing: see the "two_stream" recipe.)
    from training import get_recipe

    config = dict(get_recipe("two_stream").config)
    t, h, w, _ = config["input_shape"]
    clips, labels = clip_data.load("train", frames=t, image_size=(h, w))
    test_clips, test_labels = clip_data.load("test", frames=t, image_size=(h, w))
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get("two_stream", preset="tiny", **config)
    spatial = keras.Model(model.get_layer("frame").output,
                          model.get_layer("spatial_predictions").output)
    temporal = keras.Model(model.get_layer("flow").output,
                           model.get_layer("temporal_predictions").output)
    assert spatial.get_layer("spatial_conv1") is model.get_layer("spatial_conv1")
    pred = _fit_and_score(spatial, clips[:, t // 2] / 255.0, labels,
                          test_clips[:, t // 2] / 255.0, test_labels, epochs=30)
    direction_right = (pred % 2) == (test_labels % 2)
    shape_right = (pred // 2) == (test_labels // 2)
    flow_pred = _fit_and_score(temporal, clip_data.optical_flow(clips), labels,
                               clip_data.optical_flow(test_clips), test_labels, epochs=30)
    flow_direction = np.mean((flow_pred % 2) == (test_labels % 2))
    print(f"two_stream's spatial stream alone: shape {shape_right.mean():.3f}, direction "
          f"{direction_right.mean():.3f}; its temporal stream alone: direction "
          f"{flow_direction:.3f}")
    assert shape_right.mean() > 0.9          # appearance is visible in one frame
    assert 0.3 < direction_right.mean() < 0.7  # motion is not
    assert flow_direction >= 0.9
    keras.utils.set_random_seed(0)
    clips, labels = clip_data.load("train", frames=5, image_size=(16, 16))
    test_clips, test_labels = clip_data.load("test", frames=5, image_size=(16, 16))
    flow, test_flow = clip_data.optical_flow(clips), clip_data.optical_flow(test_clips)
    # The two-stream networks, late (two_stream) and conv (two_stream_fusion) fused, tell the
    # motion-only classes apart through their flow streams. Measured (2026-12-04, 43 s): spatial
    # direction 0.547; direction 1.000 for both (held out 0.484 and 0.508: the tiny 16 x 16
    # networks do not learn the shape; their recipes do, training/recipes/video_streams.py).
    for name in ("two_stream", "two_stream_fusion"):
        keras.utils.set_random_seed(0)
        model = keras_zoo.models.get(name, preset="tiny")
        pred = _fit_and_score(model, {"clips": clips / 255.0, "flow": flow}, labels,
                              {"clips": test_clips / 255.0, "flow": test_flow}, test_labels,
                              epochs=30)
        direction = np.mean((pred % 2) == (test_labels % 2))
        print(f"{name} held-out accuracy {np.mean(pred == test_labels):.3f}, direction "
              f"{direction:.3f}; spatial direction accuracy {direction_right.mean():.3f}")
        assert direction >= 0.9, name


@pytest.mark.slow
@pytest.mark.parametrize("name, config", [("c3d", {}), ("r2plus1d_18", {}), ("i3d", {}),
                                          ("slowfast_r50", {"width": 8})])
def test_3d_networks_reach_090_on_held_out_clips(name, config):
    # Measured on a loaded 2-core machine (25 epochs): C3D tiny 0.906 / 0.922 held-out (90 s);
    # R(2+1)D tiny (5,637 parameters) 0.961 (~22 CPU s of training). An earlier try at twice
    # the tiny channels fitted the 512 training clips but reached only 0.56 held out. I3D tiny
    # (8 x 32^2 clips, 19,980 parameters) 1.000 (~26 CPU s). SlowFast at width 8 (6,824
    # parameters) 0.969 with PySlowFast's BN momentum (0.781 with Keras' 0.99, whose moving
    # statistics lagged the slow pathway's batch statistics); the width-2 tiny 0.867. ViViT
    # needs its own recipe (below): 0.445 by this one. C3D's pass here depends on the seed:
    # seed 1 gives 0.250 (2026-12-04; the tiny clip's signal fades, see the "c3d" recipe);
    # ``keras-zoo train c3d`` is tested by its recipe below.
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get(name, preset="tiny", **config)
    frames, height, width, _ = model.input_shape[1:]
    clips, labels = clip_data.load("train", frames=frames, image_size=(height, width))
    test_clips, test_labels = clip_data.load("test", frames=frames, image_size=(height, width))
    pred = _fit_and_score(model, clips / 255.0, labels, test_clips / 255.0, test_labels,
                          epochs=25)
    accuracy = float(np.mean(pred == test_labels))
    print(f"{name}: held-out accuracy {accuracy:.3f}")
    assert accuracy >= 0.9


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vivit_b", "vivit_b_spatio_temporal"])
def test_vivit_reaches_090_on_held_out_clips_by_its_recipe(name, tmp_path):
    # ViViT tiny by the CNNs' fit above (Adam 3e-3, 25 epochs, 512 clips): 0.445 held out
    # (0.500 re-measured: direction 0.992, shape 0.500).
    # Measured (seed 0 unless said; "direction" and "shape" are the two halves of the label):
    # the direction was learned in every run (>= 0.98), the shape (square or circle) was not.
    # - 2x8x8 tubelets (2 x 2 tokens a time step), Adam: 60 epochs fit the train clips (0.95)
    #   but 0.656 held out (shape 0.664); AdamW 1e-3 + 5-epoch warm-up + cosine, 25 epochs:
    #   0.672 (train 0.941).
    # - 2x4x4 tubelets (4 x 4 tokens): Adam + cosine, 60 epochs 0.820 (train 0.994); AdamW +
    #   warm-up 0.844 (train 1.0); 8 x 32^2 clips with 2x8x8 tubelets (the same token grid)
    #   0.828; whole-clip flips and shifts underfit (0.742, train 0.727; 0.734 at width 32).
    # - The training data, ViViT's own diagnosis (section 3.4: transformers need large
    #   datasets): 2,048 clips instead of 512, AdamW + warm-up + cosine, 30 epochs: 0.906
    #   with 2x8x8 tubelets, 0.953 with 2x4x4 (train 0.998); Adam at a constant 3e-3 on the
    #   same data and tubelets 0.820 (train 0.826); seed 1 of the recipe's fit 0.984; the
    #   spatio-temporal model (Model 1) by the same fit 0.945. The "vivit" recipe (2,048
    #   clips, 2x4x4, AdamW + warm-up + cosine) through ``train``, as this test runs it:
    #   factorised encoder 0.977 held out (twice), spatio-temporal 0.930; 124 s of test each
    #   on 2 cores shared at a load average of ~8 (17 min at ~25).
    from training import train

    result = train(name, out=str(tmp_path / name), verbose=0)
    accuracy = result.test_metrics["accuracy"]
    print(f"{name} by its recipe: held-out accuracy {accuracy:.3f}")
    assert result.bar_met and accuracy >= 0.9


@pytest.mark.slow
# `keras-zoo train NAME`, 2026-12-04, load 13-25 on 2 cores (wall / CPU): c3d 0.938, tsn
# 1.000 (1:35 / 14 s), i3d 1.000 (4:31 / 36 s), x3d_m 0.969 (4:12 / 34 s), x3d_xs 0.969,
# r2plus1d_18 0.953 (3:50 / 31 s), s3d 0.984, s3d_g 0.992, t3d 0.930, x3d_s 0.969,
# i3d_two_stream 1.000. Below the bar by the same recipe (not fixed): slowfast_r50 0.711,
# r3d_18 0.750, mvit_b 0.461. With the video task's loss on probabilities for averaged softmax
# scores (keras_zoo/tasks/video.py; load ~12, CPU s): lrcn 0.922 / 0.938 at seeds 0 / 1 (16 s;
# 0.898 before), tsn 1.000 (8 s), i3d 1.000 (29 s); by their own recipes (video_streams.py):
# multilstm 0.945 / 0.961 (20 s), beyond_short_snippets_lstm (flow network) 0.922 / 0.953
# (18 s), hidden_two_stream 0.945 / 0.992 (68 s), two_stream 0.914 / 1.000 / 0.586 at seeds
# 0 / 1 / 2 (15 s), beyond_short_snippets (flow network) 0.922 / 0.711 (17 s). Seed 0 is the
# product default. The late-fused ones, with their streams trained separately (recipes in
# video_streams.py, with the measured causes; `keras-zoo train NAME --seed S`, CPU s, load ~9):
# two_stream 0.992 / 0.992 / 1.000 at seeds 0 / 1 / 2 (19-20 s), beyond_short_snippets 0.930 /
# 0.953 / 0.953 (16-18 s), beyond_short_snippets_lstm 0.969 / 0.945 at seeds 0 / 1 (20 s).
# two_stream_fusion by "video" 0.539 (direction 1.000, shape not); by its own recipe (twice
# the tiny widths, He initialisation, 32 x 32) 0.969 / 0.992 / 0.992 at
# seeds 0 / 1 / 2 (20 s) with the flow not augmented. With the flow flipped and shifted with
# its clip (2026-12-05): 0.875 / 1.000 / 0.992 over the recipe's 25 epochs (seed 0: direction
# 1.000, shape 0.875, held-out accuracy still rising at the end), 0.984 / 1.000 / 1.000 over
# 40; two_stream 0.992, beyond_short_snippets 0.922 (0.930 unaugmented flow),
# beyond_short_snippets_lstm 0.969 (0.969) at seed 0. i3d_two_stream (its flow stream's
# strided convolutions explicitly padded, PaddedConv3D) 1.000 at seeds 0 / 1 / 2; it trained
# to NaN before (TensorFlow's CPU Conv3D filter gradient on 7 flow frames).
@pytest.mark.parametrize("name", ["c3d", "tsn", "i3d", "x3d_m", "r2plus1d_18", "s3d", "lrcn",
                                  "multilstm", "beyond_short_snippets_lstm", "hidden_two_stream",
                                  "two_stream", "beyond_short_snippets", "two_stream_fusion",
                                  "i3d_two_stream"])
def test_train_reaches_the_video_recipes_bar(name, tmp_path):
    # The product path, ``keras-zoo train NAME``, at the recipe's defaults (seed 0).
    from training import train

    result = train(name, out=str(tmp_path / name), verbose=0)
    accuracy = result.test_metrics["accuracy"]
    print(f"{name} by its recipe ({result.recipe.name}): held-out accuracy {accuracy:.3f}")
    assert not result.changed and result.bar == ("accuracy", 0.9, "max")
    assert result.bar_met and accuracy >= 0.9


def test_boring_video_gives_the_2d_networks_features():
    # Carreira & Zisserman 2017, section 2.4: a clip of one repeated image through the
    # inflated network gives the 2-D network's activations, wherever the temporal window does
    # not reach the clip's ends (zero padding in time there).
    from keras_zoo.models.classification.googlenet import GoogLeNet
    from keras_zoo.models.video.inflate import inflate

    keras.utils.set_random_seed(3)
    base = GoogLeNet(width=0.125, modules=("3a", "4a"), aux_classifiers=False,
                     include_top=False, batch_norm=True, five_kernel=3, input_shape=(32, 32, 3))
    frames = 96
    inflated = inflate(base, frames)
    image = np.random.default_rng(0).random((1, 32, 32, 3)).astype(np.float32)
    expected = np.asarray(base(image))
    actual = np.asarray(inflated(np.repeat(image[:, None], frames, axis=1)))
    per_time = np.abs(actual - expected[:, None]).max(axis=(0, 2, 3, 4))
    middle = len(per_time) // 2
    assert per_time[middle - 1:middle + 2].max() <= 1e-5, per_time
    assert per_time[0] > 1e-4  # the ends see the zero padding: the check above can fail


def test_inflated_kernels_are_repeated_and_divided():
    from keras_zoo.models.video.inflate import inflate_kernel

    kernel = np.random.default_rng(0).normal(size=(3, 3, 2, 4))
    inflated = inflate_kernel(kernel, 5)
    assert inflated.shape == (5, 3, 3, 2, 4)
    np.testing.assert_allclose(inflated.sum(axis=0), kernel, atol=1e-12)
    np.testing.assert_allclose(inflated[2], kernel / 5)


def test_inflate_names_what_it_cannot_inflate():
    from keras_zoo.models.video.inflate import inflate

    inputs = keras.Input((16, 16, 3))
    model = keras.Model(inputs, keras.layers.SeparableConv2D(4, 3)(inputs))
    with pytest.raises(ValueError, match="SeparableConv2D"):
        inflate(model, 4)


def test_tsn_consensus_is_the_mean_of_the_segment_scores():
    # Wang et al. 2016, eq. 1-2: G averages the K snippet scores, then the softmax.
    model = keras_zoo.models.get("tsn", preset="tiny")
    snippets = np.random.default_rng(0).random((2, 3, 16, 16, 3)).astype(np.float32)
    scores = np.asarray(keras.Model(model.inputs, model.get_layer("snippet_scores").output)(
        snippets))
    mean = scores.mean(axis=1)
    expected = np.exp(mean) / np.exp(mean).sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(model(snippets)), expected, atol=1e-6)


def test_tsn_rgb_cannot_see_the_order_of_frames_its_recipe_rgb_differences_can():
    # The average of per-frame scores is the same for a clip played backwards, which in the
    # embedded clips is the other direction's class: the RGB network is at chance on the
    # direction (0.469 held out by the plain video recipe), so TSN's recipe trains the
    # RGB-difference modality (Wang et al. 2016, section 3.2).
    from training import get_recipe

    rng = np.random.default_rng(0)
    rgb = keras_zoo.models.get("tsn", preset="tiny")
    clips = rng.random((2, 3, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(rgb(clips), rgb(clips[:, ::-1]), atol=1e-6)
    recipe = get_recipe(keras_zoo.models.info("tsn").recipe)
    assert recipe.config["modality"] == "rgb_diff"
    diff = keras_zoo.models.info("tsn").build(recipe.preset, **recipe.config)
    k_l = diff.input_shape[1]
    assert k_l == 3 * recipe.config["snippet_length"]
    clips = rng.random((2, k_l, 16, 16, 3)).astype(np.float32)
    stacked = keras.Model(diff.inputs, diff.get_layer("stacked_differences").output)(clips)
    np.testing.assert_allclose(stacked, clips[:, 1::2] - clips[:, 0::2], atol=1e-6)
    assert np.abs(np.asarray(diff(clips)) - np.asarray(diff(clips[:, ::-1]))).max() > 1e-4
    longer = keras_zoo.models.get("tsn", preset="tiny", modality="rgb_diff", snippet_length=3,
                                  input_shape=(6, 16, 16, 3))
    stacked = np.asarray(keras.Model(longer.inputs,
                                     longer.get_layer("stacked_differences").output)(clips))
    snippets = clips.reshape(2, 2, 3, 16, 16, 3)
    np.testing.assert_allclose(stacked[..., :3], snippets[:, :, 1] - snippets[:, :, 0],
                               atol=1e-6)
    np.testing.assert_allclose(stacked[..., 3:], snippets[:, :, 2] - snippets[:, :, 1],
                               atol=1e-6)
    with pytest.raises(ValueError, match="multiple of 2"):
        keras_zoo.models.get("tsn", preset="tiny", modality="rgb_diff", snippet_length=2,
                             input_shape=(5, 16, 16, 3))
    with pytest.raises(ValueError, match="modality"):
        keras_zoo.models.get("tsn", preset="tiny", modality="flow")
    with pytest.raises(ValueError, match="snippet_length=2 is for modality='rgb_diff'"):
        keras_zoo.models.get("tsn", preset="tiny", snippet_length=2)


def test_c3d_recipe_keeps_the_signal_the_tiny_clip_loses():
    # Tiny C3D on 8 x 16^2 clips (conv5 at 1 x 1 x 1, Keras' Glorot initialisation): its
    # outputs barely depend on the clip at initialisation (~2e-6 across clips), and by the
    # plain video recipe it stalled at 0.25-0.5 held out. Its recipe's clips (the data
    # pipeline draws clips of the model's input shape) and initialisation keep the signal.
    from training import get_recipe

    entry = keras_zoo.models.info("c3d")
    recipe = get_recipe(entry.recipe)

    def spread(model):
        t, h, w, _ = model.input_shape[1:]
        clips, _ = clip_data.load("train", frames=t, image_size=(h, w), n=8)
        return float(np.asarray(model(clips / 255.0)).std(axis=0).mean())

    keras.utils.set_random_seed(0)
    tiny = entry.build("tiny")
    keras.utils.set_random_seed(0)
    model = entry.build(recipe.preset, **recipe.config)
    assert model.input_shape[1:] == (16, 32, 32, 3)
    assert model.get_layer("pool4").output.shape[1:4] == (2, 2, 2)
    assert spread(tiny) < 1e-4 and spread(model) > 1e-3


def test_lrcn_and_tsn_take_a_registry_classifier_per_frame():
    lrcn = keras_zoo.models.get("lrcn", preset="tiny", encoder="lenet5",
                                input_shape=(4, 32, 32, 1))
    assert lrcn.get_layer("frame_features").layer.name == "lenet5"
    assert lrcn.output_shape == (None, 4)


def _conv_same(image, kernel):
    """A stride-1 'same' cross-correlation: image [B, H, W, Cin], kernel [kh, kw, Cin, Cout]
    (odd sizes)."""
    kh, kw = kernel.shape[:2]
    h, w = image.shape[1:3]
    padded = np.pad(image, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    return sum(padded[:, i:i + h, j:j + w] @ kernel[i, j] for i in range(kh) for j in range(kw))


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def convlstm_step(x, h, c, w_x, w_h, b, w_c=(0.0, 0.0, 0.0)):
    """Shi et al. 2015, eq. 3, "*" a 'same' convolution, "o" the Hadamard product; gates i, f,
    c, o along the last axis of ``w_x``, ``w_h``, ``b`` (Keras' order); ``w_c`` the peepholes
    ``W_ci, W_cf, W_co``::

        i = sigmoid(W_xi * X + W_hi * H + W_ci o C_prev + b_i)
        f = sigmoid(W_xf * X + W_hf * H + W_cf o C_prev + b_f)
        C = f o C_prev + i o tanh(W_xc * X + W_hc * H + b_c)
        o = sigmoid(W_xo * X + W_ho * H + W_co o C + b_o)
        H = o o tanh(C)
    """
    z = _conv_same(x, w_x) + _conv_same(h, w_h) + b
    zi, zf, zc, zo = np.split(z, 4, axis=-1)
    w_ci, w_cf, w_co = w_c
    i = _sigmoid(zi + w_ci * c)
    f = _sigmoid(zf + w_cf * c)
    c_new = f * c + i * np.tanh(zc)
    o = _sigmoid(zo + w_co * c_new)
    return o * np.tanh(c_new), c_new


def test_convlstm_step_from_a_random_state_equals_the_equations():
    # The convlstm entry's own cell, one step from a random (H, C), with random weights and
    # biases: the forget gate, the recurrent kernels and the cell's carry are all exercised.
    # The notes' ConvLSTM equations are lost in extraction (only "where * are convolution
    # filters" is left); the paper's eq. 3 has Hadamard peepholes W_c o C, which Keras'
    # ConvLSTM2D (and so the model) does not have: the entry's declared departure, so the
    # reference is eq. 3 with W_c = 0 and the cell must have no weight besides the three below.
    model = keras_zoo.models.get("convlstm", preset="tiny")
    cell = model.get_layer("convlstm1").cell
    rng = np.random.default_rng(0)
    assert [tuple(w.shape) for w in cell.weights] == [(3, 3, 1, 32), (3, 3, 8, 32), (32,)]
    weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in cell.weights]
    cell.set_weights(weights)
    x = rng.random((2, 16, 16, 1)).astype(np.float32)
    h0 = rng.normal(size=(2, 16, 16, 8)).astype(np.float32)
    c0 = rng.normal(scale=2.0, size=(2, 16, 16, 8)).astype(np.float32)
    h1, (_, c1) = cell(x, [h0, c0])
    h, c = convlstm_step(x.astype(np.float64), h0, c0, *weights)
    np.testing.assert_allclose(np.asarray(c1), c, atol=1e-4)
    np.testing.assert_allclose(np.asarray(h1), h, atol=1e-4)
    # The state matters: from a zero state the same step lands elsewhere.
    h_zero, c_zero = convlstm_step(x.astype(np.float64), 0 * h0, 0 * c0, *weights)
    assert np.abs(c - c_zero).mean() > 0.3 and np.abs(h - h_zero).mean() > 0.1


def test_convgru_step_from_a_nonzero_state_equals_the_equations():
    # Ballas et al. 2016, eq. 4-7 (no peepholes: a GRU has no cell); the convgru entry's layer
    # with random weights and biases over two frames, the second step checked from the first
    # step's (non-zero) state, which the layer cannot be given directly (h_0 = 0). The layer's
    # own NumPy case (tests/layer_cases/video.py) runs three steps with zero biases.
    model = keras_zoo.models.get("convgru", preset="tiny")
    layer = model.get_layer("convgru1")
    rng = np.random.default_rng(1)
    weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in layer.weights]
    layer.set_weights(weights)
    w, u, b = (v.astype(np.float64) for v in weights)
    x = rng.random((2, 2, 16, 16, 1)).astype(np.float32)
    sequence = np.asarray(layer(x))  # return_sequences: h_1, h_2
    h1, h2 = sequence[:, 0].astype(np.float64), sequence[:, 1]
    f = layer.filters
    a = _conv_same(x[:, 1].astype(np.float64), w) + b
    z = _sigmoid(a[..., :f] + _conv_same(h1, u[..., :f]))
    r = _sigmoid(a[..., f:2 * f] + _conv_same(h1, u[..., f:2 * f]))
    candidate = np.tanh(a[..., 2 * f:] + _conv_same(r * h1, u[..., 2 * f:]))
    np.testing.assert_allclose(h2, (1 - z) * h1 + z * candidate, atol=1e-4)
    assert np.abs(h1).mean() > 0.1  # the step did start from a non-zero state


def test_moving_shapes_targets_are_the_next_frames():
    x, y = clip_data.next_frame(3, frames=5, image_size=(16, 16), seed=0)
    assert x.shape == y.shape == (3, 4, 16, 16, 1)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    assert np.abs(x - y).mean() > 0  # the shapes move


@pytest.mark.slow
def test_convlstm_beats_copying_the_last_frame():
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get("convlstm", preset="tiny", filters=(16,))
    task = get_task("next_frame")
    entry = keras_zoo.models.info("convlstm")
    task.compile(model, entry, learning_rate=2e-3)
    x, y = task.battery_data(model, entry, n=512)
    model.fit(x, y, batch_size=16, epochs=15, verbose=0)
    figures = task.evaluation_metrics(model, entry)
    print(figures)
    assert figures["mse"] < figures["copy_last_frame_mse"]


def test_ucf101_through_tfds_mock_data():
    # The mock's videos (random JPEG frames, 22-33 of them) and labels (85, 17, 48), as TFDS
    # stores them; the task's clips must be their frames, each with its own video's label.
    import tensorflow as tf
    import tensorflow_datasets as tfds

    assert clip_data.uniform_indices(10, 4).tolist() == [1, 3, 6, 8]
    assert clip_data.uniform_indices(2, 4).tolist() == [0, 0, 1, 1]
    task = get_task("video_classification")
    model = keras_zoo.models.get("c3d", preset="tiny", classes=101)
    entry = keras_zoo.models.info("c3d")

    def resized(frames, size=(16, 16)):
        frames = tf.image.resize(np.stack(frames), size, antialias=True)
        return np.clip(np.round(np.asarray(frames)), 0, 255).astype(np.uint8)

    with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
        encoded = list(tfds.as_numpy(tfds.load("ucf101/ucf101_1_256", split="train[:90%]",
                                               decoders={"video": tfds.decode.SkipDecoding()})))
        stored = list(tfds.as_numpy(tfds.load("ucf101/ucf101_1_256", split="test")))
        batches = [(np.asarray(x), np.asarray(y)) for x, y in task.dataset(
            model, entry, split="train", batch_size=2, data="ucf101", seed=1)]
        # In memory (two-stream models): frames uniformly over each video, labels in order.
        videos, labels = clip_data.load_ucf101("test", frames=4, image_size=(16, 16))
    assert labels.dtype == np.int32 and labels.tolist() == [int(e["label"]) for e in stored]
    assert videos.shape == (3, 4, 16, 16, 3) and videos.dtype == np.uint8
    for video, example in zip(videos, stored, strict=True):
        frames = example["video"]
        np.testing.assert_array_equal(
            video, resized(frames[clip_data.uniform_indices(len(frames), 4)]))
    # Training (TSN's segments, shuffled): every clip is 8 frames of one video, frame k from
    # its k-th segment, with that video's label; each video once an epoch.
    assert [tuple(x.shape) for x, _ in batches] == [(2, 8, 16, 16, 3), (1, 8, 16, 16, 3)]
    assert all(x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1 for x, _ in batches)
    decoded = [(resized([tf.io.decode_jpeg(f, 3) for f in e["video"]]), int(e["label"]))
               for e in encoded]
    seen = []
    for x, y in batches:
        for clip, label in zip(np.round(x * 255).astype(np.uint8), y, strict=True):
            (index, (frames, own)), = [(i, v) for i, v in enumerate(decoded)
                                       if any(np.array_equal(clip[0], f) for f in v[0])]
            assert int(label) == own
            n = len(frames)
            for k, frame in enumerate(clip):
                assert any(np.array_equal(frame, frames[i]) for i in range(k * n // 8,
                                                                           (k + 1) * n // 8))
            seen.append(index)
    assert sorted(seen) == [0, 1, 2]
