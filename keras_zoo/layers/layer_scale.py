"""LayerScale (Touvron, Cord, Sablayrolles, Synnaeve & Jegou, "Going deeper with Image
Transformers", ICCV 2021, section 2.1, eq. 4): each residual branch of a Transformer layer is
multiplied by a learnable diagonal matrix, ``x' = x + diag(lambda_1..lambda_d) x SA(LN(x))``,
initialised to a small constant. DINOv2 (Oquab et al., 2024) uses it in every layer of its ViT.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class LayerScale(keras.layers.Layer):
    """``y = x * lambda`` with one learnable ``lambda`` per channel of the last axis.

    Args:
        init_value: the initial value of every ``lambda`` (CaiT: 0.1 up to depth 18, 1e-5 at
            24, 1e-6 beyond; DINOv2's released models were trained from 1e-5; 1.0 is the
            identity).
    """

    def __init__(self, init_value=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.init_value = float(init_value)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"LayerScale: the last axis must be known, got input shape "
                             f"{tuple(input_shape)}.")
        self.scale = self.add_weight(shape=(input_shape[-1],),
                                     initializer=keras.initializers.Constant(self.init_value),
                                     name="scale")

    def call(self, inputs):
        return inputs * keras.ops.cast(self.scale, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}
