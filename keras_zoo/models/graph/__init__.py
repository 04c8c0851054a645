"""Graph neural networks for node classification on dense graphs (adjacency ``[B, N, N]`` and
node features ``[B, N, F]`` in, node logits ``[B, N, classes]`` out): spectral convolutions
(Chebyshev filters, Kipf & Welling's first-order GCN) and spatial ones (GraphSAGE)."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)
