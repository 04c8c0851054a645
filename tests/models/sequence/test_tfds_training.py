"""The real-data path: a text classifier trained by its recipe on TFDS ``imdb_reviews``
(``tfds.testing.mock_data``: no download), fit and evaluate end to end."""

import json
import os

import numpy as np
import pytest


def test_text_classifier_trains_on_imdb_reviews_mock_data(tmp_path, graph_optimizer_off):
    tfds = pytest.importorskip("tensorflow_datasets")
    from keras_zoo.tasks import get_task
    from training.trainer import train

    with tfds.testing.mock_data(num_examples=40):
        task = get_task("text_classification")
        texts, labels = task._texts("train", data="imdb_reviews")
        # mock_data serves num_examples for any split spec (train[:90%] too).
        assert len(texts) == 40 and set(labels) <= {0, 1}
        # Not the embedded corpus: the batches come from TFDS.
        from keras_zoo.data import text
        assert texts[0] not in text.labelled_corpus("train")[0]
        result = train("lstm_text_classifier", epochs=1, batch_size=16, data="imdb_reviews",
                       out=os.fspath(tmp_path / "run"), verbose=0)
    assert len(result.history["loss"]) == 1
    assert np.isfinite(result.history["loss"]).all()
    assert np.isfinite(result.history["val_loss"]).all()
    with open(os.path.join(result.out_dir, "metrics.json")) as f:
        metrics = json.load(f)
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0
    assert os.path.exists(result.model_path)
