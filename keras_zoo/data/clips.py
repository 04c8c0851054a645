"""Synthetic video clips drawn from a seed, whose classes need motion to be told apart.

Each clip shows one shape (a square or a circle, in a random colour) moving across a noisy
background. The four classes are the shape crossed with the direction of motion:

    0 "square right", 1 "square left", 2 "circle right", 3 "circle left"

so classes 0 and 1 (and 2 and 3) look the same in any single frame and differ only in motion,
while 0 and 2 (and 1 and 3) move alike and differ only in appearance. A network that sees one
frame is at chance on the direction; one that sees motion (3-D convolutions, optical flow, a
recurrence over frames) is not.

``generate_motions`` (``load(data="clips_motions")``) is a second set of twelve classes whose
shapes rotate (clockwise or counter-clockwise), grow or shrink, bounce or pass straight
(``MOTION_CLASSES``): a square and a triangle, so each shape's six motions differ only in motion
and each motion's two shapes only in appearance.

``next_frame`` gives sequences of moving shapes for next-frame prediction (ConvLSTM, ConvGRU),
and ``optical_flow`` computes dense Farneback flow between consecutive frames with OpenCV, cached
on disk by a fingerprint of the clips.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

CLASSES = ("square right", "square left", "circle right", "circle left")
#: Each split draws from its own seed stream, so the splits never share a clip.
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}
SPLIT_SIZES = {"train": 512, "validation": 128, "test": 128}


def _check(frames, image_size):
    h, w = image_size
    if frames < 2:
        raise ValueError(f"a clip needs at least 2 frames to show motion, got frames={frames}.")
    if min(h, w) < 8:
        raise ValueError(f"clips must be at least 8x8 pixels, got image_size={image_size}.")


def _draw(rng, kind, direction, frames, image_size, radius=None, velocity=None):
    """One clip ``[T, H, W, 3]`` uint8 of a ``kind`` shape moving by ``(dy, dx)`` per frame."""
    h, w = image_size
    r = radius if radius is not None else rng.uniform(0.12, 0.2) * min(h, w)
    dy, dx = velocity if velocity is not None else direction
    colour = rng.uniform(0.5, 1.0, size=3)
    background = rng.uniform(0.0, 0.15, size=(h, w, 3))
    # Start where the whole path stays inside the frame.
    span_x, span_y = abs(dx) * (frames - 1), abs(dy) * (frames - 1)
    x0 = rng.uniform(r + (span_x if dx < 0 else 0), w - r - (span_x if dx > 0 else 0))
    y0 = rng.uniform(r + (span_y if dy < 0 else 0), h - r - (span_y if dy > 0 else 0))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    clip = np.empty((frames, h, w, 3), np.uint8)
    for t in range(frames):
        cx, cy = x0 + dx * t, y0 + dy * t
        if kind == "square":
            mask = (np.abs(xx - cx) <= r * 0.85) & (np.abs(yy - cy) <= r * 0.85)
        else:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= r ** 2
        frame = background + rng.normal(0.0, 0.02, size=(h, w, 3))
        frame[mask] = colour
        clip[t] = np.clip(frame * 255.0, 0, 255).astype(np.uint8)
    return clip


def generate(n: int, frames: int = 8, image_size=(32, 32), seed: int = 0):
    """``n`` clips ``[n, T, H, W, 3]`` uint8 and their labels ``[n]`` int32 (see ``CLASSES``).

    Args:
        n: number of clips (labels cycle through the classes, then are shuffled).
        frames: frames per clip T (>= 2).
        image_size: ``(height, width)``.
        seed: the clips are a function of the seed alone.
    """
    _check(frames, image_size)
    rng = np.random.default_rng(seed)
    h, w = image_size
    # The shape travels about 40 % of the width over the clip, whatever T is.
    speed = 0.4 * w / max(frames - 1, 1)
    labels = rng.permutation(np.arange(n) % len(CLASSES)).astype(np.int32)
    clips = np.empty((n, frames, h, w, 3), np.uint8)
    for i, label in enumerate(labels):
        kind = "square" if label < 2 else "circle"
        dx = speed if label % 2 == 0 else -speed
        clips[i] = _draw(rng, kind, (0.0, dx), frames, image_size)
    return clips, labels


def load(split: str = "train", frames: int = 8, image_size=(32, 32), n: int | None = None,
         data: str = "clips"):
    """A fixed split of the synthetic clips: ``(clips, labels)``.

    Args:
        split: "train", "validation" or "test" (each from its own seeds).
        frames: frames per clip.
        image_size: ``(height, width)``.
        n: clips (default ``SPLIT_SIZES[split]``).
        data: "clips" (``generate``: shapes moving left or right, ``CLASSES``) or
            "clips_motions" (``generate_motions``: rotating, growing, bouncing,
            ``MOTION_CLASSES``).
    """
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split must be one of {sorted(SPLIT_SEEDS)}, got {split!r}.")
    if data not in DATA:
        raise ValueError(f"data must be one of {sorted(DATA)}, got {data!r}.")
    count = SPLIT_SIZES[split] if n is None else n
    if data == "clips_motions":
        return generate_motions(count, frames, tuple(image_size), seed=2000 + SPLIT_SEEDS[split])
    return generate(count, frames, tuple(image_size), seed=1000 + SPLIT_SEEDS[split])


#: The motions clips' classes, ``shape * 6 + motion``: each shape (a square or a triangle)
#: rotating clockwise or counter-clockwise, growing or shrinking (twice its size over the clip),
#: bouncing (to the left or the right, then back the way it came, as off an unseen wall) or
#: passing straight (to the left or the right). Pairs of one shape differ only in motion (the
#: middle frame is drawn alike, so a single frame is at chance between them); pairs of one
#: motion differ only in appearance.
MOTIONS = ("clockwise", "counter-clockwise", "growing", "shrinking", "bouncing", "passing")
MOTION_SHAPES = ("square", "triangle")
MOTION_CLASSES = tuple(f"{shape} {motion}" for shape in MOTION_SHAPES for motion in MOTIONS)
#: The embedded data sets of ``load(data=...)``: their class names.
DATA = {"clips": CLASSES, "clips_motions": MOTION_CLASSES}


def _polygon_mask(kind, cx, cy, radius, angle, xx, yy):
    """Coverage in [0, 1] ``[H, W]`` of a square or an equilateral triangle of circumradius
    ``radius`` centred at ``(cx, cy)`` and turned by ``angle`` (radians, clockwise on screen
    as y points down), from 3 x 3 samples a pixel (``xx``, ``yy``: ``[3, 3, H, W]``)."""
    sides = 4 if kind == "square" else 3
    corners = angle + 2 * np.pi * np.arange(sides) / sides
    px, py = cx + radius * np.cos(corners), cy + radius * np.sin(corners)
    inside = np.ones(xx.shape, bool)
    for i in range(sides):  # the corners go clockwise on screen: inside is right of each edge
        ax, ay, bx, by = px[i], py[i], px[(i + 1) % sides], py[(i + 1) % sides]
        inside &= (bx - ax) * (yy - ay) - (by - ay) * (xx - ax) >= 0
    return inside.mean(axis=(0, 1))


def _draw_motion(rng, kind, motion, frames, image_size):
    """One clip ``[T, H, W, 3]`` uint8 of a ``kind`` shape performing ``motion``. Whatever the
    motion, the middle frame's shape is drawn alike (size, angle, colour, place), so the two
    motions of a pair differ in the order of the frames only."""
    h, w = image_size
    size = min(h, w)
    radius = rng.uniform(0.2, 0.28) * size
    angle = rng.uniform(0, 2 * np.pi)
    colour = rng.uniform(0.5, 1.0, size=3)
    background = rng.uniform(0.0, 0.15, size=(h, w, 3))
    t = np.arange(frames) - (frames - 1) / 2  # frames from the middle one
    progress = t / max(frames - 1, 1)          # -1/2 .. 1/2 over the clip
    # Rotation: 180 degrees over the clip, at most 30 a frame (under half a square's
    # symmetry, 90 degrees, and a triangle's, 120, so the direction is never ambiguous).
    turn = min(np.pi, np.pi / 6 * (frames - 1))
    angles = np.full(frames, angle)
    radii = np.full(frames, radius)
    offsets = np.zeros((frames, 2))
    if motion in ("clockwise", "counter-clockwise"):
        angles = angle + (1 if motion == "clockwise" else -1) * turn * progress
    elif motion in ("growing", "shrinking"):  # twice the size over the clip
        radii = radius * 2.0 ** ((1 if motion == "growing" else -1) * progress)
    else:  # the shape travels 40 % of the frame to the left or the right over the clip
        heading = np.pi * rng.integers(0, 2)
        speed = 0.4 * size / max(frames - 1, 1)
        if motion == "passing":
            travel = speed * t
        else:  # reverses at a random frame of the middle half, as off an unseen wall
            turn_at = rng.uniform(-(frames - 1) / 4, (frames - 1) / 4)
            travel = speed * (np.abs(turn_at) - np.abs(t - turn_at))
        offsets = travel[:, None] * np.array([np.cos(heading), np.sin(heading)])
    # The middle frame's place is drawn where the whole path stays inside the frame.
    reach = radii.max()
    low = reach - offsets.min(axis=0)
    high = np.array([w, h]) - reach - offsets.max(axis=0)
    centre = rng.uniform(low, np.maximum(high, low))
    sub = (np.arange(3) + 0.5) / 3
    yy = np.arange(h)[None, None, :, None] + sub[None, :, None, None]
    xx = np.arange(w)[None, None, None, :] + sub[:, None, None, None]
    yy, xx = np.broadcast_to(yy, (3, 3, h, w)), np.broadcast_to(xx, (3, 3, h, w))
    clip = np.empty((frames, h, w, 3), np.uint8)
    for i in range(frames):
        cover = _polygon_mask(kind, centre[0] + offsets[i, 0], centre[1] + offsets[i, 1],
                              radii[i], angles[i], xx, yy)[..., None]
        frame = background + rng.normal(0.0, 0.02, size=(h, w, 3))
        frame = frame * (1 - cover) + colour * cover
        clip[i] = np.clip(frame * 255.0, 0, 255).astype(np.uint8)
    return clip


def generate_motions(n: int, frames: int = 8, image_size=(32, 32), seed: int = 0):
    """``n`` clips ``[n, T, H, W, 3]`` uint8 of shapes that rotate, grow or shrink, bounce or
    pass, and their labels ``[n]`` int32 (``MOTION_CLASSES``, balanced).

    Args:
        n: number of clips (labels cycle through the 12 classes, then are shuffled).
        frames: frames per clip T (>= 3: a bounce needs a frame between coming and going).
        image_size: ``(height, width)``.
        seed: the clips are a function of the seed alone.
    """
    _check(frames, image_size)
    if frames < 3:
        raise ValueError(f"motion clips need at least 3 frames (a bounce comes and goes), got "
                         f"frames={frames}.")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(MOTION_CLASSES)).astype(np.int32)
    clips = np.empty((n, frames, *image_size, 3), np.uint8)
    for i, label in enumerate(labels):
        shape, motion = divmod(int(label), len(MOTIONS))
        clips[i] = _draw_motion(rng, MOTION_SHAPES[shape], MOTIONS[motion], frames,
                                tuple(image_size))
    return clips, labels


def next_frame(n: int, frames: int = 8, image_size=(16, 16), seed: int = 0):
    """Sequences for next-frame prediction: ``(inputs [n, T-1, H, W, 1], targets [n, T-1, H,
    W, 1])`` float32 in [0, 1], the target of step t being frame t + 1 (moving shapes in any of
    eight directions, grey)."""
    _check(frames, image_size)
    rng = np.random.default_rng(seed)
    h, w = image_size
    speed = 0.3 * min(h, w) / max(frames - 1, 1)
    out = np.empty((n, frames, h, w, 1), np.float32)
    for i in range(n):
        angle = rng.integers(0, 8) * np.pi / 4
        kind = "square" if rng.random() < 0.5 else "circle"
        clip = _draw(rng, kind, None, frames, image_size,
                     velocity=(speed * np.sin(angle), speed * np.cos(angle)))
        out[i] = clip.mean(axis=-1, keepdims=True) / 255.0
    return out[:, :-1], out[:, 1:]


def _cache_dir():
    return os.environ.get("KERAS_ZOO_CACHE",
                          os.path.join(os.path.expanduser("~"), ".cache", "keras_zoo"))


def optical_flow(clips, cache: bool = True):
    """Dense optical flow between consecutive frames (Farneback 2003, OpenCV), as in the
    two-stream network's temporal input: ``[n, T-1, H, W, 2]`` float32 (dx, dy) in pixels.

    Cached under ``$KERAS_ZOO_CACHE/flow/<fingerprint>.npy`` (written atomically), keyed by a
    hash of the clips' bytes and shape, since flow costs far more than drawing the clips.
    """
    import cv2

    clips = np.asarray(clips)
    if clips.ndim != 5 or clips.shape[-1] != 3 or clips.dtype != np.uint8:
        raise ValueError(f"optical_flow takes uint8 clips [n, T, H, W, 3], got {clips.dtype} "
                         f"{clips.shape}.")
    key = hashlib.sha256(clips.tobytes() + repr(clips.shape).encode()).hexdigest()[:24]
    path = os.path.join(_cache_dir(), "flow", f"{key}.npy")
    if cache and os.path.exists(path):
        return np.load(path)
    n, t, h, w, _ = clips.shape
    flow = np.empty((n, t - 1, h, w, 2), np.float32)
    for i in range(n):
        grey = [cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in clips[i]]
        for j in range(t - 1):
            flow[i, j] = cv2.calcOpticalFlowFarneback(
                grey[j], grey[j + 1], None, pyr_scale=0.5, levels=2, winsize=7, iterations=3,
                poly_n=5, poly_sigma=1.1, flags=0)
    if cache:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp.npy"
        np.save(tmp, flow)
        os.replace(tmp, path)
    return flow


#: keras-zoo split -> TFDS split of UCF101 (validation carved from training, fixed).
UCF101_SPLITS = {"train": "train[:90%]", "validation": "train[90%:]", "test": "test"}
UCF101_CLASSES = 101


def uniform_indices(length: int, frames: int) -> np.ndarray:
    """``frames`` indices spread evenly over a video of ``length`` frames (the middle of each of
    ``frames`` equal segments; repeated indices when the video is shorter)."""
    if length < 1:
        raise ValueError(f"a video needs at least one frame, got length={length}.")
    return np.minimum(((np.arange(frames) + 0.5) * length / frames).astype(int), length - 1)


#: How ``VideoClassificationTask.dataset(sampling=...)`` takes a model's T frames from a longer
#: video: "clip" (T frames ``stride`` apart at a random start for training, centred for
#: evaluation), "uniform" (spread evenly over the whole video, both), "tsn" (Wang et al. 2016:
#: T equal segments, a random frame of each for training, each one's middle frame for
#: evaluation).
SAMPLINGS = ("clip", "uniform", "tsn")


def _stateless_seed(seed):
    import tensorflow as tf

    return tf.cast(seed, tf.int64)


def clip_indices(length, frames: int, stride: int = 1, training: bool = True, seed=(0, 0)):
    """The frame indices ``[frames]`` (int32 tensor) of ``sample_clip``: ``frames`` indices
    ``stride`` apart at a random start (training, ``seed`` a stateless seed pair) or centred
    (evaluation) in a video of ``length`` frames, modulo ``length`` (looped) when the video is
    shorter than the span ``(frames - 1) * stride + 1``."""
    import tensorflow as tf

    if frames < 1 or stride < 1:
        raise ValueError(f"sample_clip: frames and stride must be positive, got frames={frames}, "
                         f"stride={stride}.")
    n = tf.cast(length, tf.int32)
    span = (frames - 1) * stride + 1
    room = tf.maximum(n - span + 1, 1)
    if training:
        start = tf.random.stateless_uniform([], _stateless_seed(seed), 0, room, tf.int32)
    else:
        start = (room - 1) // 2
    return (start + tf.range(frames) * stride) % n


def uniform_clip_indices(length, frames: int):
    """``uniform_indices`` as an int32 tensor (for ``tf.data``): the middle frame of each of
    ``frames`` equal segments of a video of ``length`` frames, in integer arithmetic."""
    import tensorflow as tf

    n = tf.cast(length, tf.int32)
    return tf.minimum((2 * tf.range(frames) + 1) * n // (2 * frames), n - 1)


def tsn_indices(length, segments: int, snippet_length: int = 1, training: bool = True,
                seed=(0, 0)):
    """TSN's sparse sampling (Wang et al., Temporal Segment Networks, ECCV 2016, section 3.1):
    the video of ``length`` frames is divided into ``segments`` segments of equal duration and
    a snippet of ``snippet_length`` consecutive frames is taken from each: at a random place
    within its segment for training (``seed`` a stateless seed pair), at its middle for
    evaluation (with ``snippet_length`` 1 the frames of ``uniform_indices``). Returns
    ``[segments * snippet_length]`` int32 indices, segment after segment. A snippet longer
    than its segment starts at the segment's start and runs on; indices past the end of a
    video shorter than a snippet are looped (modulo ``length``), as in ``sample_clip``."""
    import tensorflow as tf

    if segments < 1 or snippet_length < 1:
        raise ValueError(f"tsn_indices: segments and snippet_length must be positive, got "
                         f"segments={segments}, snippet_length={snippet_length}.")
    n = tf.cast(length, tf.int32)
    k = tf.range(segments)
    low, high = k * n // segments, (k + 1) * n // segments
    room = tf.maximum(high - low - snippet_length + 1, 1)
    if training:
        u = tf.random.stateless_uniform([segments], _stateless_seed(seed))
        start = low + tf.minimum(tf.cast(u * tf.cast(room, tf.float32), tf.int32), room - 1)
    else:
        start = tf.maximum((2 * k + 1) * n // (2 * segments) - snippet_length // 2, low)
    start = tf.minimum(start, tf.maximum(n - snippet_length, 0))
    indices = start[:, None] + tf.range(snippet_length)[None, :]
    return tf.reshape(indices, [-1]) % n


def sample_clip(video, frames: int, stride: int = 1, training: bool = True, seed=(0, 0)):
    """A clip of ``frames`` frames ``stride`` apart from a decoded video ``[N, H, W, C]`` (a
    tensor; usable in ``tf.data.Dataset.map``): at a random start for training (``seed``: a
    stateless seed pair, e.g. ``(seed, example index)``), centred for evaluation. A video
    shorter than the clip's span ``(frames - 1) * stride + 1`` is looped."""
    import tensorflow as tf

    return tf.gather(video, clip_indices(tf.shape(video)[0], frames, stride, training, seed))


def slowfast_clip(video, slow_frames: int, alpha: int = 8, tau: int = 16, training=True,
                  seed=(0, 0)):
    """SlowFast's input from one raw video (Feichtenhofer et al. 2019, section 3): the fast
    pathway's ``alpha * slow_frames`` frames at stride ``tau / alpha``. The slow pathway's
    ``slow_frames`` frames at stride ``tau`` are every ``alpha``-th of them, which the model
    takes from this clip in its graph, so both frame rates come from the same moment."""
    if alpha < 1 or tau % alpha:
        raise ValueError(f"slowfast_clip: alpha must divide tau (the fast stride is tau / "
                         f"alpha), got alpha={alpha}, tau={tau}.")
    return sample_clip(video, slow_frames * alpha, tau // alpha, training, seed)


def load_ucf101(split: str = "train", frames: int = 8, image_size=(112, 112), data_dir=None,
                limit: int | None = None, config: str = "ucf101_1_256"):
    """``(clips uint8 [N, frames, H, W, 3], labels [N])`` of UCF101 through tensorflow-datasets
    (it must be on disk where ``tfds`` looks, or downloadable): ``frames`` frames sampled
    uniformly over each video (the evaluation protocol of TSN-style sampling), resized to
    ``image_size``."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if split not in UCF101_SPLITS:
        raise ValueError(f"split must be one of {sorted(UCF101_SPLITS)}, got {split!r}.")
    ds = tfds.load(f"ucf101/{config}", split=UCF101_SPLITS[split], data_dir=data_dir)
    if limit is not None:
        ds = ds.take(limit)
    videos, labels = [], []
    for example in tfds.as_numpy(ds):
        video = example["video"][uniform_indices(len(example["video"]), frames)]
        resized = tf.image.resize(video, image_size, antialias=True)
        videos.append(np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8))
        labels.append(int(example["label"]))
    if not videos:
        raise ValueError(f"UCF101 split {split!r} is empty.")
    return np.stack(videos), np.asarray(labels, np.int32)


def read_clip(path, frames: int, image_size) -> np.ndarray:
    """uint8 ``[frames, H, W, 3]`` from an animated GIF (or any multi-frame image PIL reads)
    or a folder of frame images (taken in name order): ``frames`` frames spread evenly over
    the video (``uniform_indices``), each resized to ``image_size`` ``(H, W)``. A video of
    fewer than ``frames`` frames is refused (repeated frames would be still motion)."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    height, width = image_size
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path)
                       if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp", ".gif")))
        if not files:
            raise ValueError(f"clip: the folder {path!r} holds no frame images (.png, .jpg, "
                             f".jpeg, .bmp, .gif).")
        opened = [Image.open(f) for f in files]
    elif os.path.isfile(path):
        try:
            opened = [frame.copy() for frame in ImageSequence.Iterator(Image.open(path))]
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"clip: {path!r} is not an image or GIF this command can read "
                             f"({type(error).__name__}).") from None
    else:
        raise ValueError(f"clip: no such file or folder {path!r}.")
    if len(opened) < frames:  # repeating frames would show the model motion that is not there
        raise ValueError(f"clip: {path!r} has {len(opened)} frame(s); the model takes "
                         f"{frames} (a GIF or folder of at least {frames} frames).")
    chosen = [opened[i] for i in uniform_indices(len(opened), frames)]
    return np.stack([np.asarray(f.convert("RGB").resize((width, height), Image.BILINEAR),
                                np.uint8) for f in chosen])
