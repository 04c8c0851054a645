"""TSN: the temporal segment network (Wang, Xiong, Wang, Qiao, Lin, Tang & Van Gool, Temporal
Segment Networks: Towards Good Practices for Deep Action Recognition, ECCV 2016)."""

import keras

from keras_zoo.layers.segmental_consensus import SegmentalConsensus
from keras_zoo.models.video import common

PAPER = "Wang et al., ECCV 2016"


MODALITIES = ("rgb", "rgb_diff")


def rgb_difference(clips, segments, snippet_length):
    """TSN's RGB-difference snippets (section 3.2): ``clips`` ``[B, K * L, H, W, C]`` holds K
    snippets of L consecutive frames; each becomes the L - 1 differences of consecutive frames
    stacked as channels, ``[B, K, H, W, (L - 1) * C]`` (difference j in channels ``j * C`` to
    ``(j + 1) * C``)."""
    _, _, h, w, c = clips.shape
    k, length = segments, snippet_length
    x = keras.layers.Reshape((k, length, h * w * c), name="snippet_frames")(clips)
    later = keras.layers.Cropping2D(((0, 0), (1, 0)), name="later_frames")(x)
    earlier = keras.layers.Cropping2D(((0, 0), (0, 1)), name="earlier_frames")(x)
    x = keras.layers.Subtract(name="frame_differences")([later, earlier])
    x = keras.layers.Reshape((k, length - 1, h, w, c), name="difference_frames")(x)
    x = keras.layers.Permute((1, 3, 4, 2, 5), name="differences_last")(x)
    return keras.layers.Reshape((k, h, w, (length - 1) * c), name="stacked_differences")(x)


def TSN(
    filters=(64, 128, 256, 512),
    encoder=None,
    dropout=0.8,
    modality="rgb",
    snippet_length=None,
    input_shape=(3, 224, 224, 3),
    classes=101,
    name="tsn",
):
    """A clip is split into K segments and one snippet (frame) is taken from each; one CNN
    scores every snippet, and the segmental consensus is the average of the K class scores,
    followed by the softmax (eq. 1-2: G = mean, H = softmax). The network uses batch
    normalisation and a high dropout before the classifier (section 3.2: 0.8 for RGB).

    With ``modality="rgb"`` a snippet is one frame and the model's input is the K snippets
    ``[B, K, H, W, 3]``: the embedded pipeline draws clips with K frames, and a longer video
    would be sampled one frame per segment before the model. The average of per-frame scores
    does not depend on the order of the frames, so this network cannot tell a clip from the
    same clip played backwards (motion comes from another modality in the paper). With
    ``modality="rgb_diff"`` (section 3.2, "RGB difference") a snippet is ``snippet_length``
    consecutive frames, the input is ``[B, K * snippet_length, H, W, 3]``, and the CNN sees the
    differences of consecutive frames stacked as channels, which carry the motion.

    Args:
        filters: channels of the default per-snippet CNN (``common.frame_encoder``).
        encoder: a registry classifier's name to use instead (``include_top=False``).
        dropout: before the snippet classifier (0.8).
        modality: "rgb" (one frame a snippet) or "rgb_diff" (stacked differences of
            ``snippet_length`` consecutive frames).
        snippet_length: frames a snippet for "rgb_diff" (>= 2; None: 5, the paper's); with
            "rgb" a snippet is one frame and any other value is refused.
        input_shape: ``(frames, H, W, C)``: K frames for "rgb" (the paper's K = 3),
            K * snippet_length for "rgb_diff".
        classes: action classes.
        name: the model's name.
    """
    common.check_head(name, True, None, classes)
    if modality not in MODALITIES:
        raise ValueError(f"{name}: modality must be one of {MODALITIES}, got {modality!r}.")
    if modality == "rgb" and snippet_length not in (None, 1):
        raise ValueError(f"{name}: snippet_length={snippet_length!r} is for "
                         f"modality='rgb_diff'; an RGB snippet is one frame.")
    if modality == "rgb_diff":
        snippet_length = 5 if snippet_length is None else snippet_length
        if not isinstance(snippet_length, int) or snippet_length < 2:
            raise ValueError(f"{name}: an RGB-difference snippet needs snippet_length >= 2 "
                             f"frames, got {snippet_length!r}.")
        inputs = common.clip_input(name, input_shape, min_frames=snippet_length, min_size=8,
                                   frame_multiple=snippet_length)
        segments = input_shape[0] // snippet_length
        snippets = rgb_difference(inputs, segments, snippet_length)
    else:
        inputs = common.clip_input(name, input_shape, min_frames=1, min_size=8)
        snippets = inputs
    frame_shape = tuple(snippets.shape[2:])
    cnn = common.per_frame_encoder(frame_shape, filters, encoder)
    x = keras.layers.TimeDistributed(cnn, name="snippet_features")(snippets)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    scores = keras.layers.TimeDistributed(keras.layers.Dense(classes),
                                          name="snippet_scores")(x)
    consensus = SegmentalConsensus(snippets.shape[1], snippet_length or 1,
                                   name="segmental_consensus")(scores)
    outputs = keras.layers.Softmax(name="predictions")(consensus)
    return keras.Model(inputs, outputs, name=name)


common.register_video(
    "tsn",
    TSN,
    family="tsn",
    tiny=dict(filters=(8, 16), dropout=0.0, input_shape=(3, 16, 16, 3), classes=4),
    canonical=dict(input_shape=(3, 224, 224, 3), classes=101),
    paper=PAPER,
    notes="RGB TSN with K = 3 snippets; default snippet CNN small (the paper's: BN-Inception). "
          "Its recipe trains the RGB-difference modality (modality='rgb_diff', 3 snippets of "
          "2 frames): the RGB network's average of frame scores cannot see the order of frames.",
    recipe="tsn",
)
