"""The unsupervised flow losses of MotionNet (Zhu, Lan, Newsam & Hauptmann, Hidden Two-Stream
Convolutional Networks for Action Recognition, ACCV 2018, section 3.1)."""

import keras
from keras import ops


def warp(images, flow):
    """Bilinear sampling of ``images`` [N, H, W, C] at ``(x + u, y + v)`` for ``flow`` [N, H,
    W, 2] = (u, v) in pixels, coordinates clamped to the frame: the next frame warped back
    onto the current one."""
    _, h, w, c = images.shape
    gx = ops.clip(ops.arange(w, dtype="float32")[None, None, :] + flow[..., 0], 0.0, w - 1.0)
    gy = ops.clip(ops.arange(h, dtype="float32")[None, :, None] + flow[..., 1], 0.0, h - 1.0)
    x0, y0 = ops.floor(gx), ops.floor(gy)
    wx, wy = (gx - x0)[..., None], (gy - y0)[..., None]
    x1, y1 = ops.minimum(x0 + 1.0, w - 1.0), ops.minimum(y0 + 1.0, h - 1.0)
    flat = ops.reshape(images, (-1, h * w, c))

    def gather(y, x):
        index = ops.reshape(ops.cast(y * w + x, "int32"), (-1, h * w, 1))
        picked = ops.take_along_axis(flat, ops.repeat(index, c, axis=-1), axis=1)
        return ops.reshape(picked, (-1, h, w, c))

    top = gather(y0, x0) * (1 - wx) + gather(y0, x1) * wx
    bottom = gather(y1, x0) * (1 - wx) + gather(y1, x1) * wx
    return top * (1 - wy) + bottom * wy


@keras.saving.register_keras_serializable(package="keras_zoo")
class PhotometricFlowLoss(keras.layers.Layer):
    """Called on ``[clips, flow]`` (clips ``[B, T, H, W, C]``, flow ``[B, H, W, 2(T-1)]``, field
    k in channels 2k, 2k+1), returns ``flow`` unchanged; in training it adds MotionNet's loss
    (eq. 1-3): the Charbonnier penalty of ``frame_k - warp(frame_{k+1}, flow_k)`` plus
    ``smoothness`` times the Charbonnier penalty of the flow's spatial gradients, so the
    network learns optical flow without flow labels.

    Args:
        weight: the loss's weight beside the classification loss.
        smoothness: the smoothness term's weight.
        epsilon: the Charbonnier ``sqrt(x^2 + epsilon^2)`` constant.
    """

    def __init__(self, weight=1.0, smoothness=0.1, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.weight, self.smoothness, self.epsilon = float(weight), float(smoothness), \
            float(epsilon)

    def _charbonnier(self, x):
        return ops.mean(ops.sqrt(ops.square(x) + self.epsilon ** 2))

    def loss(self, clips, flow):
        _, t, h, w, c = clips.shape
        fields = ops.reshape(flow, (-1, h, w, t - 1, 2))
        fields = ops.reshape(ops.transpose(fields, (0, 3, 1, 2, 4)), (-1, h, w, 2))
        current = ops.reshape(clips[:, :-1], (-1, h, w, c))
        following = ops.reshape(clips[:, 1:], (-1, h, w, c))
        photometric = self._charbonnier(current - warp(following, fields))
        smooth = (self._charbonnier(fields[:, 1:] - fields[:, :-1])
                  + self._charbonnier(fields[:, :, 1:] - fields[:, :, :-1]))
        return photometric + self.smoothness * smooth

    def call(self, inputs, training=False):
        clips, flow = inputs
        if training:
            self.add_loss(self.weight * self.loss(clips, flow))
        return flow

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "smoothness": self.smoothness,
                "epsilon": self.epsilon}
