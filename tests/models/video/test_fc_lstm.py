"""FC-LSTM (Shi et al. 2015's baseline): its parameter count against the paper's Table 1, its
read-out, and (slow) next-frame training against copying the last frame and against ConvLSTM."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.tasks import get_task
from tests.deferred import assert_deferred, deferred_weights

#: Shi et al. 2015, Table 1 (Moving MNIST): FC-LSTM-2048-2048, 142,667,776 parameters.
PAPER_FC_LSTM_PARAMS = 142_667_776


def peephole_lstm_params(inputs, units):
    """W_x (4 gates), W_h, the biases and the three diagonal peepholes (Shi et al. eq. 2)."""
    return 4 * units * (inputs + units) + 4 * units + 3 * units


def fc_lstm_params(units, frame_size):
    """Our FC-LSTM: the LSTM stack over flattened frames and the dense read-out to a frame."""
    total, width = 0, frame_size
    for n in units:
        total, width = total + peephole_lstm_params(width, n), n
    return total + width * frame_size + frame_size


def test_parameter_counts_match_the_paper_by_formula():
    # The paper's FC-LSTM (Srivastava et al.'s future predictor) is a 2 x 2048 encoder over the
    # 64 x 64 frames whose states seed a 2 x 2048 forecaster without input, read out from its
    # top layer. Our entry predicts each step's next frame from the encoder (as convlstm does),
    # so it is the paper's count without the forecaster's two layers, to the parameter.
    ours = fc_lstm_params((2048, 2048), 64 * 64)
    forecaster = peephole_lstm_params(0, 2048) + peephole_lstm_params(2048, 2048)
    assert ours == keras_zoo.models.info("fc_lstm").params == 92_307_456
    assert ours + forecaster == PAPER_FC_LSTM_PARAMS
    tiny = keras_zoo.models.get("fc_lstm", preset="tiny")
    t, h, w, c = tiny.input_shape[1:]
    assert tiny.count_params() == fc_lstm_params((64,), h * w * c) == 99_008
    assert [tuple(v.shape) for v in tiny.get_layer("lstm1").weights] == [
        (256, 256), (64, 256), (256,), (3, 64)]  # the peepholes: one diagonal per gate i, f, o


def test_each_step_predicts_a_frame_from_that_step_alone_and_earlier():
    # Causal over time: a change at step k leaves the predictions of steps < k unchanged.
    model = keras_zoo.models.get("fc_lstm", preset="tiny")
    rng = np.random.default_rng(0)
    x = rng.random((2, 4, 16, 16, 1)).astype(np.float32)
    y = np.asarray(model(x))
    x2 = x.copy()
    x2[:, 2] = rng.random((2, 16, 16, 1))
    y2 = np.asarray(model(x2))
    np.testing.assert_allclose(y[:, :2], y2[:, :2], atol=1e-6)
    assert np.abs(y[:, 2:] - y2[:, 2:]).max() > 1e-4
    assert 0.0 < y.min() and y.max() < 1.0  # a sigmoid read-out: pixels in (0, 1)


def test_units_are_checked():
    with pytest.raises(ValueError, match="units must be a non-empty sequence"):
        keras_zoo.models.get("fc_lstm", preset="tiny", units=(64, 0))


@pytest.mark.slow
def test_canonical_builds_at_the_formula():
    with deferred_weights():  # counted only (tests/deferred.py)
        model = keras_zoo.models.get("fc_lstm", preset="canonical")
        assert_deferred(model.weights)
    assert model.count_params() == keras_zoo.models.info("fc_lstm").params
    assert model.output_shape == (None, 10, 64, 64, 1)


def _fit_next_frame(name, **config):
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get(name, preset="tiny", **config)
    task = get_task("next_frame")
    entry = keras_zoo.models.info(name)
    task.compile(model, entry, learning_rate=2e-3)
    x, y = task.battery_data(model, entry, n=512)
    model.fit(x, y, batch_size=16, epochs=15, verbose=0)
    return model, task.evaluation_metrics(model, entry)


@pytest.mark.slow
def test_fc_lstm_beats_copying_the_last_frame_and_convlstm_beats_it():
    # The same data and fit as convlstm's test (test_video.py): 512 sequences of 4 + 1 frames of
    # 16 x 16 moving shapes, Adam 2e-3, 15 epochs, batch 16; held-out MSE (copying the last
    # frame: 0.0227). Measured 2026-12-04, seeds 0 / 1 / 2 (CPU s of fit):
    #   fc_lstm  32 units (45,536 parameters)   0.0307 / 0.0313 / 0.0299 (3 s): worse than copy
    #   fc_lstm  64 units (99,008, the tiny)    0.0178 / 0.0162 / 0.0169 (3 s)
    #   fc_lstm 128 units (230,528)             0.0132 (seed 0); 2 x 128: 0.0243
    #   fc_lstm 256 units (591,872)             0.0111 / 0.0112 (seeds 0, 1; 5 s)
    #   convlstm 16 filters 3x3 (9,873)         0.0114 / 0.0177 / 0.0184 (13-15 s)
    #   convlstm 16 filters 5x5 (27,281)        0.0114 (seed 1)
    #   convlstm 32 filters 3x3 (38,177)        0.0102 / 0.0164 / 0.0116 (24-26 s)
    # Shi et al.'s point holds per parameter: ConvLSTM with 16 filters beats FC-LSTM with 4.6
    # times its weights (32 units) at every seed, and FC-LSTM needs 60 times them (256 units) to
    # match it. It does not hold per CPU second at this size: the 64-unit FC-LSTM is on a par
    # with ConvLSTM-16/32 (better at seeds 1, 2 than ConvLSTM-16) in a quarter of the CPU time.
    # This test, 2026-12-04: tiny 0.0178, 32 units 0.0307, ConvLSTM-16 0.0114 (45 CPU s with
    # the canonical build).
    _, tiny = _fit_next_frame("fc_lstm")
    _, fc = _fit_next_frame("fc_lstm", units=(32,))
    _, conv = _fit_next_frame("convlstm", filters=(16,))
    print(f"fc_lstm tiny {tiny}; fc_lstm 32 units {fc}; convlstm 16 filters {conv}")
    assert tiny["mse"] < 0.85 * tiny["copy_last_frame_mse"]
    assert conv["mse"] < 0.8 * fc["mse"]
