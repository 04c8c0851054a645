"""Shapes images with generated captions and region boxes, and captioned clips with timed events.

Images: one or two shapes (``keras_zoo.data.shapes``' circle, square, triangle) in one of four
named colours and two sizes; the caption names them and, for two, their relation::

    "a small red circle"
    "a small red circle left of a large blue square"

Attribute combinations can be held out: ``generate(..., held_out=(("green", "triangle"),),
held_out_mode="exclude")`` never draws a green triangle, ``"only"`` puts one in every image (a
test of compositional generalisation). Every caption is a function of the drawn objects, and
everything of the seed.

Clips (``clips``): one shape moving left or right (``"a red circle moves right"``), and
``moments``: longer clips made of several such events, each with its frame span, for moment
localisation (a text query -> the begin and end frame of its event).

Tokens: the fixed word ``VOCABULARY`` (0 pad, 1 ``[UNK]``, 2 ``[START]``, 3 ``[END]``, the
last ``[MASK]``; the image-text transformers use ``[START]`` as ``[CLS]``, ``[END]`` as ``[SEP]``);
``encode`` / ``decode`` in Python and ``vectorizer()`` (``keras.layers.TextVectorization``) in
the graph agree.
"""

from __future__ import annotations

import numpy as np

from keras_zoo.data import shapes, text

COLOURS = {  # saturated RGB, far from the dark noisy background and from each other
    "red": (230, 40, 40), "green": (40, 210, 60), "blue": (50, 90, 240), "yellow": (235, 215, 40)}
SIZES = ("small", "large")
RELATIONS = ("left of", "right of", "above", "below")
DIRECTIONS = ("left", "right")
PAD, UNK, START, END = 0, 1, 2, 3
VOCABULARY = (("", "[UNK]", "[START]", "[END]", "a", "the")
              + SIZES + tuple(COLOURS) + shapes.CLASSES
              + ("left", "right", "of", "above", "below", "moves", "[MASK]"))
MASK = VOCABULARY.index("[MASK]")
#: Region classes of masked region classification: colour-major, ``colour * 3 + shape``.
REGION_CLASSES = tuple(f"{c} {s}" for c in COLOURS for s in shapes.CLASSES)
VOCABULARY_SIZE = len(VOCABULARY)
REGION_CLASS_COUNT = len(REGION_CLASSES)
#: Longest caption in words ("a small red circle left of a large blue square") + [START]/[END].
CAPTION_LENGTH = 12
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}
SPLIT_SIZES = {"train": 512, "validation": 128, "test": 128}
HELD_OUT = (("green", "triangle"),)
HELD_OUT_MODES = ("exclude", "only", "any")


def _check_held_out(held_out, mode):
    if mode not in HELD_OUT_MODES:
        raise ValueError(f"held_out_mode must be one of {HELD_OUT_MODES}, got {mode!r}.")
    for pair in held_out:
        if (len(pair) != 2 or pair[0] not in COLOURS or pair[1] not in shapes.CLASSES):
            raise ValueError(f"held_out: {pair!r} is not a (colour, shape) pair; colours "
                             f"{tuple(COLOURS)}, shapes {shapes.CLASSES}.")
    if mode == "only" and not held_out:
        raise ValueError("held_out_mode='only' needs at least one held_out pair.")


def _allowed(held_out, mode):
    pairs = [(c, s) for c in COLOURS for s in shapes.CLASSES]
    if mode == "exclude":
        return [p for p in pairs if p not in set(held_out)]
    return pairs


def describe(colour, kind, size):
    return f"a {size} {colour} {kind}"


def relation(box_a, box_b):
    """The caption's relation of object a to object b: the larger centre offset decides."""
    ax, ay = (box_a[0] + box_a[2]) / 2, (box_a[1] + box_a[3]) / 2
    bx, by = (box_b[0] + box_b[2]) / 2, (box_b[1] + box_b[3]) / 2
    if abs(ax - bx) >= abs(ay - by):
        return "left of" if ax < bx else "right of"
    return "above" if ay < by else "below"


def generate(n, image_size=(32, 32), max_objects=2, held_out=HELD_OUT, held_out_mode="any",
             seed=0, caption_length=CAPTION_LENGTH):
    """``n`` captioned shapes images.

    Args:
        n: number of images.
        image_size: ``(height, width)``, at least 16 x 16.
        max_objects: 1 or 2 shapes per image (uniform in ``1..max_objects``).
        held_out: ``(colour, shape)`` pairs for ``held_out_mode``.
        held_out_mode: ``"exclude"`` (never drawn), ``"only"`` (every image has one held-out
            pair; the other object is free), ``"any"`` (held_out ignored: all pairs drawn).
        seed: everything is a function of it.
        caption_length: tokens per caption (one object needs 6, two 12).

    Returns:
        A dict: ``images`` uint8 ``[n, H, W, 3]``; ``captions`` list of str; ``tokens`` int32
        ``[n, caption_length]`` (``[START] words [END]`` then 0); ``boxes`` float32
        ``[n, 2, 4]`` pixels ``(x_min, y_min, x_max, y_max)`` in caption order (padding 0);
        ``classes`` int32 ``[n, 2]`` shape index (padding -1); ``colours`` int32 ``[n, 2]``
        (index into ``COLOURS``, padding -1); ``num_objects`` int32 ``[n]``.
    """
    _check_held_out(held_out, held_out_mode)
    if max_objects not in (1, 2):
        raise ValueError(f"max_objects must be 1 or 2, got {max_objects!r}.")
    needed = 6 if max_objects == 1 else CAPTION_LENGTH  # [START] a size colour shape [END]
    if caption_length < needed:
        raise ValueError(f"caption_length={caption_length} cannot hold the captions of "
                         f"max_objects={max_objects} ({needed} tokens).")
    h, w = image_size
    if min(h, w) < 16:
        raise ValueError(f"captioned images must be at least 16x16, got image_size={image_size}.")
    rng = np.random.default_rng(seed)
    allowed = _allowed(held_out, held_out_mode)
    held = list(held_out)
    colour_names = tuple(COLOURS)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    short = min(h, w)
    radius = {"small": (0.12 * short, 0.16 * short), "large": (0.22 * short, 0.27 * short)}
    out = {"images": np.zeros((n, h, w, 3), np.uint8), "captions": [],
           "tokens": np.zeros((n, caption_length), np.int32),
           "boxes": np.zeros((n, 2, 4), np.float32), "classes": np.full((n, 2), -1, np.int32),
           "colours": np.full((n, 2), -1, np.int32), "num_objects": np.zeros((n,), np.int32)}
    for i in range(n):
        image = rng.integers(0, 48, size=(h, w, 3)).astype(np.float32)
        count = int(rng.integers(1, max_objects + 1))
        for _attempt in range(200):
            objects = []
            for j in range(count):
                pool = held if (held_out_mode == "only" and j == 0) else allowed
                colour, kind = pool[int(rng.integers(len(pool)))]
                size = SIZES[int(rng.integers(len(SIZES)))]
                r = float(rng.uniform(*radius[size]))
                cx, cy = float(rng.uniform(r, w - r)), float(rng.uniform(r, h - r))
                mask = shapes._shape_mask(kind, cx, cy, r, yy, xx)
                objects.append((colour, kind, size, mask, shapes._box(mask)))
            if count == 1 or not (objects[0][3] & objects[1][3]).any():
                break  # no overlap: every object fully visible, its caption true
        else:
            objects = objects[:1]
        if held_out_mode == "only" and len(objects) == 2 and rng.random() < 0.5:
            objects = objects[::-1]  # the held-out object is not always named first
        words = describe(objects[0][0], objects[0][1], objects[0][2])
        if len(objects) == 2:
            words += " " + relation(objects[0][4], objects[1][4]) + " " + describe(
                objects[1][0], objects[1][1], objects[1][2])
        for j, (colour, kind, _size, mask, box) in enumerate(objects):
            image[mask] = COLOURS[colour]
            out["boxes"][i, j] = box
            out["classes"][i, j] = shapes.CLASSES.index(kind)
            out["colours"][i, j] = colour_names.index(colour)
        out["images"][i] = image.astype(np.uint8)
        out["num_objects"][i] = len(objects)
        out["captions"].append(words)
        out["tokens"][i] = encode([words], caption_length)[0]
    return out


def load(split="train", image_size=(32, 32), n=None, max_objects=2, held_out=HELD_OUT,
         caption_length=CAPTION_LENGTH):
    """A fixed split: train and validation exclude the ``held_out`` pairs, test draws all pairs
    (seeds disjoint: train 0, validation 1, test 2). ``split="novel"`` gives test images that
    each contain a held-out pair."""
    modes = {"train": "exclude", "validation": "exclude", "test": "any", "novel": "only"}
    if split not in modes:
        raise ValueError(f"split must be one of {list(modes)}, got {split!r}.")
    seed = SPLIT_SEEDS.get(split, 3)
    count = n if n is not None else SPLIT_SIZES.get(split, 128)
    return generate(count, image_size, max_objects, held_out, modes[split], seed=1000 + seed,
                    caption_length=caption_length)


def encode(captions, length=CAPTION_LENGTH):
    """Captions -> int32 ``[N, length]``: ``[START]`` ids ``[END]``, padded with 0.

    An empty caption, or one longer than ``length - 2`` words, raises ValueError.
    """
    index = {t: i for i, t in enumerate(VOCABULARY)}
    out = np.zeros((len(captions), length), np.int32)
    for i, caption in enumerate(captions):
        words = text.standardize(caption).split()
        if not words:
            raise ValueError(f"caption {i} is empty; a caption needs at least one word.")
        if len(words) > length - 2:
            raise ValueError(f"caption {i} has {len(words)} words; at most {length - 2} fit in "
                             f"length={length} with [START] and [END].")
        ids = [START] + [index.get(w, UNK) for w in words] + [END]
        out[i, :len(ids)] = ids
    return out


def decode(tokens):
    """int ids -> caption strings (stops at ``[END]``; ``[START]`` and padding dropped)."""
    out = []
    for row in np.asarray(tokens):
        words = []
        for t in row:
            if t == END:
                break
            if t not in (PAD, START):
                words.append(VOCABULARY[int(t)])
        out.append(" ".join(words))
    return out


def vectorizer(sequence_length=CAPTION_LENGTH - 2):
    """``TextVectorization`` over ``VOCABULARY`` (words only: no ``[START]``/``[END]``)."""
    return text.vectorizer(VOCABULARY, level="word", sequence_length=sequence_length)


# --- video: captioned clips and timed events --------------------------------------------------


def _clip(rng, colour, kind, direction, frames, image_size):
    """One clip ``[T, H, W, 3]`` uint8 of a named-colour shape moving left or right."""
    h, w = image_size
    r = rng.uniform(0.15, 0.2) * min(h, w)
    speed = 0.5 * w / max(frames - 1, 1) * (1 if direction == "right" else -1)
    span = abs(speed) * (frames - 1)
    x0 = rng.uniform(r + (span if speed < 0 else 0), w - r - (span if speed > 0 else 0))
    y0 = rng.uniform(r, h - r)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    background = rng.integers(0, 48, size=(h, w, 3)).astype(np.float32)
    clip = np.empty((frames, h, w, 3), np.uint8)
    for t in range(frames):
        frame = background.copy()
        frame[shapes._shape_mask(kind, x0 + speed * t, y0, r, yy, xx)] = COLOURS[colour]
        clip[t] = frame.astype(np.uint8)
    return clip


def _event(rng, allowed):
    colour, kind = allowed[int(rng.integers(len(allowed)))]
    return colour, kind, DIRECTIONS[int(rng.integers(2))]


def clip_caption(colour, kind, direction):
    return f"a {colour} {kind} moves {direction}"


def clips(n, frames=8, image_size=(16, 16), held_out=(), held_out_mode="any", seed=0,
          caption_length=CAPTION_LENGTH):
    """``n`` captioned clips: ``clips`` uint8 ``[n, T, H, W, 3]``, ``captions`` (list of str,
    ``"a red circle moves right"``), ``tokens`` int32 ``[n, caption_length]`` (>= 7)."""
    _check_held_out(held_out, held_out_mode)
    if frames < 2:
        raise ValueError(f"a clip needs at least 2 frames to show motion, got frames={frames}.")
    rng = np.random.default_rng(seed)
    allowed = _allowed(held_out, held_out_mode)
    videos, captions = [], []
    for _ in range(n):
        colour, kind, direction = _event(rng, allowed)
        videos.append(_clip(rng, colour, kind, direction, frames, image_size))
        captions.append(clip_caption(colour, kind, direction))
    return {"clips": np.stack(videos), "captions": captions,
            "tokens": encode(captions, caption_length)}


def moments(n, events=4, event_frames=4, image_size=(16, 16), seed=0, query_length=8):
    """``n`` long clips, each ``events`` consecutive events of ``event_frames`` frames (a
    different colour-shape-direction per event within a clip), with one query per clip.

    Returns a dict: ``videos`` uint8 ``[n, events * event_frames, H, W, 3]``; ``queries`` (list
    of str, the caption of one event); ``query_tokens`` int32 ``[n, query_length]``; ``spans``
    int32 ``[n, 2]`` (first frame, last frame + 1 of the queried event); ``event_captions``
    (list of lists of str); ``frame_labels`` int32 ``[n, T]`` (0 other, 1 begin, 2 end: the
    first and last frame of the queried event, as HAMMER's begin/end/other classes).
    """
    if events > 2 * len(COLOURS) * len(shapes.CLASSES):
        raise ValueError(f"events={events}: a clip's events are distinct colour-shape-direction "
                         f"triples, of which there are {2 * len(COLOURS) * len(shapes.CLASSES)}.")
    if events < 1 or event_frames < 2:
        raise ValueError(f"need events >= 1 and event_frames >= 2, got events={events}, "
                         f"event_frames={event_frames}.")
    rng = np.random.default_rng(seed)
    pairs = _allowed((), "any")
    total = events * event_frames
    out = {"videos": np.zeros((n, total) + tuple(image_size) + (3,), np.uint8), "queries": [],
           "spans": np.zeros((n, 2), np.int32), "event_captions": [],
           "frame_labels": np.zeros((n, total), np.int32)}
    for i in range(n):
        chosen = rng.choice(len(pairs) * 2, size=events, replace=False)
        captions = []
        for e, c in enumerate(chosen):
            colour, kind = pairs[c // 2]
            direction = DIRECTIONS[c % 2]
            out["videos"][i, e * event_frames:(e + 1) * event_frames] = _clip(
                rng, colour, kind, direction, event_frames, image_size)
            captions.append(clip_caption(colour, kind, direction))
        q = int(rng.integers(events))
        out["queries"].append(captions[q])
        out["event_captions"].append(captions)
        begin, end = q * event_frames, (q + 1) * event_frames
        out["spans"][i] = (begin, end)
        out["frame_labels"][i, begin] = 1
        out["frame_labels"][i, end - 1] = 2
    out["query_tokens"] = encode(out["queries"], query_length)
    return out


def span_iou(predicted, target):
    """Temporal IoU of ``[N, 2]`` spans ``(begin, end)`` (end exclusive) -> ``[N]``."""
    p, t = np.asarray(predicted, np.float32), np.asarray(target, np.float32)
    inter = np.clip(np.minimum(p[:, 1], t[:, 1]) - np.maximum(p[:, 0], t[:, 0]), 0, None)
    union = (p[:, 1] - p[:, 0]) + (t[:, 1] - t[:, 0]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


# --- masked multimodal pre-training (VL-BERT, ViLBERT) ------------------------------------------


def _swap_half(rng, tokens, captions):
    """About half of the captions swapped with another example's: ``(tokens, aligned)``, aligned
    1 where the caption kept (or got the same caption)."""
    n = len(tokens)
    swapped = tokens.copy()
    aligned = (rng.random(n) < 0.5).astype(np.float32)
    for i in np.flatnonzero(aligned == 0):
        j = (i + 1 + int(rng.integers(n - 1))) % n if n > 1 else i
        swapped[i] = tokens[j]
        if captions[j] == captions[i]:
            aligned[i] = 1.0  # the same caption describes both
    return swapped, aligned


def pretraining(n, image_size=(32, 32), caption_length=CAPTION_LENGTH, mask_rate=0.15,
                seed=0, split_seed=None):
    """Inputs and targets of masked multimodal learning and image-caption alignment.

    Each image has ``REGIONS = 3`` regions: the whole image (ViLBERT's ``[IMG]`` token) and its
    objects (missing objects repeat the whole image with ``region_valid`` 0). Half of the
    captions are swapped with another image's (alignment 0). Of the words and the object
    regions, ``mask_rate`` (at least one of each per aligned example) are masked: a word by
    ``[MASK]``, a region by zeroing its feature in the model (``region_masked`` 1).

    Returns ``(x, y)``: x ``image`` float32 ``[n, H, W, 3]`` in [0, 1], ``tokens`` int32
    ``[n, caption_length]`` (masked), ``boxes`` float32 ``[n, 3, 4]`` pixels, ``region_valid``
    and ``region_masked`` float32 ``[n, 3]``; y ``word_targets`` int32 ``[n, caption_length]``
    (the masked words' ids, 0 elsewhere), ``region_targets`` int32 ``[n, 3]`` (the masked
    regions' ``REGION_CLASSES`` index, -1 elsewhere), ``alignment`` float32 ``[n]``.
    """
    if not 0.0 < mask_rate < 1.0:
        raise ValueError(f"mask_rate must be in (0, 1), got {mask_rate!r}.")
    max_objects = 2 if caption_length >= CAPTION_LENGTH else 1
    data = generate(n, image_size, max_objects, seed=seed if split_seed is None else split_seed,
                    caption_length=caption_length)
    rng = np.random.default_rng((seed, 17))
    h, w = image_size
    tokens, aligned = _swap_half(rng, data["tokens"], data["captions"])
    boxes = np.tile(np.array([0, 0, w, h], np.float32), (n, REGIONS, 1))
    boxes[:, 1:] = np.where(data["classes"][..., None] >= 0, data["boxes"], boxes[:, 1:])
    valid = np.concatenate([np.ones((n, 1)), data["classes"] >= 0], axis=1).astype(np.float32)
    word_targets = np.zeros_like(tokens)
    region_targets = np.full((n, REGIONS), -1, np.int32)
    region_masked = np.zeros((n, REGIONS), np.float32)
    for i in range(n):
        words = np.flatnonzero(tokens[i] > END)
        chosen = words[rng.random(len(words)) < mask_rate]
        if aligned[i] and chosen.size == 0:
            chosen = words[[int(rng.integers(len(words)))]]
        word_targets[i, chosen] = tokens[i, chosen]
        tokens[i, chosen] = MASK
        objects = np.flatnonzero(valid[i, 1:]) + 1
        picked = objects[rng.random(len(objects)) < mask_rate]
        if aligned[i] and picked.size == 0:
            picked = objects[[int(rng.integers(len(objects)))]]
        for r in picked:
            region_masked[i, r] = 1.0
            region_targets[i, r] = data["colours"][i, r - 1] * len(shapes.CLASSES) + data[
                "classes"][i, r - 1]
    x = {"image": data["images"].astype(np.float32) / 255.0, "tokens": tokens, "boxes": boxes,
         "region_valid": valid, "region_masked": region_masked}
    y = {"word_targets": word_targets, "region_targets": region_targets, "alignment": aligned}
    return x, y


REGIONS = 3


# --- video-text pre-training (VideoBERT, CBT) -----------------------------------------------


def video_text(n, segments=2, segment_frames=8, image_size=(16, 16), caption_length=7,
               mask_rate=0.15, seed=0):
    """Captioned clips cut into ``segments`` consecutive segments of ``segment_frames`` frames
    (the 1.5 s / 1 s clips whose features VideoBERT and CBT read), masked for pre-training.

    Half of the captions are swapped with another clip's (alignment 0, unless the caption is
    the same). Of an aligned example's words and segments, ``mask_rate`` (at least one word and
    one segment) are masked: a word by ``[MASK]``, a segment by ``segment_masked`` 1 (the model
    replaces its visual token or feature).

    Returns ``(x, y)``: x ``clips`` uint8 ``[n, segments, segment_frames, H, W, 3]``, ``tokens``
    int32 ``[n, caption_length]`` (masked), ``segment_masked`` float32 ``[n, segments]``;
    y ``word_targets`` int32 ``[n, caption_length]`` (the masked words' ids, 0 elsewhere),
    ``alignment`` float32 ``[n]``.
    """
    if not 0.0 < mask_rate < 1.0:
        raise ValueError(f"mask_rate must be in (0, 1), got {mask_rate!r}.")
    if not isinstance(segments, int) or segments < 1:
        raise ValueError(f"segments must be a positive int, got {segments!r}.")
    data = clips(n, segments * segment_frames, image_size, seed=seed,
                 caption_length=caption_length)
    rng = np.random.default_rng((seed, 23))
    tokens, aligned = _swap_half(rng, data["tokens"], data["captions"])
    word_targets = np.zeros_like(tokens)
    segment_masked = np.zeros((n, segments), np.float32)
    for i in range(n):
        words = np.flatnonzero(tokens[i] > END)
        chosen = words[rng.random(len(words)) < mask_rate]
        picked = np.flatnonzero(rng.random(segments) < mask_rate)
        if aligned[i]:
            if chosen.size == 0:
                chosen = words[[int(rng.integers(len(words)))]]
            if picked.size == 0:
                picked = np.array([int(rng.integers(segments))])
        word_targets[i, chosen] = tokens[i, chosen]
        tokens[i, chosen] = MASK
        segment_masked[i, picked] = 1.0
    video = data["clips"].reshape((n, segments, segment_frames) + tuple(image_size) + (3,))
    return ({"clips": video, "tokens": tokens, "segment_masked": segment_masked},
            {"word_targets": word_targets, "alignment": aligned})
