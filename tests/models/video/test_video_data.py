"""Video data: clip sampling in the tf.data pipeline (random clips, uniform frames, TSN segments,
SlowFast's one clip, two-stream flow taken with its clip, UCF101 read in the pipeline), the
resume property of its draws, the options it refuses, and the embedded motions clips (rotating,
growing, bouncing shapes), with (slow) the figures that show they need motion."""

import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.data import clips as clip_data
from keras_zoo.tasks import get_task
from keras_zoo.tasks.video import _augmenter, _per_clip

TASK = get_task("video_classification")


def _model(name, **config):
    return keras_zoo.models.get(name, preset="tiny", **config), keras_zoo.models.info(name)


def _epoch(ds, key=None):
    out = []
    for x, y in ds:
        out.append((np.asarray(x if key is None else x[key]), np.asarray(y)))
    return out


def _window_start(clip, video, stride=1):
    """The start s with ``clip == video[s + stride * arange(T)]`` (looped), else None."""
    t, n = len(clip), len(video)
    for s in range(n):
        if np.array_equal(clip, video[(s + stride * np.arange(t)) % n]):
            return s
    return None


def test_default_options_give_the_batches_of_before():
    # Every video recipe's figures were measured on these batches: the options' defaults
    # (video_frames = T, stride 1, sampling "clip") must not change a bit of them. The
    # reference is the pipeline as it was before the options.
    model, entry = _model("c3d")
    augment = ("flip_vertical", "translation")
    x, labels = clip_data.load("train", frames=8, image_size=(16, 16), n=12)
    from keras_zoo.data.pipeline import seeded_map

    def reference():
        ds = tf.data.Dataset.from_tensor_slices(({"clips": x}, labels % 4))
        ds = ds.shuffle(12, seed=3, reshuffle_each_iteration=True).batch(4)
        layers = _augmenter(augment, 3)

        def prepare(inputs, y):
            return _per_clip(layers, tf.cast(inputs["clips"], tf.float32) / 255.0), y

        return seeded_map(ds, prepare, layers, 3)

    for options in ({}, {"video_frames": 8, "sampling": "clip", "stride": 1}):
        ref = reference()
        new = TASK.dataset(model, entry, "train", batch_size=4, seed=3, n=12, augment=augment,
                           **options)
        for _ in range(2):  # two epochs: the reshuffle and the augmentation's keys too
            for (a, ya), (b, yb) in zip(_epoch(ref), _epoch(new), strict=True):
                np.testing.assert_array_equal(a, b)
                np.testing.assert_array_equal(ya, yb)


def test_index_functions():
    for length in (1, 2, 5, 10, 17, 33):
        for frames in (1, 3, 4, 8):
            np.testing.assert_array_equal(
                clip_data.uniform_clip_indices(length, frames).numpy(),
                clip_data.uniform_indices(length, frames))
            # TSN's evaluation frames are each segment's middle: the uniform ones.
            np.testing.assert_array_equal(
                clip_data.tsn_indices(length, frames, training=False).numpy(),
                clip_data.uniform_indices(length, frames))
    starts = {int(clip_data.clip_indices(20, 4, 3, True, (0, i))[0]) for i in range(60)}
    assert min(starts) == 0 and max(starts) == 20 - 10 and len(starts) > 6  # span 10
    assert clip_data.clip_indices(20, 4, 3, False).numpy().tolist() == [5, 8, 11, 14]
    assert clip_data.clip_indices(5, 8, 1, False).numpy().tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    seen = set()
    for i in range(40):  # 4 segments of 24 frames, snippets of 2 consecutive frames
        index = clip_data.tsn_indices(24, 4, 2, True, (1, i)).numpy().reshape(4, 2)
        assert np.all(index[:, 1] == index[:, 0] + 1)
        assert np.all(index[:, 0] >= 6 * np.arange(4)) and np.all(index[:, 1] < 6 * np.arange(
            1, 5))
        seen.add(tuple(index[:, 0]))
    assert len(seen) > 10
    assert clip_data.tsn_indices(24, 4, 2, False).numpy().tolist() == [2, 3, 8, 9, 14, 15, 20,
                                                                        21]


def test_training_clips_are_random_windows_drawn_per_seed_epoch_and_example():
    # A resumed run rebuilds the pipeline and creates e iterators before fit: epoch e's clips
    # (their starts in the longer videos) must be those of the uninterrupted run.
    model, entry = _model("c3d")
    videos, _ = clip_data.load("train", frames=14, image_size=(16, 16), n=6)

    def make(split="train"):
        return TASK.dataset(model, entry, split, batch_size=3, seed=3, n=6, video_frames=14,
                            stride=2)

    first = make()
    epochs = [_epoch(first) for _ in range(3)]
    clips = np.concatenate([x for x, _ in epochs[0]])
    assert clips.shape == (6, 8, 16, 16, 3)
    raw = [np.round(c * 255).astype(np.uint8) for c in clips]
    # Each clip is 8 frames 2 apart of one of the 14-frame videos; the span 15 > 14 loops.
    assert all(any(_window_start(c, v, 2) is not None for v in videos) for c in raw)
    assert not all(np.array_equal(a, b) for (a, _), (b, _) in zip(epochs[1], epochs[2],
                                                                   strict=True))
    resumed = make()
    for _ in range(2):
        iter(resumed)
    for (a, ya), (b, yb) in zip(epochs[2], _epoch(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ya, yb)
    held_out = make("validation")  # centred clips, the same every epoch
    for (a, _), (b, _) in zip(_epoch(held_out), _epoch(held_out), strict=True):
        np.testing.assert_array_equal(a, b)


def test_tsn_sampling_takes_a_frame_or_snippet_of_each_segment():
    videos, _ = clip_data.load("validation", frames=12, image_size=(16, 16), n=4)
    model, entry = _model("tsn")  # RGB: 3 segments of one frame
    ds = TASK.dataset(model, entry, "validation", batch_size=4, n=4, video_frames=12,
                      sampling="tsn")
    (x, _), = _epoch(ds)
    np.testing.assert_array_equal(np.round(x * 255).astype(np.uint8), videos[:, [2, 6, 10]])
    model, entry = _model("tsn", modality="rgb_diff", snippet_length=2,
                          input_shape=(6, 16, 16, 3))
    train = TASK.dataset(model, entry, "train", batch_size=4, n=4, video_frames=12,
                         sampling="tsn", seed=1)
    (x, y), = _epoch(train)
    x = np.round(x * 255).astype(np.uint8)
    videos, _ = clip_data.load("train", frames=12, image_size=(16, 16), n=4)
    for clip in x:  # 3 segments of 4 frames; a snippet of 2 consecutive frames in each
        owners = [v for v in videos if any(np.array_equal(clip[0], f) for f in v)]
        assert len(owners) == 1
        starts = [_window_start(clip[2 * k:2 * k + 2], owners[0]) for k in range(3)]
        assert all(s is not None and 4 * k <= s <= 4 * k + 2 for k, s in enumerate(starts))
    with pytest.raises(ValueError, match="stride=2 applies to sampling='clip' only"):
        TASK.dataset(model, entry, "train", video_frames=12, sampling="tsn", stride=2)


def test_slowfast_takes_one_clip_at_the_fast_rate():
    model, entry = _model("slowfast_r50")  # tiny: 8 fast frames, alpha 4
    videos, _ = clip_data.load("train", frames=24, image_size=(16, 16), n=4)
    ds = TASK.dataset(model, entry, "train", batch_size=4, n=4, video_frames=24, stride=2,
                      seed=2)
    (x, _), = _epoch(ds)
    x = np.round(x * 255).astype(np.uint8)
    starts = [[_window_start(c, v, 2) for v in videos] for c in x]
    assert all(sum(s is not None for s in row) == 1 for row in starts)
    assert all(s <= 24 - 15 for row in starts for s in row if s is not None)
    with pytest.raises(ValueError, match=r"sampling='tsn' is not supported for slowfast_r50.*"
                                         r"accepted: \['clip'\]"):
        TASK.dataset(model, entry, "train", sampling="tsn")
    inputs = keras.Input(model.inputs[0].shape[1:], name="clips")  # nested in another model
    outer = keras.Model(inputs, model(inputs), name="outer")
    with pytest.raises(ValueError, match=r"sampling='tsn' is not supported for outer"):
        TASK.dataset(outer, entry, "train", sampling="tsn")


def test_two_stream_flow_is_taken_with_its_clip(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_ZOO_CACHE", str(tmp_path))
    model, entry = _model("i3d_two_stream")
    t = model.inputs[0].shape[1]
    videos, _ = clip_data.load("train", frames=t + 3, image_size=tuple(
        model.inputs[0].shape[2:4]), n=2)
    flow = clip_data.optical_flow(videos)
    ds = TASK.dataset(model, entry, "train", batch_size=2, n=2, video_frames=t + 3, seed=4)
    (x, _), = [(a, b) for a, b in ds]
    clips = np.round(np.asarray(x["clips"]) * 255).astype(np.uint8)
    for clip, clip_flow in zip(clips, np.asarray(x["flow"]), strict=True):
        (i, s), = [(i, _window_start(clip, v)) for i, v in enumerate(videos)
                   if _window_start(clip, v) is not None]
        np.testing.assert_array_equal(clip_flow, flow[i, s:s + t - 1])
    with pytest.raises(ValueError, match="stride=2 is not supported for two-stream"):
        TASK.dataset(model, entry, "train", video_frames=t + 3, stride=2)
    with pytest.raises(ValueError, match=r"sampling='uniform' is not supported.*\['clip'\]"):
        TASK.dataset(model, entry, "train", sampling="uniform")
    with pytest.raises(ValueError, match="no flow across its seam"):
        TASK.dataset(model, entry, "train", video_frames=t - 1)


def test_unsupported_options_name_themselves_and_the_accepted():
    model, entry = _model("c3d")
    cases = [({"sampling": "random"}, r"unknown sampling 'random'; accepted: \['clip', "
                                      r"'uniform', 'tsn'\]"),
             ({"sampling": "uniform", "stride": 2}, "stride=2 applies to sampling='clip'"),
             ({"stride": 0}, "stride must be a positive int"),
             ({"stride": 2}, r"Accepted: video_frames >= 15 with stride=2"),
             ({"video_frames": 1}, "video_frames must be an int >= 2"),
             ({"data": "ucf101", "video_frames": 16}, "video_frames applies to the embedded"),
             ({"data": "clips_motion"}, "clips_motions"),
             ({"data": "clips_motions"}, "classes=12"),
             ({"data": "clips_motions", "augment": ("flip_vertical",)},
              "clockwise into counter-clockwise")]
    for options, message in cases:
        with pytest.raises(ValueError, match=message):
            TASK.dataset(model, entry, "train", **options)


def test_a_video_shorter_than_the_clip_is_looped():
    model, entry = _model("c3d")
    videos, _ = clip_data.load("test", frames=5, image_size=(16, 16), n=2)
    (x, _), = _epoch(TASK.dataset(model, entry, "test", batch_size=2, n=2, video_frames=5))
    np.testing.assert_array_equal(np.round(x * 255).astype(np.uint8),
                                  videos[:, [0, 1, 2, 3, 4, 0, 1, 2]])


def test_ucf101_frames_are_sampled_and_decoded_in_the_pipeline():
    import tensorflow_datasets as tfds

    model, entry = _model("c3d", classes=101)
    with tfds.testing.mock_data(num_examples=2, policy=tfds.testing.MockPolicy.USE_CODE):
        # The videos' frames as stored (the mock's: random JPEGs, the same in every split),
        # decoded and resized.
        def decoded(e):
            video = tf.map_fn(lambda f: tf.io.decode_jpeg(f, 3), e["video"],
                              fn_output_signature=tf.uint8)
            video = tf.image.resize(video, (16, 16), antialias=True)
            return tf.cast(tf.clip_by_value(tf.round(video), 0, 255), tf.uint8), e["label"]

        stored = list(tfds.as_numpy(tfds.load(
            "ucf101/ucf101_1_256", split="test",
            decoders={"video": tfds.decode.SkipDecoding()}).map(decoded)))
        # Evaluation: each of 8 segments' middle frame (load_ucf101's uniform frames).
        (x, y), = _epoch(TASK.dataset(model, entry, "test", batch_size=2, data="ucf101"))
        # Training: a random frame of each of the 8 segments of the whole video, drawn anew
        # every epoch, as a function of (seed, epoch, example).
        first = TASK.dataset(model, entry, "train", batch_size=2, data="ucf101", seed=5)
        epochs = [_epoch(first) for _ in range(2)]
        resumed = TASK.dataset(model, entry, "train", batch_size=2, data="ucf101", seed=5)
        iter(resumed)
        again = _epoch(resumed)
    np.testing.assert_array_equal(
        np.round(x * 255).astype(np.uint8),
        np.stack([v[clip_data.uniform_indices(len(v), 8)] for v, _ in stored]))
    np.testing.assert_array_equal(y, [label for _, label in stored])
    assert not np.array_equal(epochs[0][0][0], epochs[1][0][0])
    for (a, ya), (b, yb) in zip(epochs[1], again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ya, yb)
    for x, _ in epochs[0]:
        for clip in np.round(x * 255).astype(np.uint8):
            owner = [v for v, _ in stored if any(np.array_equal(clip[0], g) for g in v)]
            assert len(owner) == 1
            n = len(owner[0])
            for k, frame in enumerate(clip):  # frame k lies in segment k
                at = [i for i, g in enumerate(owner[0]) if np.array_equal(frame, g)]
                assert any(k * n // 8 <= i < (k + 1) * n // 8 for i in at), (k, at, n)


def test_motion_clips_are_seeded_balanced_and_move_as_named():
    a, la = clip_data.generate_motions(24, frames=5, image_size=(20, 20), seed=3)
    b, lb = clip_data.generate_motions(24, frames=5, image_size=(20, 20), seed=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert a.shape == (24, 5, 20, 20, 3) and a.dtype == np.uint8
    assert np.bincount(la, minlength=12).tolist() == [2] * 12
    assert len(clip_data.MOTION_CLASSES) == 12 and "triangle counter-clockwise" in \
        clip_data.MOTION_CLASSES
    with pytest.raises(ValueError, match="at least 3 frames"):
        clip_data.generate_motions(4, frames=2)
    bright = a.mean(axis=-1) > 100
    area = bright.sum(axis=(2, 3)).astype(float)
    yy, xx = np.mgrid[0:20, 0:20]
    centre = np.stack([(bright * xx).sum(axis=(2, 3)), (bright * yy).sum(axis=(2, 3))],
                      -1).astype(float)
    centre /= np.maximum(area, 1)[..., None]
    for clip, label, size, c in zip(a, la, area, centre, strict=True):
        motion = clip_data.MOTIONS[label % 6]
        if motion == "growing":
            assert size[-1] > 2 * size[0]
        elif motion == "shrinking":
            assert size[0] > 2 * size[-1]
        else:
            assert 0.6 < size[-1] / size[0] < 1.6
        path = np.linalg.norm(c[-1] - c[0])
        steps = np.diff(c, axis=0)
        turns = (steps @ steps.T).min()  # < 0: two steps of the clip go opposite ways
        if motion == "passing":
            assert path > 0.3 * 20 and turns > 0
        elif motion in ("clockwise", "counter-clockwise"):
            assert path < 1.0 and not np.array_equal(clip[0], clip[-1])
        elif motion == "bouncing":  # out, then back the way it came
            assert turns < -1.0


def test_the_task_loads_the_motions_and_names_their_classes():
    model, entry = _model("c3d", classes=12)
    (x, y), = _epoch(TASK.dataset(model, entry, "validation", batch_size=12, n=12,
                                  data="clips_motions"))
    assert x.shape == (12, 8, 16, 16, 3) and sorted(y.tolist()) == list(range(12))
    p = np.zeros((1, 12), np.float32)
    p[0, 6] = 1.0
    assert TASK.describe_prediction({"probabilities": p}).startswith("triangle clockwise 1.000")


@pytest.mark.slow
def test_motions_need_motion_3d_network_by_its_recipe_single_frame_at_chance(tmp_path):
    # R(2+1)D-18 by the "video_motions" recipe at twice the tiny widths (the tiny 4-8 channels
    # under-fit the 12 classes: 0.672, training/recipes/video.py), against a CNN on the middle
    # frame, which sees the shape but not the motion: within each motion-only pair (clockwise
    # or counter-clockwise, growing or shrinking, bouncing or passing) it is near chance.
    import training

    start, cpu = time.time(), time.process_time()
    result = training.train("r2plus1d_18", recipe="video_motions", out=str(tmp_path / "run"),
                            verbose=0, filters=(8, 16), stem_filters=8)
    wall, cpu = time.time() - start, time.process_time() - cpu
    accuracy = result.test_metrics["accuracy"]
    keras.utils.set_random_seed(0)
    x, y = clip_data.load("train", frames=8, image_size=(16, 16), data="clips_motions", n=2048)
    xt, yt = clip_data.load("test", frames=8, image_size=(16, 16), data="clips_motions")
    frame = keras.Sequential([
        keras.Input((16, 16, 3)), keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(), keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(12, activation="softmax")])
    frame.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    frame.fit(x[:, 4] / 255.0, y, epochs=15, batch_size=32, verbose=0)
    probabilities = frame.predict(xt[:, 4] / 255.0, verbose=0)
    p = probabilities.argmax(-1)
    shape = float(np.mean(p // 6 == yt // 6))
    # Within its motion-only pair (classes 2k, 2k + 1), is the clip's class the more probable?
    rows = np.arange(len(yt))
    within = float(np.mean(probabilities[rows, yt] > probabilities[rows, yt ^ 1]))
    print(f"r2plus1d_18 held out {accuracy:.3f} ({wall:.0f} s wall, {cpu:.0f} s CPU); middle "
          f"frame: accuracy {np.mean(p == yt):.3f}, shape {shape:.3f}, within motion-only "
          f"pairs {within:.3f}")
    assert accuracy >= 0.9
    assert shape > 0.75  # chance 0.5
    assert 0.35 < within < 0.65


def test_a_head_with_fewer_classes_than_the_data_is_refused():
    # Labels modulo the head's size would merge classes (UCF101's 101 into 4) silently.
    import tensorflow_datasets as tfds

    model, entry = _model("c3d", classes=2)
    message = (r"data 'clips' has 4 classes, the model's head 2; build it with classes=4 "
               r"\(`keras-zoo train c3d --data clips --config classes=4`")
    with pytest.raises(ValueError, match=message):
        TASK.dataset(model, entry, "train", n=4)
    with pytest.raises(ValueError, match=message):
        TASK.battery_data(model, entry, n=4)
    model, entry = _model("c3d")  # the tiny head: 4 classes
    two_stream, two_stream_entry = _model("two_stream")
    ucf101 = r"data 'ucf101' has 101 classes, the model's head 4; .*--config classes=101"
    with tfds.testing.mock_data(num_examples=2, policy=tfds.testing.MockPolicy.USE_CODE):
        with pytest.raises(ValueError, match=ucf101):  # frames decoded in the pipeline
            TASK.dataset(model, entry, "test", data="ucf101")
        with pytest.raises(ValueError, match=ucf101):  # loaded in memory (with its flow)
            TASK.dataset(two_stream, two_stream_entry, "test", data="ucf101")
        # A head of 101 takes the mock's labels (85, 17) as they are.
        model, entry = _model("c3d", classes=101)
        (_, y), = _epoch(TASK.dataset(model, entry, "test", batch_size=2, data="ucf101"))
        stored = [int(e["label"]) for e in tfds.as_numpy(tfds.load("ucf101/ucf101_1_256",
                                                                   split="test"))]
    assert y.tolist() == stored and max(stored) >= 4


def _flow_case():
    """A clip of the embedded data (32 x 32, 8 frames) and its OpenCV flow."""
    videos, _ = clip_data.load("train", frames=8, image_size=(32, 32), n=1)
    return videos, clip_data.optical_flow(videos, cache=False)


def _transformed(layer, transformation, videos, flow):
    from keras_zoo.tasks.video import _channels, _flow_twin, _frames, transform_clip_and_flow

    clips = tf.constant(videos, tf.float32)
    images, motion = transform_clip_and_flow(layer, _flow_twin(layer), _channels(clips),
                                             _channels(tf.constant(flow)), transformation)
    clip = np.clip(np.round(np.asarray(_frames(images, tf.shape(clips)))), 0, 255)
    return clip.astype(np.uint8), np.asarray(_frames(motion, tf.shape(flow)))


def test_the_flow_is_flipped_and_shifted_with_its_clip(tmp_path, monkeypatch):
    # The flow of the augmented clip (computed again by OpenCV) is the augmented flow: a
    # vertical flip mirrors the field and negates dy; a shift moves the field, values kept.
    monkeypatch.setenv("KERAS_ZOO_CACHE", str(tmp_path))
    videos, flow = _flow_case()
    flip = keras.layers.RandomFlip("vertical")
    clip, moved = _transformed(flip, {"flips": tf.constant([[[[True]]]])}, videos, flow)
    np.testing.assert_array_equal(clip, videos[:, :, ::-1])
    again = clip_data.optical_flow(clip, cache=False)
    inner = (slice(None), slice(None), slice(4, 28), slice(4, 28))
    np.testing.assert_allclose(moved[inner], again[inner], atol=1e-3)
    assert np.abs(again[..., 1]).max() > 0.5  # dy is there to negate
    assert np.abs(flow[:, :, ::-1][inner] - again[inner]).max() > 0.5  # flipping alone: wrong
    shift = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="nearest")
    clip, moved = _transformed(shift, {"translations": tf.constant([[3.0, -2.0]])}, videos, flow)
    np.testing.assert_array_equal(clip[:, :, 4:30, 4:29], videos[:, :, 6:32, 1:26])
    np.testing.assert_array_equal(moved[:, :, :30, 3:], flow[:, :, 2:, :29])  # values kept
    assert np.all(moved[:, :, 30:] == 0) and np.all(moved[:, :, :, :3] == 0)  # no flow known
    again = clip_data.optical_flow(clip, cache=False)
    inner = (slice(None), slice(None), slice(6, 26), slice(6, 26))
    error = np.abs(moved[inner] - again[inner])
    unmoved = np.abs(flow[inner] - again[inner])
    print(f"shift: mean |error| {error.mean():.4f} (unshifted flow {unmoved.mean():.4f}), "
          f"within 0.1 px {np.mean(error < 0.1):.3f}")
    assert error.mean() < 0.06 and np.mean(error < 0.1) > 0.85  # measured 0.030, 0.90
    assert unmoved.mean() > 0.15  # measured 0.25: the check tells a moved field from not


def test_two_stream_augmentation_draws_once_for_the_clip_and_its_flow(tmp_path, monkeypatch):
    # Through the pipeline: the clips are those of the clip-only augmentation (the same draws,
    # seeded and keyed alike), the flow of the augmented clip (OpenCV again) is the augmented
    # flow on the interior, and a second pipeline of the same seed gives the same batches.
    from keras_zoo.data.pipeline import seeded_map

    monkeypatch.setenv("KERAS_ZOO_CACHE", str(tmp_path))
    model, entry = _model("two_stream", input_shape=(5, 32, 32, 3))
    augment = ("flip_vertical", "translation")

    def make():
        return TASK.dataset(model, entry, "train", batch_size=4, n=8, seed=7, augment=augment)

    first = [(np.asarray(x["clips"]), np.asarray(x["flow"]), np.asarray(y)) for x, y in make()]
    second = [(np.asarray(x["clips"]), np.asarray(x["flow"]), np.asarray(y)) for x, y in make()]
    for a, b in zip(first, second, strict=True):
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(u, v)
    x, labels = TASK._arrays(model, entry, "train", 8)
    ds = tf.data.Dataset.from_tensor_slices((x, labels)).shuffle(8, seed=7,
                                                                 reshuffle_each_iteration=True)
    layers = _augmenter(augment, 7)
    reference = seeded_map(ds.batch(4), lambda inputs, y: (_per_clip(
        layers, tf.cast(inputs["clips"], tf.float32) / 255.0), inputs["flow"], y), layers, 7)
    errors, unmoved = [], []
    for (clips, flow, y), (ref, raw_flow, ref_y) in zip(first, reference, strict=True):
        np.testing.assert_array_equal(clips, np.asarray(ref))
        np.testing.assert_array_equal(y, np.asarray(ref_y))
        again = clip_data.optical_flow(np.round(clips * 255).astype(np.uint8), cache=False)
        inner = (slice(None), slice(None), slice(6, 26), slice(6, 26))
        errors.append(np.abs(flow[inner] - again[inner]).mean())
        unmoved.append(np.abs(np.asarray(raw_flow)[inner] - again[inner]).mean())
    print(f"pipeline: mean |error| {np.mean(errors):.4f} (unaugmented flow "
          f"{np.mean(unmoved):.4f})")
    assert np.mean(errors) < 0.5 * np.mean(unmoved)


def test_tsn_samples_its_segments_by_default():
    # TSN's own sampling (section 3.1) unless told otherwise: on a 12-frame video the RGB
    # TSN's 3 frames are the segments' middle ones for evaluation, not a centred 3-frame clip.
    from keras_zoo.tasks.video import _Sampling

    videos, _ = clip_data.load("validation", frames=12, image_size=(16, 16), n=4)
    model, entry = _model("tsn")
    (x, _), = _epoch(TASK.dataset(model, entry, "validation", batch_size=4, n=4,
                                  video_frames=12))
    np.testing.assert_array_equal(np.round(x * 255).astype(np.uint8), videos[:, [2, 6, 10]])
    (x, _), = _epoch(TASK.dataset(model, entry, "validation", batch_size=4, n=4,
                                  video_frames=12, sampling="clip"))
    np.testing.assert_array_equal(np.round(x * 255).astype(np.uint8), videos[:, [4, 5, 6]])
    for data in ("clips", "ucf101"):
        assert _Sampling(model, data, None, None, None).sampling == "tsn"
    # Its 3-frame video is the clip itself, as before: the recipe's batches do not change.
    assert _Sampling(model, "clips", None, None, None).identity
    with pytest.raises(ValueError, match="stride=2 applies to sampling='clip' only"):
        TASK.dataset(model, entry, "train", video_frames=12, stride=2)


def test_tsn_is_recognised_by_its_consensus_renamed_nested_or_loaded(tmp_path):
    # The RGB-difference TSN's snippet length is read from its SegmentalConsensus' config: in
    # a model renamed, nested in another (where get_layer finds no "snippet_frames"), and
    # loaded from a .keras file with safe_mode=True.
    from keras_zoo.layers import SegmentalConsensus
    from keras_zoo.models.video.tsn import TSN
    from keras_zoo.tasks.video import is_tsn, tsn_snippet_length

    model = TSN(filters=(4,), modality="rgb_diff", snippet_length=3, input_shape=(6, 16, 16, 3),
                classes=4, name="renamed")
    inputs = keras.Input((6, 16, 16, 3), name="clips")
    outer = keras.Model(inputs, model(inputs), name="outer")
    path = str(tmp_path / "tsn.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    for m in (model, outer, loaded):
        assert is_tsn(m) and tsn_snippet_length(m) == 3, m.name
    consensus = loaded.get_layer("segmental_consensus")
    assert isinstance(consensus, SegmentalConsensus) and consensus.segments == 2
    x = np.random.default_rng(0).random((2, 6, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
    plain, _ = _model("c3d")
    assert not is_tsn(plain) and tsn_snippet_length(plain) == 1


def test_x3d_samples_ucf101_clips_at_its_gamma_tau():
    # X3D's gamma_tau (section 3, Table 3: the frame stride) is the stride of the UCF101 clips
    # the task samples for each variant; the embedded videos are the clip itself (stride 1).
    import tensorflow_datasets as tfds

    from keras_zoo.models.video import x3d
    from keras_zoo.tasks.video import _Sampling, frame_stride

    for key in ("xs", "s", "m", "l"):
        model, entry = _model(f"x3d_{key}", classes=101)
        assert entry.data_options == {"ucf101": {"stride": x3d.EXPANSIONS[key]["gamma_tau"]}}
        assert frame_stride(entry, "ucf101") == x3d.EXPANSIONS[key]["gamma_tau"]
        assert frame_stride(entry, "clips") is None  # the embedded clips: the clip itself
        plan = _Sampling(model, "ucf101", None, None, None, frame_stride(entry, "ucf101"))
        assert (plan.sampling, plan.stride) == ("clip", x3d.EXPANSIONS[key]["gamma_tau"])
        plan = _Sampling(model, "clips", None, None, None, frame_stride(entry, "clips"))
        assert (plan.sampling, plan.stride, plan.identity) == ("clip", 1, True)
    # A stride or sampling given is kept; a model without a paper stride is unchanged.
    assert _Sampling(model, "ucf101", None, 2, None, 5).stride == 2
    assert _Sampling(model, "ucf101", None, None, "tsn", 5).sampling == "tsn"
    assert frame_stride(keras_zoo.models.info("c3d")) is None
    model, entry = _model("x3d_m", classes=101)  # gamma_tau 5; the tiny clip: 8 frames
    with tfds.testing.mock_data(num_examples=2, policy=tfds.testing.MockPolicy.USE_CODE):
        stored = [e["video"] for e in tfds.as_numpy(tfds.load(
            "ucf101/ucf101_1_256", split="test", decoders={"video": tfds.decode.SkipDecoding()}))]
        (x, _), = _epoch(TASK.dataset(model, entry, "test", batch_size=2, data="ucf101"))
    clips = np.round(x * 255).astype(np.uint8)
    for clip, video in zip(clips, stored, strict=True):  # centred, 5 apart (looped if short)
        index = clip_data.clip_indices(len(video), 8, 5, False).numpy()
        assert len(video) > 8 and np.all(np.diff(index) % len(video) == 5 % len(video))
        frames = np.stack([tf.io.decode_jpeg(video[i], 3) for i in index])
        resized = tf.image.resize(frames, (16, 16), antialias=True)
        expected = np.clip(np.round(np.asarray(resized)), 0, 255).astype(np.uint8)
        np.testing.assert_array_equal(clip, expected)
