"""ConvLSTM for next-frame prediction (Shi, Chen, Wang, Yeung, Wong & Woo, Convolutional LSTM
Network: A Machine Learning Approach for Precipitation Nowcasting, NeurIPS 2015)."""

import keras

from keras_zoo.models.registry import register

PAPER = "Shi et al., NeurIPS 2015"


def ConvLSTM(
    filters=(64, 64),
    kernel_size=5,
    input_shape=(10, 64, 64, 1),
    name="convlstm",
):
    """Stacked ConvLSTM layers over the frames (every state a ``H x W x filters`` map, the
    gates' matrix products replaced by convolutions, eq. 3), each step's hidden maps turned
    into the next frame by a 1x1 convolution with a sigmoid.

    Keras' ``ConvLSTM2D`` has no peephole terms (the paper's ``W_c o C``); they are the one
    departure. The layers are unrolled over the fixed T so the graph converts to TFLite builtins.

    Args:
        filters: hidden channels of each ConvLSTM layer (the paper's Moving MNIST model:
            64, 64 with 5x5 kernels in its 2-layer variant).
        kernel_size: the state-to-state and input-to-state kernels.
        input_shape: ``(T, H, W, C)`` of the input frames.
        name: the model's name.
    """
    return next_frame_model(
        lambda f, i: keras.layers.ConvLSTM2D(f, kernel_size, padding="same",
                                             return_sequences=True, unroll=True,
                                             name=f"convlstm{i}"),
        filters, input_shape, name)


def next_frame_model(recurrent_layer, filters, input_shape, name):
    """Stacked recurrent layers ``recurrent_layer(filters, index)`` over the frames, each
    step's hidden maps turned into the next frame by a 1x1 convolution with a sigmoid."""
    if len(input_shape) != 4 or None in tuple(input_shape):
        raise ValueError(f"{name}: input_shape must be (frames, height, width, channels), got "
                         f"{input_shape}.")
    inputs = keras.Input(tuple(input_shape), name="frames")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = recurrent_layer(f, i)(x)
    outputs = keras.layers.Conv3D(input_shape[-1], 1, activation="sigmoid",
                                  name="next_frames")(x)
    return keras.Model(inputs, outputs, name=name)


register(
    "convlstm",
    task="next_frame",
    family="convlstm",
    tiny=dict(filters=(8,), kernel_size=3, input_shape=(4, 16, 16, 1)),
    canonical=dict(input_shape=(10, 64, 64, 1)),
    data="moving_shapes",
    recipe="next_frame_convlstm",
    paper=PAPER,
    notes="No peephole connections (Keras ConvLSTM2D); unrolled over T.",
)(ConvLSTM)
