"""Video models: action recognition on clips ``[batch, T, H, W, 3]`` (3-D convolutions,
two-stream networks, recurrent models) and spatio-temporal prediction (ConvLSTM)."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)
