"""The 2-D linear map whose bias (and activation) TensorFlow fuses into the matmul: shared by
the serving layers FusedSelfAttention and TokenDense."""

import keras


def fused_linear(x, kernel, bias, activation=None):
    """``activation(x @ kernel + bias)`` on a 2-D ``x``. On TensorFlow the bias is added with
    ``tf.nn.bias_add``: Grappler's remapper fuses MatMul + BiasAdd (+ GELU, ReLU, ...) into one
    oneDNN matmul, which it does not for an ``AddV2`` after the matmul of a 3-D input (what
    ``Dense`` on tokens runs: reshape, matmul, reshape, add, then the activation's own ops)."""
    out = keras.ops.matmul(x, kernel)
    if bias is not None:
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            out = tf.nn.bias_add(out, bias)
        else:
            out = keras.ops.add(out, bias)
    return out if activation is None else activation(out)
