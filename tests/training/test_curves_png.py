"""training.trainer.CurvesPNG: the curves are drawn at the end of training, and during it only
when ``interval`` seconds have passed (a drawing costs 0.3-0.4 s of a short run)."""

import os

from training.trainer import CurvesPNG


def _epochs(callback, n):
    callback.on_train_begin()
    for epoch in range(n):
        callback.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": epoch / n})


def test_short_run_draws_once_at_the_end(tmp_path):
    path = os.fspath(tmp_path / "curves.png")
    callback = CurvesPNG(path, "t", interval=3600)
    _epochs(callback, 3)
    assert not os.path.exists(path)
    callback.on_train_end()
    assert os.path.getsize(path) > 0
    assert callback.history["loss"] == [1.0, 0.5, 1.0 / 3]


def test_elapsed_interval_redraws_during_training(tmp_path):
    path = os.fspath(tmp_path / "curves.png")
    callback = CurvesPNG(path, "t", history={"loss": [2.0], "accuracy": [0.0]}, interval=0)
    _epochs(callback, 1)
    assert os.path.getsize(path) > 0
    assert callback.history["loss"] == [2.0, 1.0]  # the resumed run's earlier epochs kept
