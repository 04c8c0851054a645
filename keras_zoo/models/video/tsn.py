"""TSN: the temporal segment network (Wang, Xiong, Wang, Qiao, Lin, Tang & Van Gool, Temporal
Segment Networks: Towards Good Practices for Deep Action Recognition, ECCV 2016)."""

import keras

from keras_zoo.models.video import common

PAPER = "Wang et al., ECCV 2016"


def TSN(
    filters=(64, 128, 256, 512),
    encoder=None,
    dropout=0.8,
    input_shape=(3, 224, 224, 3),
    classes=101,
    name="tsn",
):
    """A clip is split into K segments and one snippet (frame) is taken from each; one CNN
    scores every snippet, and the segmental consensus is the average of the K class scores,
    followed by the softmax (eq. 1-2: G = mean, H = softmax). The network uses batch
    normalisation and a high dropout before the classifier (section 3.2: 0.8 for RGB).

    The model's input is the K snippets ``[B, K, H, W, 3]``: the embedded pipeline draws clips
    with K frames, and a longer video would be sampled one frame per segment before the model.

    Args:
        filters: channels of the default per-snippet CNN (``common.frame_encoder``).
        encoder: a registry classifier's name to use instead (``include_top=False``).
        dropout: before the snippet classifier (0.8).
        input_shape: ``(K, H, W, C)``; the paper's K = 3.
        classes: action classes.
        name: the model's name.
    """
    common.check_head(name, True, None, classes)
    inputs = common.clip_input(name, input_shape, min_frames=1, min_size=8)
    frame_shape = tuple(input_shape[1:])
    cnn = common.per_frame_encoder(frame_shape, filters, encoder)
    x = keras.layers.TimeDistributed(cnn, name="snippet_features")(inputs)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    scores = keras.layers.TimeDistributed(keras.layers.Dense(classes),
                                          name="snippet_scores")(x)
    consensus = keras.layers.GlobalAveragePooling1D(name="segmental_consensus")(scores)
    outputs = keras.layers.Softmax(name="predictions")(consensus)
    return keras.Model(inputs, outputs, name=name)


common.register_video(
    "tsn",
    TSN,
    family="tsn",
    tiny=dict(filters=(8, 16), dropout=0.0, input_shape=(3, 16, 16, 3), classes=4),
    canonical=dict(input_shape=(3, 224, 224, 3), classes=101),
    paper=PAPER,
    notes="RGB TSN with K = 3 snippets; default snippet CNN small (the paper's: BN-Inception).",
)
