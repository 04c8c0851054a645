"""The layer battery's case description: one ``LayerCase`` per layer configuration.

Each file in ``tests/layer_cases/`` defines ``CASES = [LayerCase(...), ...]``. The ``reference``
is an independent NumPy implementation of the paper's formula: it may read the layer's weights
(``layer.get_weights()``), never call the layer.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np


@dataclasses.dataclass
class LayerCase:
    id: str
    layer_class: type
    make: Callable[[], Any]
    inputs: Callable[[np.random.Generator], list]
    reference: Callable[[Any, list], np.ndarray] | None
    atol: float = 1e-5
    call_kwargs: dict = dataclasses.field(default_factory=dict)
    #: True, or the reason the check cannot pass (reported, not silently skipped).
    tflite: Any = True
    gradients: Any = True
    #: ``None``: the reference is compared with ``call(..., training=False)``.
    training: bool = False

    def call(self, layer, inputs, **kwargs):
        args = inputs[0] if len(inputs) == 1 else list(inputs)
        return layer(args, **{**self.call_kwargs, **kwargs})
