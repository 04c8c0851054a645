"""TSN's segmental consensus (Wang et al., Temporal Segment Networks, ECCV 2016, eq. 1)."""

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class SegmentalConsensus(keras.layers.GlobalAveragePooling1D):
    """TSN's segmental consensus G (eq. 1): the mean of the K segments' class scores
    ``[B, K, classes]``. It also records the sampling the network was built for, in its config,
    so that the video task reads it from the model (a renamed one, or one loaded from a
    ``.keras`` file with ``safe_mode=True``) rather than from layer names.

    Args:
        segments: K, the segments (snippets) of a clip.
        snippet_length: frames a snippet (1 for RGB; ``snippet_length`` for RGB difference).
        **kwargs: ``keras.layers.Layer``'s (``name``, ...).
    """

    def __init__(self, segments, snippet_length=1, **kwargs):
        super().__init__(**kwargs)
        self.segments, self.snippet_length = int(segments), int(snippet_length)

    def get_config(self):
        return {**super().get_config(), "segments": self.segments,
                "snippet_length": self.snippet_length}
