"""Video classification: uint8 clips ``[batch, T, H, W, 3]`` in, class probabilities out.

A model with one input takes the clip. The data: the embedded clips (``data="clips"``: shapes
moving left or right, 4 classes), the embedded motions (``data="clips_motions"``: shapes that
rotate, grow or shrink, bounce or pass, 12 classes) or UCF101 through tensorflow-datasets
(``data="ucf101"``). ``dataset`` takes the model's T frames from a longer source video inside
the ``tf.data`` pipeline (``video_frames``, ``stride``, ``sampling``: a random clip for training
and a centred one for evaluation, frames spread uniformly, or TSN's segments; SlowFast's two
frame rates from one clip), every random draw a function of (seed, epoch, example).

A two-stream model (Simonyan & Zisserman 2014) takes two named inputs, ``clips`` and ``flow``
(``[batch, T - 1, H, W, 2]`` optical flow in pixels, what ``keras_zoo.data.clips.optical_flow``
computes with OpenCV, since flow cannot be computed in a TF-Serving graph with builtin ops);
its serving signature takes both; augmentation moves the flow with its clip (one draw).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask
from keras_zoo.tasks.classification import ClassificationTask, check_classes

#: Augmentations applied identically to every frame of a clip. A horizontal flip is absent on
#: purpose: it turns "moving right" into "moving left", another class of the embedded clips (and
#: a vertical one is refused on the motions: it turns clockwise into counter-clockwise).
AUGMENTATIONS = ("flip_vertical", "translation")


#: Decorrelates the clip sampling's stateless seeds from the batch augmentation's, which
#: ``seeded_map`` derives from the same key stream.
_SAMPLING_SALT = 0x5A3C
#: Encoded UCF101 examples the training split's shuffle buffer holds (a few MB each).
UCF101_SHUFFLE_BUFFER = 128


def clip_shape(model):
    """``(T, H, W, C)`` of the model's clip input; a clear error if it is not fixed."""
    spec = {t.name.split(":")[0]: t for t in model.inputs} if model.inputs else {}
    clips = spec.get("clips", model.inputs[0] if model.inputs else None)
    shape = tuple(clips.shape[1:]) if clips is not None else ()
    if len(shape) != 4 or None in shape:
        raise ValueError(f"{model.name}: a video model needs a clip input of fixed (T, H, W, C), "
                         f"got {shape}.")
    return shape


def is_two_stream(model) -> bool:
    """Two-stream models are those whose inputs are named ``clips`` and ``flow``."""
    return sorted(t.name.split(":")[0] for t in model.inputs) == ["clips", "flow"]


def slowfast_alpha(model):
    """SlowFast's ``alpha`` (fast frames per slow frame) when ``model`` is a SlowFast network,
    which takes the fast clip and picks every alpha-th frame for its slow pathway in its graph
    (``keras_zoo.models.video.slowfast.slow_frames``: the ``slow_groups`` reshape); else None.

    Read from that layer's name and target shape, in ``model`` or a model nested in it (layer
    names are saved in a ``.keras`` file and kept when the model is renamed, not when its layers
    are; ``keras_zoo.models.video.slowfast`` has no layer recording alpha in its config yet, as
    TSN's ``SegmentalConsensus`` records its sampling). Its sampling is ``sample_clip``'s at the
    fast stride, so what depends on it is the refusal of the other samplings."""
    import keras

    layer = next((layer for layer in _layers(model) if layer.name == "slow_groups"
                  and isinstance(layer, keras.layers.Reshape)), None)
    return None if layer is None else int(layer.target_shape[1])


def _layers(model):
    """The layers of ``model``, those of the models nested in it too."""
    import keras

    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _layers(layer)


def tsn_consensus(model):
    """The ``SegmentalConsensus`` layer of a TSN (``keras_zoo.models.video.tsn``), which records
    its segments and snippet length in its config (so a renamed model, or one loaded with
    ``safe_mode=True``, is still recognised); else None."""
    from keras_zoo.layers import SegmentalConsensus

    return next((layer for layer in _layers(model) if isinstance(layer, SegmentalConsensus)),
                None)


def _legacy_tsn_layer(model, name):
    """A TSN saved before its consensus recorded its sampling is known by its layer names."""
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def is_tsn(model) -> bool:
    """Whether ``model`` is a TSN (its segmental consensus; see ``tsn_consensus``)."""
    return (tsn_consensus(model) is not None
            or _legacy_tsn_layer(model, "segmental_consensus") is not None)


def tsn_snippet_length(model) -> int:
    """Frames a TSN snippet: ``snippet_length`` of an RGB-difference TSN (the one its
    ``SegmentalConsensus`` records), else 1."""
    consensus = tsn_consensus(model)
    if consensus is not None:
        return consensus.snippet_length
    layer = _legacy_tsn_layer(model, "snippet_frames")  # [segments, snippet_length, ...]
    return 1 if layer is None else int(layer.target_shape[1])


def frame_stride(entry, data="ucf101"):
    """The temporal stride at which the paper of ``entry``'s model samples its clips from
    ``data`` (its entry's ``data_options``: X3D's gamma_tau on UCF101), else None."""
    options = getattr(entry, "data_options", None) or {}
    return options.get(data, {}).get("stride")


class _ClipSeeds:
    """A holder whose ``generator`` ``seeded_map`` replaces by one keyed by each element: the
    clip sampling's draws are a function of (seed, epoch, example)."""

    def __init__(self, seed):
        self.seed, self.generator = seed, None

    def next(self):
        return tf.random.experimental.stateless_fold_in(self.generator.next(), _SAMPLING_SALT)


class _Sampling:
    """The checked sampling options of one ``dataset`` call (see its docstring)."""

    def __init__(self, model, data, video_frames, stride, sampling, paper_stride=None):
        from keras_zoo.data import clips as clip_data

        t = clip_shape(model)[0]
        self.frames, self.alpha = t, slowfast_alpha(model)
        self.two_stream, self.snippet = is_two_stream(model), tsn_snippet_length(model)
        accepted = list(clip_data.SAMPLINGS)
        if self.alpha is not None:
            accepted = ["clip"]    # one clip at the fast frame rate (slowfast_clip)
        elif self.two_stream:
            accepted = ["uniform"] if data == "ucf101" else ["clip"]
        # A model whose paper samples clips from this data at a frame stride (X3D's gamma_tau on
        # UCF101: its entry's data_options) takes such a clip where it may choose its sampling.
        paper_stride = paper_stride if len(accepted) > 1 else None
        if sampling is None:
            if len(accepted) == 1:
                sampling = accepted[0]
            elif is_tsn(model):  # TSN's own sparse sampling (section 3.1), on any data
                sampling = "tsn"
            elif data == "ucf101":
                sampling = "tsn" if paper_stride is None else "clip"
            else:
                sampling = "clip"
        if stride is None and sampling == "clip" and paper_stride is not None:
            stride = paper_stride
        if sampling not in clip_data.SAMPLINGS:
            raise ValueError(f"task 'video_classification': unknown sampling {sampling!r}; "
                             f"accepted: {list(clip_data.SAMPLINGS)}.")
        if sampling not in accepted:
            why = ("SlowFast takes one clip at the fast frame rate, from which its graph takes "
                   "the slow pathway's frames (slowfast_clip)" if self.alpha is not None else
                   "a two-stream model's optical flow is computed by OpenCV outside the graph, "
                   "between the frames of consecutive clip frames")
            raise ValueError(f"task 'video_classification': sampling={sampling!r} is not "
                             f"supported for {model.name} on data {data!r} ({why}); accepted: "
                             f"{accepted}.")
        if stride is not None:
            if sampling != "clip":
                raise ValueError(f"task 'video_classification': stride={stride!r} applies to "
                                 f"sampling='clip' only (frames stride apart), not "
                                 f"{sampling!r}; accepted with {sampling!r}: stride=None.")
            if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
                raise ValueError(f"task 'video_classification': stride must be a positive int, "
                                 f"got {stride!r}.")
            if self.two_stream and stride != 1:
                raise ValueError(f"task 'video_classification': stride={stride} is not "
                                 f"supported for two-stream {model.name} (its flow is between "
                                 f"consecutive frames); accepted: stride=1.")
        if video_frames is not None:
            if data == "ucf101":
                raise ValueError("task 'video_classification': video_frames applies to the "
                                 "embedded clips (the length of the video drawn); a UCF101 "
                                 "video keeps its own length. Accepted with data='ucf101': "
                                 "video_frames=None.")
            if (isinstance(video_frames, bool) or not isinstance(video_frames, int)
                    or video_frames < 2):
                raise ValueError(f"task 'video_classification': video_frames must be an int "
                                 f">= 2, got {video_frames!r}.")
            if self.two_stream and video_frames < t:
                raise ValueError(f"task 'video_classification': video_frames={video_frames} "
                                 f"is shorter than {model.name}'s {t}-frame clip; a looped "
                                 f"video has no flow across its seam. Accepted: video_frames "
                                 f">= {t}.")
        if stride not in (None, 1) and video_frames is None and data != "ucf101":
            span = (t - 1) * stride + 1
            raise ValueError(f"task 'video_classification': stride={stride} takes frames "
                             f"{stride} apart from a video longer than the {t}-frame clip; "
                             f"the embedded video is {t} frames unless video_frames says "
                             f"otherwise (it would be looped). Accepted: video_frames >= "
                             f"{span} with stride={stride}.")
        self.sampling, self.stride = sampling, stride or 1
        self.video_frames = t if video_frames is None else video_frames

    @property
    def identity(self) -> bool:
        """Whether every sampling takes the whole video as it is (``video_frames`` = T at
        stride 1): the clips of before these options, unchanged."""
        return self.video_frames == self.frames and self.stride == 1

    def indices(self, length, training, seed):
        """The ``[T]`` frame indices taken from a video of ``length`` frames."""
        from keras_zoo.data import clips as clip_data

        if self.sampling == "uniform":
            return clip_data.uniform_clip_indices(length, self.frames)
        if self.sampling == "tsn":
            return clip_data.tsn_indices(length, self.frames // self.snippet, self.snippet,
                                         training, seed)
        return clip_data.clip_indices(length, self.frames, self.stride, training, seed)

    def take(self, video, training, seed):
        """The model's clip from ``video`` (decoded frames or encoded ones: any ``[N, ...]``)."""
        from keras_zoo.data import clips as clip_data

        if self.alpha is not None:
            return clip_data.slowfast_clip(video, self.frames // self.alpha, self.alpha,
                                           self.stride * self.alpha, training, seed)
        return tf.gather(video, self.indices(tf.shape(video)[0], training, seed))


def _augmenter(augment, seed):
    import keras

    unknown = [a for a in augment if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"task 'video_classification': unknown augmentation(s) {unknown}; "
                         f"accepted: {list(AUGMENTATIONS)}.")
    layers = []
    if "flip_vertical" in augment:
        layers.append(keras.layers.RandomFlip("vertical", seed=seed))
    if "translation" in augment:
        layers.append(keras.layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=seed))
    return layers


def _per_clip(layers, clips):
    """Applies image augmentation layers to a batch of clips with one draw per clip: the
    frames are stacked as channels (``[B, H, W, T*C]``), so every frame gets the same
    transform."""
    images = _channels(clips)
    for layer in layers:
        images = layer(images, training=True)
    return _frames(images, tf.shape(clips))


def _flow_twin(layer):
    """The layer that applies ``layer``'s transformation to optical flow: the same layer for a
    flip (its sign is ``_per_clip_and_flow``'s), a translation filling with zero flow (no
    motion is known outside the frame) instead of the clip's nearest pixels."""
    import keras

    if isinstance(layer, keras.layers.RandomTranslation):
        return keras.layers.RandomTranslation(
            layer.height_factor, layer.width_factor, fill_mode="constant", fill_value=0.0,
            interpolation=layer.interpolation)
    if isinstance(layer, keras.layers.RandomFlip) and layer.mode in ("vertical", "horizontal"):
        return layer
    raise ValueError(f"task 'video_classification': no flow transformation for "
                     f"{type(layer).__name__} ({getattr(layer, 'mode', '')}).")


def _channels(x):
    """``[B, T, H, W, C]`` -> ``[B, H, W, T * C]`` (frame t in channels t*C .. (t+1)*C)."""
    b, t, h, w, c = (tf.shape(x)[i] for i in range(5))
    return tf.reshape(tf.transpose(x, [0, 2, 3, 1, 4]), [b, h, w, t * c])


def _frames(images, shape):
    """The inverse of ``_channels`` for a ``shape`` ``[B, T, H, W, C]``."""
    b, t, h, w, c = (shape[i] for i in range(5))
    return tf.transpose(tf.reshape(images, [b, h, w, t, c]), [0, 3, 1, 2, 4])


def transform_clip_and_flow(layer, twin, images, motion, transformation):
    """``layer``'s ``transformation`` (one of its random draws) applied to a batch of clips and
    to their optical flow, both stacked as channels (``[B, H, W, T * 3]``, ``[B, H, W,
    (T - 1) * 2]``, (dx, dy) pairs): the flow field moves with the image (``twin``, see
    ``_flow_twin``) and, where the image is mirrored, so is the motion: dy (vertical flip) or
    dx (horizontal) changes sign.

    Args:
        layer: a ``keras.layers.RandomFlip`` or ``RandomTranslation`` (``_augmenter``'s).
        twin: ``_flow_twin(layer)``.
        images, motion: the clips and their flow stacked as channels (``_channels``).
        transformation: ``layer.get_random_transformation(images)``'s (a flip's ``flips``
            ``[B, 1, 1, 1]``, a translation's ``translations`` ``[B, 2]``: (x, y) in pixels).
    Returns:
        ``(images, motion)`` transformed.
    """
    import keras

    images = layer.transform_images(images, transformation, training=True)
    motion = twin.transform_images(motion, transformation, training=True)
    if isinstance(layer, keras.layers.RandomFlip):
        pairs = tf.shape(motion)[-1] // 2
        sign = tf.constant([1.0, -1.0] if layer.mode == "vertical" else [-1.0, 1.0])
        motion = tf.where(transformation["flips"], motion * tf.tile(sign, [pairs]), motion)
    return images, motion


def _per_clip_and_flow(layers, twins, clips, flow):
    """``_per_clip`` for a two-stream model: one draw per clip for all its frames and its flow
    (``transform_clip_and_flow``). The clip's draws are those ``_per_clip`` makes."""
    images, motion = _channels(clips), _channels(flow)
    for layer, twin in zip(layers, twins, strict=True):
        transformation = layer.get_random_transformation(images, training=True)
        images, motion = transform_clip_and_flow(layer, twin, images, motion, transformation)
    return _frames(images, tf.shape(clips)), _frames(motion, tf.shape(flow))


class VideoClassificationTask(ArraysTask, ClassificationTask):
    """Arrays in memory (``ArraysTask``: serving, test and calibration examples from the
    splits), compiled, exported and int8-checked as a classifier."""

    name = "video_classification"
    data_names = ("clips", "clips_motions", "ucf101")
    #: The ``dataset`` options that say what a clip is, which the held-out splits need as the
    #: training split does (the others, augmentation and sizes, are the training split's).
    split_options = ("data", "video_frames", "stride", "sampling")

    def _arrays(self, model, entry, split, n=None, data=None, frames=None):
        from keras_zoo.data import clips as clip_data

        t, h, w, c = clip_shape(model)
        if data == "ucf101":  # frames sampled uniformly over each video, resized
            check_classes(model, data, clip_data.UCF101_CLASSES)
            videos, labels = clip_data.load_ucf101(split, frames=t, image_size=(h, w), limit=n)
        else:
            data = data or "clips"
            names = clip_data.DATA.get(data, ())
            if names:  # an unknown name: load's error
                # The motions' own recipe (no flips: a mirror swaps the rotations' classes).
                check_classes(model, data, len(names),
                              recipe="video_motions" if data == "clips_motions" else None)
            videos, labels = clip_data.load(split, frames=frames or t, image_size=(h, w), n=n,
                                            data=data)
        x = {"clips": videos}
        if is_two_stream(model):
            x["flow"] = clip_data.optical_flow(videos)
        return x, labels

    @staticmethod
    def _scaled(x):
        return {k: (v.astype(np.float32) / 255.0 if k == "clips" else v) for k, v in x.items()}

    def _model_inputs(self, model, x):
        return x if is_two_stream(model) else x["clips"]

    def battery_data(self, model, entry, n=32, seed=0):
        x, labels = self._arrays(model, entry, "train", n)
        return self._model_inputs(model, self._scaled(x)), labels

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None, augment=(),
                n=None, drop_remainder=False, video_frames=None, stride=None, sampling=None):
        """The clips of a split, batched: float32 in [0, 1] (and flow for two-stream models).

        Args:
            split: "train" (shuffled every epoch, augmented, clips drawn at random), or
                "validation"/"test" (the same clips every epoch).
            batch_size, seed: the batch size; the seed of the shuffle, the augmentation and the
                clip sampling (every draw a function of (seed, epoch, example), so a resumed
                run sees the batches of an uninterrupted one).
            data: "clips" (default), "clips_motions" (a head of 12 classes) or "ucf101"
                (TFDS; its frames are read and decoded in the pipeline, only those sampled).
            augment: from ``AUGMENTATIONS``, training split only, one draw per clip for all
                its frames and, for a two-stream model, its flow: the flow field moves with the
                image (zero flow shifted in), a vertical flip negates its dy.
            n: clips of the split (the embedded ones' size; UCF101's first ``n``).
            drop_remainder: drop the last partial batch.
            video_frames: the length of the embedded video drawn, from which the model's T
                frames are sampled (default T: the clip is the whole video, as before these
                options). Not with UCF101, whose videos keep their lengths.
            stride: ``sampling="clip"``'s gap between frames (default 1; with UCF101 the
                frame stride of the model's paper where its entry's ``data_options`` give one:
                X3D's gamma_tau. The embedded videos are the clip itself: stride 1).
            sampling: how the T frames are taken (``keras_zoo.data.clips.SAMPLINGS``):
                "clip" (``sample_clip``: T frames ``stride`` apart at a random start for
                training, centred for evaluation; a video shorter than the span is looped),
                "uniform" (the middle frame of each of T equal segments, every split), "tsn"
                (TSN, Wang et al. 2016: T equal segments, a random frame of each for training,
                each one's middle frame for evaluation; an RGB-difference TSN's segments give
                a snippet of ``snippet_length`` consecutive frames each). Default "clip", and
                "tsn" for a TSN (its own sampling, on any data); with UCF101 "tsn" (random
                frames over the whole video for training, uniform for evaluation), or "clip" at
                the paper's frame stride for a model that has one (X3D). SlowFast models sample with ``slowfast_clip`` ("clip" only: its
                graph takes the slow pathway's every alpha-th frame from the fast clip;
                ``stride`` is the fast pathway's, tau / alpha, the slow one's alpha times it);
                two-stream models "clip" at stride 1 on the embedded clips (flow is computed
                over the whole video, then taken with the clip) and "uniform" on UCF101.
        """
        plan = _Sampling(model, data or "clips", video_frames, stride, sampling,
                         frame_stride(entry, data or "clips"))
        training = split == "train"
        if data == "clips_motions" and "flip_vertical" in tuple(augment):
            raise ValueError("task 'video_classification': augment 'flip_vertical' is not "
                             "supported on data 'clips_motions' (a mirror image turns "
                             "clockwise into counter-clockwise, another class); accepted: "
                             "['translation'] (the recipe 'video_motions').")
        if data == "ucf101" and not plan.two_stream:
            ds = self._ucf101(model, split, seed, n, plan)
        else:
            x, labels = self._arrays(model, entry, split, n, data, frames=plan.video_frames)
            ds = tf.data.Dataset.from_tensor_slices((x, labels))
            if training:
                ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
            if not plan.identity:
                ds = self._sampled(ds, plan, training, seed)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        layers = _augmenter(tuple(augment), seed) if training else []
        two_stream = is_two_stream(model)
        twins = [_flow_twin(layer) for layer in layers] if two_stream else []

        def prepare(inputs, y):
            clips = tf.cast(inputs["clips"], tf.float32) / 255.0
            if two_stream:  # the flow moves with its clip: one draw for both
                flow = inputs["flow"]
                if layers:
                    clips, flow = _per_clip_and_flow(layers, twins, clips, flow)
                return {"clips": clips, "flow": flow}, y
            if layers:
                clips = _per_clip(layers, clips)
            return clips, y

        # The augmentation's draws are a function of (seed, epoch, step), so that a resumed
        # run sees the clips an uninterrupted one would.
        from keras_zoo.data.pipeline import seeded_map

        return seeded_map(ds, prepare, layers, seed).prefetch(tf.data.AUTOTUNE)

    @staticmethod
    def _sampled(ds, plan, training, seed):
        """``ds`` of whole videos ``({"clips": [N, H, W, 3], "flow"?}, label)`` mapped to the
        model's clips, one draw per example keyed by (seed, epoch, example) for training."""
        from keras_zoo.data.pipeline import seeded_map

        seeds = _ClipSeeds(seed)

        def take(x, y):
            key = seeds.next() if training else tf.zeros([2], tf.int64)
            if plan.two_stream:  # the flow of the clip's consecutive frames
                index = plan.indices(tf.shape(x["clips"])[0], training, key)
                return {"clips": tf.gather(x["clips"], index),
                        "flow": tf.gather(x["flow"], index[:-1])}, y
            return {"clips": plan.take(x["clips"], training, key)}, y

        if not training:
            return ds.map(take, num_parallel_calls=tf.data.AUTOTUNE)
        return seeded_map(ds, take, [seeds], seed)

    @staticmethod
    def _ucf101(model, split, seed, n, plan, config="ucf101_1_256"):
        """UCF101 examples through TFDS with their frames left encoded: the sampled frames of
        each video (``plan``) are decoded and resized in the pipeline, uint8 clips."""
        import tensorflow_datasets as tfds

        from keras_zoo.data import clips as clip_data

        if split not in clip_data.UCF101_SPLITS:
            raise ValueError(f"split must be one of {sorted(clip_data.UCF101_SPLITS)}, got "
                             f"{split!r}.")
        t, h, w, _ = clip_shape(model)
        check_classes(model, "ucf101", clip_data.UCF101_CLASSES)
        training = split == "train"
        shuffle_files = training and n is None  # the first n examples are always the same
        ds = tfds.load(f"ucf101/{config}", split=clip_data.UCF101_SPLITS[split],
                       decoders={"video": tfds.decode.SkipDecoding()},
                       shuffle_files=shuffle_files,
                       read_config=tfds.ReadConfig(shuffle_seed=seed,
                                                   shuffle_reshuffle_each_iteration=True))
        if n is not None:
            ds = ds.take(n)
        if training:
            ds = ds.shuffle(UCF101_SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
        seeds = _ClipSeeds(seed)

        def decode(frame):
            return tf.io.decode_image(frame, channels=3, expand_animations=False)

        def take(example):
            key = seeds.next() if training else tf.zeros([2], tf.int64)
            frames = plan.take(example["video"], training, key)
            video = tf.map_fn(decode, frames, fn_output_signature=tf.TensorSpec(
                [None, None, 3], tf.uint8))
            resized = tf.image.resize(video, (h, w), antialias=True)
            clip = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
            label = tf.cast(example["label"], tf.int32)
            return {"clips": tf.ensure_shape(clip, [t, h, w, 3])}, label

        from keras_zoo.data.pipeline import seeded_map

        if not training:
            return ds.map(take, num_parallel_calls=tf.data.AUTOTUNE)
        return seeded_map(ds, take, [seeds], seed)

    def serving_fn(self, model):
        t, h, w, c = clip_shape(model)
        clips_spec = tf.TensorSpec([None, t, h, w, c], tf.uint8, name="clips")

        def outputs(probabilities):
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        if is_two_stream(model):
            flow_spec = tf.TensorSpec([None, t - 1, h, w, 2], tf.float32, name="flow")

            @tf.function(input_signature=[clips_spec, flow_spec])
            def serve_two_stream(clips, flow):
                x = {"clips": tf.cast(clips, tf.float32) / 255.0, "flow": flow}
                return outputs(model(x, training=False))

            return serve_two_stream

        @tf.function(input_signature=[clips_spec])
        def serve(clips):
            return outputs(model(tf.cast(clips, tf.float32) / 255.0, training=False))

        return serve

    def draw_prediction(self, image, outputs, index=0, scale=4):
        """A strip of the clip's frames (``image``: uint8 ``[T, H, W, 3]``), each enlarged
        ``scale`` times, above a caption with the most probable class."""
        from keras_zoo.visualize import captioned

        clip = np.asarray(image)
        if clip.ndim != 4:
            raise ValueError(f"draw_prediction: expected a clip [T, H, W, 3], got shape "
                             f"{clip.shape}.")
        strip = np.concatenate(list(clip), axis=1)
        strip = np.repeat(np.repeat(strip, scale, axis=0), scale, axis=1)
        p = np.asarray(outputs["probabilities"])[index]
        k = int(np.argmax(p))
        name = _class_names(len(p))[k]
        return captioned(strip, f"{name} ({p[k]:.2f})")

    def describe_prediction(self, outputs, index=0):
        p = np.asarray(outputs["probabilities"])[index]
        names = _class_names(len(p))
        top = np.argsort(p)[::-1][:5]
        return ", ".join(f"{names[i]} {p[i]:.3f}" for i in top)


def _class_names(n):
    """The embedded data's class names for a head of ``n`` classes (4: the clips, 12: the
    motions), else ``class i``."""
    from keras_zoo.data.clips import DATA

    for names in DATA.values():
        if len(names) == n:
            return list(names)
    return [f"class {i}" for i in range(n)]
