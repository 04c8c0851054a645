"""``keras-zoo train --data-service``: the tf.data service (a dispatcher and two workers,
started in this process on loopback) serves the batches the run sees without it, in order,
epoch after epoch, and a seeded run trained through it ends with the same weights. The two
tests that start the service are marked ``distributed`` (~15 s each here: gRPC servers and the
pipeline's tracing on the workers); the refusals run in the default tier."""

import gc
import socket

import numpy as np
import pytest

from keras_zoo.data import pipeline
from keras_zoo.distribute import data_service
from training import cli, trainer


@pytest.fixture(scope="module")
def service():
    address, servers = data_service.start_local(workers=2)
    yield address
    gc.collect()  # the readers of the runs above end their jobs before the servers stop
    for server in reversed(servers):
        server.stop()


def _batches(iterator, n):
    return [tuple(t.numpy() for t in next(iterator)) for _ in range(n)]


@pytest.mark.distributed
def test_the_service_serves_the_epochs_of_the_pipeline_in_order(service):
    """Two workers, augmented digits: batch i of the stream is batch i of the pipeline's
    epochs, each epoch a new shuffle and augmentation. Dynamic sharding or
    ``ShardingPolicy.OFF`` fail this (other batches, or each batch twice)."""
    def make():
        return pipeline.image_classification_dataset(
            "digits", "train", (8, 8), 1, 64, augment=(("translation", 0.1), ("rotation", 0.05)),
            seed=3).take(3)

    reference = make()
    epochs = [b for _ in range(2) for b in _batches(iter(reference), 3)]
    assert not np.array_equal(epochs[0][0], epochs[3][0])  # a new epoch is a new order
    served = _batches(iter(data_service.distribute(make(), service)), 6)
    for (x, y), (u, v) in zip(epochs, served, strict=True):
        np.testing.assert_array_equal(x, u)
        np.testing.assert_array_equal(y, v)
    # A resumed run skips the epochs done: the stream starts at epoch 1.
    resumed = _batches(iter(data_service.distribute(make(), service, skip=3)), 3)
    for (x, _), (u, _) in zip(epochs[3:], resumed, strict=True):
        np.testing.assert_array_equal(x, u)


@pytest.mark.distributed
def test_a_seeded_run_through_the_service_ends_with_the_same_weights(service, tmp_path):
    common = dict(epochs=2, batch_size=256, seed=0, verbose=0)
    plain = trainer.train("mlp", out=str(tmp_path / "plain"), **common)
    served = trainer.train("mlp", out=str(tmp_path / "served"), data_service=service, **common)
    for a, b in zip(plain.model.get_weights(), served.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert plain.history == served.history


@pytest.mark.distributed
def test_a_run_through_the_service_killed_after_a_backup_resumes_bit_identically(
        service, tmp_path, monkeypatch):
    from tests.training.test_resume import _interrupted_after_epoch_1

    reference, resumed, _ = _interrupted_after_epoch_1(tmp_path, monkeypatch, "mlp",
                                                       data_service=service)
    for a, b in zip(reference.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed.history == reference.history


def _closed_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address", ["localhost:5050", "grpc://localhost", "grpc://:5050",
                                     "grpc://localhost:99999", "http://localhost:5050"])
def test_an_invalid_address_is_one_line_and_exit_2(capsys, tmp_path, address):
    assert cli.main(["train", "mlp", "--out", str(tmp_path / "run"), "--data-service",
                     address]) == 2
    err = capsys.readouterr().err.strip()
    assert "data_service" in err and "grpc://HOST:PORT" in err and "\n" not in err
    assert not (tmp_path / "run").exists()


def test_no_dispatcher_and_a_strategy_are_refused(capsys, tmp_path):
    address = f"grpc://localhost:{_closed_port()}"
    assert cli.main(["train", "mlp", "--epochs", "1", "--out", str(tmp_path / "run"),
                     "--data-service", address]) == 2
    err = capsys.readouterr().err.strip()
    assert "no tf.data service dispatcher" in err and "\n" not in err
    with pytest.raises(ValueError, match="data_service.*strategy"):
        trainer.train("mlp", epochs=1, out=str(tmp_path / "run2"), strategy="mirrored",
                      data_service=address)
