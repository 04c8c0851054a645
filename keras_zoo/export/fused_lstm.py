"""Export-time fused LSTM: TFLite's ``UNIDIRECTIONAL_SEQUENCE_LSTM`` from a Keras 3 LSTM.

Keras 3's LSTM has no ``api_implements`` function (tf.keras 2 had), so the TFLite converter
unrolls it into plain builtins. The converter's composite-function pass
(tensorflow/compiler/mlir/lite/transforms/prepare_composite_functions_tf.cc,
``ConvertKerasLSTMLayer`` in utils/lstm_utils.cc) still fuses any ``tf.function`` carrying
``api_implements = "lstm_<id>"`` and ``time_major`` attributes, with tf.keras 2's
``standard_lstm`` signature: arguments ``(inputs [B, T, D], init_h, init_c, kernel [D, 4U],
recurrent_kernel [U, 4U], bias [4U])`` (gates i, f, c, o: Keras' order) and 5 results
``(last_output, outputs, h, c, runtime)``, of which only the first two may be used. The pass
needs a **static batch size** (it refuses unknown-batch state shapes, and the function then
keeps its body): ``fused_lstm_serving_fn`` therefore fixes the batch (1 by default, the usual
on-device case). Its body here is the unrolled recurrence, so an unfused conversion still needs
only builtin ops.
"""

from __future__ import annotations

import uuid

import keras
import tensorflow as tf

from keras_zoo.tasks.sequence_common import sequence_length as _sequence_length


def _lstm_body(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
    h, c, outputs = init_h, init_c, []
    for t in range(inputs.shape[1]):  # static T: unrolled, no TensorList ops
        z = tf.matmul(inputs[:, t], kernel) + tf.matmul(h, recurrent_kernel) + bias
        i, f, g, o = tf.split(z, 4, axis=1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        outputs.append(h)
    outputs = tf.stack(outputs, axis=1)
    return outputs[:, -1], outputs, h, c, tf.constant(0.0)


def fused_lstm_function():
    """A new ``tf.function`` the converter fuses into ``UNIDIRECTIONAL_SEQUENCE_LSTM`` (one per
    layer: the ``api_implements`` name must be unique to its signature)."""
    return tf.function(_lstm_body, autograph=False, experimental_attributes={
        "api_implements": f"lstm_{uuid.uuid4()}", "api_preferred_device": "CPU",
        "time_major": False, "go_backwards": False})


def _check_lstm(layer):
    cell = layer.cell
    if (cell.activation is not keras.activations.tanh
            or cell.recurrent_activation is not keras.activations.sigmoid
            or not cell.use_bias or layer.go_backwards or layer.stateful):
        raise ValueError(f"{layer.name}: the fused TFLite LSTM needs tanh/sigmoid activations, "
                         "a bias, and a forward, stateless layer.")


def fused_lstm_serving_fn(model, batch_size=1):
    """A serving function ``tokens [batch_size, T] int32 -> {"outputs": ...}`` of an
    ``RNNClassifier`` or ``RNNLanguageModel`` with LSTM cells, computing each LSTM layer with
    ``fused_lstm_function`` on the layer's own weights (equal to ``model(tokens)``).

    Supported graphs: embedding, LSTM layers one after the other, dropout, dense heads (the
    ``lstm_classifier`` and ``lstm_char_lm`` entries). A masked classifier (``mask_zero``)
    reads the last non-padding step, which equals Keras' masked LSTM for right-padded input
    (padding only at the end); an all-padding row gives the initial state, zeros, as Keras does.

    Args:
        model: the Keras model (its layers are called; nothing is copied).
        batch_size: the static batch of the signature (the fusion needs it fixed).
    """
    length = _sequence_length(model)
    steps = []
    for layer in model.layers:
        if isinstance(layer, (keras.layers.InputLayer, keras.layers.Dropout)):
            continue
        if isinstance(layer, keras.layers.LSTM):
            _check_lstm(layer)
            steps.append((layer, fused_lstm_function()))
        elif isinstance(layer, (keras.layers.Embedding, keras.layers.Dense)):
            steps.append((layer, None))
        else:
            raise ValueError(f"{model.name}: fused_lstm_serving_fn supports embedding, LSTM, "
                             f"dropout and dense layers in a chain, not {type(layer).__name__} "
                             f"({layer.name}).")

    @tf.function(input_signature=[tf.TensorSpec([batch_size, length], tf.int32, name="tokens")])
    def serve(tokens):
        lengths = tf.reduce_sum(tf.cast(tokens != 0, tf.int32), axis=1)
        x, masked = tokens, False
        for layer, fused in steps:
            if fused is None:
                masked = masked or bool(getattr(layer, "mask_zero", False))
                x = layer(x, training=False)
                continue
            cell = layer.cell
            zeros = tf.zeros([batch_size, cell.units])
            _, outputs, _, _, _ = fused(x, zeros, zeros, tf.convert_to_tensor(cell.kernel),
                                        tf.convert_to_tensor(cell.recurrent_kernel),
                                        tf.convert_to_tensor(cell.bias))
            if layer.return_sequences:
                x = outputs
            elif masked:  # the state after the last real token; zeros for an empty row
                last = tf.gather(outputs, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)
                x = tf.where((lengths > 0)[:, None], last, tf.zeros_like(last))
            else:
                x = outputs[:, -1]
        return {"outputs": x}

    return serve
