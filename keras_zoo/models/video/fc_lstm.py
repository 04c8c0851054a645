"""The fully connected LSTM (FC-LSTM) for next-frame prediction: the baseline that ConvLSTM is
measured against (Shi, Chen, Wang, Yeung, Wong & Woo, Convolutional LSTM Network, NeurIPS 2015,
eq. 2 and Table 1), after the LSTM video models of Srivastava, Mansimov & Salakhutdinov,
Unsupervised Learning of Video Representations using LSTMs, ICML 2015."""

import keras

from keras_zoo.layers.peephole_lstm import PeepholeLSTM
from keras_zoo.models.registry import register

PAPER = "Shi et al., NeurIPS 2015 (FC-LSTM); Srivastava et al., ICML 2015"


def FCLSTM(
    units=(2048, 2048),
    input_shape=(10, 64, 64, 1),
    name="fc_lstm",
):
    """Every frame flattened to a vector, stacked peephole LSTM layers over the frames (Shi et
    al. eq. 2, Graves 2013: the gates see the cell through diagonal ``w_c o c`` weights), and a
    fully connected read-out with a sigmoid from the top layer's state to the next frame, at
    every step.

    The state is a vector: the model knows nothing of the frame's 2-D layout, which is the
    redundancy ConvLSTM removes (Shi et al., section 3.1). Departure: Shi et al.'s FC-LSTM
    (Srivastava et al.'s future predictor) is an encoder over the input frames whose states seed
    a forecaster of two more LSTM layers without input; here, as the ``convlstm`` entry, each
    step's state predicts the next frame, so the forecaster's layers are absent (the paper's
    142,667,776 parameters at 2048-2048 on 64 x 64 frames are ours, 92,307,456, plus the
    forecaster's 50,360,320; tests/models/video/test_fc_lstm.py).

    Args:
        units: the width of each LSTM layer (Shi et al.'s FC-LSTM-2048-2048: two of 2048).
        input_shape: ``(T, H, W, C)`` of the input frames (Moving MNIST: 10 frames of 64 x 64).
        name: the model's name.

    Example:
        >>> model = FCLSTM(units=(64,), input_shape=(4, 16, 16, 1))
        >>> model.output_shape
        (None, 4, 16, 16, 1)
    """
    if len(input_shape) != 4 or None in tuple(input_shape):
        raise ValueError(f"{name}: input_shape must be (frames, height, width, channels), got "
                         f"{input_shape}.")
    if (isinstance(units, int) or not units
            or not all(isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in units)):
        raise ValueError(f"{name}: units must be a non-empty sequence of positive ints (one per "
                         f"LSTM layer, e.g. (2048, 2048)), got {units!r}.")
    t, h, w, c = input_shape
    inputs = keras.Input(tuple(input_shape), name="frames")
    x = keras.layers.Reshape((t, h * w * c), name="flat_frames")(inputs)
    for i, n in enumerate(units, start=1):
        x = PeepholeLSTM(n, return_sequences=True, name=f"lstm{i}")(x)
    x = keras.layers.Dense(h * w * c, activation="sigmoid", name="readout")(x)
    outputs = keras.layers.Reshape((t, h, w, c), name="next_frames")(x)
    return keras.Model(inputs, outputs, name=name)


register(
    "fc_lstm",
    task="next_frame",
    family="convlstm",
    tiny=dict(units=(64,), input_shape=(4, 16, 16, 1)),
    canonical=dict(units=(2048, 2048), input_shape=(10, 64, 64, 1)),
    data="moving_shapes",
    recipe="next_frame",
    paper=PAPER,
    params=92_307_456,
    notes="Peephole LSTM layers over flattened frames, a dense read-out to the next frame at "
          "every step (Shi et al.'s encoder without its forecaster: see the docstring); "
          "unrolled over T.",
)(FCLSTM)
