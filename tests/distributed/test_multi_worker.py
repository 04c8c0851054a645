"""``MultiWorkerMirroredStrategy`` through plain ``fit`` with real worker processes on 127.0.0.1.

Every worker runs ``training.train(..., strategy="multi-worker")`` (what ``keras-zoo train
--strategy multi-worker`` runs) in its own process, with its own ``TF_CONFIG``. Run with
``pytest -m distributed``.
"""

import contextlib
import json
import os
import time

import numpy as np
import pytest

from keras_zoo.distribute import watchdog
from tests.distributed.cluster import Cluster, max_weight_difference

pytestmark = pytest.mark.distributed

TOLERANCE = 1e-5
#: Per-model arguments of the worker: a few epochs on the embedded digits (1259 training images),
#: at a global batch that both 1 and 2 workers can split.
RUNS = {
    "mlp": ["mlp", "--epochs", "3", "--batch-size", "16"],
    "lenet5": ["lenet5", "--epochs", "2", "--batch-size", "64", "--preset", "canonical"],
}


def _one_and_two_workers(tmp_path, name, mirrored=False, timeout=420):
    """Runs the 1-worker baseline and the 2-worker cluster at the same time (3 processes);
    with ``mirrored``, also one process of MirroredStrategy over 2 logical CPUs (the same two
    replicas' arithmetic as the 2 workers, without a cluster)."""
    args = RUNS[name]
    one = Cluster(1, args + ["--out", str(tmp_path / "one")], tmp_path / "logs1",
                  tmp_path / "one_")
    two = Cluster(2, args + ["--out", str(tmp_path / "two")], tmp_path / "logs2",
                  tmp_path / "two_")
    local = Cluster(1, args + ["--out", str(tmp_path / "mirrored"), "--strategy", "mirrored",
                               "--logical-devices", "2"], tmp_path / "logs3", tmp_path / "m_",
                    multi_worker=False) if mirrored else contextlib.nullcontext()
    with one, two, local:
        runs = one.check(timeout=timeout)[0], two.check(timeout=timeout)
        return runs + (local.check(timeout=timeout)[0],) if mirrored else runs


@pytest.fixture(scope="module")
def mlp_runs(tmp_path_factory):
    return _one_and_two_workers(tmp_path_factory.mktemp("mlp"), "mlp")


def _assert_same_training(one, two):
    chief, other = two
    # Two workers that each trained alone on the whole data would also match one worker.
    assert (one["replicas"], one["multi_worker"]) == (1, False)
    assert [(w["replicas"], w["multi_worker"]) for w in two] == [(2, True)] * 2
    assert set(chief["history"]) == set(one["history"])
    for key, values in one["history"].items():
        np.testing.assert_allclose(chief["history"][key], values, atol=TOLERANCE, err_msg=key)
    assert max_weight_difference(chief, one) <= TOLERANCE
    assert max_weight_difference(chief, other) <= TOLERANCE  # workers stay in sync
    losses = one["history"]["loss"]
    assert losses[-1] < losses[0]  # it trained: equality of two frozen runs proves nothing


def test_mlp_two_workers_equal_one_worker(mlp_runs):
    one, two = mlp_runs
    _assert_same_training(one, two)


def test_lenet5_two_workers_equal_two_local_replicas_and_stay_near_one_worker(tmp_path):
    """With the recipe's augmentation (seeded_map), 2 workers train exactly as 2 replicas of
    MirroredStrategy in one process (measured: bit-identical weights and histories): the
    cluster's sharding, augmentation keys and all-reduce add nothing to that arithmetic.

    They do not equal 1 worker to 1e-5, and no fix can make them: the drift is float
    reassociation crossing a ReLU boundary, amplified by Adam. Two replicas sum two half-batch
    gradients, which rounds differently from one full-batch gradient (~1e-7); in the measured
    run F6 unit 81 of LeNet-5 sat at the edge of its ReLU, got a gradient of a few 1e-7 in
    one computation and none in the other, and Adam's per-weight normalisation turns any
    gradient well above its epsilon (1e-7) into a step of the full learning rate (1e-2): its
    bias ended at 0.0409 against -0.0003, which moved the epoch-1 training loss by 1.5e-4
    (1.674290 vs 1.674534) and one of 179 validation digits. Checked: the per-replica batches
    equal the halves of 1 worker's batches (images and labels, 2 epochs); reversing the order
    of each global batch (same examples, same replicas, other rounding) moved MirroredStrategy
    onto 1 worker's result (epoch-1 loss 1.67453408 vs 1.67453396, weights 1.2e-4), while
    swapping the replicas' halves changed nothing (a + b == b + a); with TF_ENABLE_ONEDNN_OPTS=0
    (Eigen's kernels, whose rounding depends less on the batch size than oneDNN's) 2 workers
    equalled 1 worker to 2.8e-6 in the weights (one run). So against 1 worker only a bound
    holds: the first epoch's training loss within 1e-3 (relative), which still tells a
    different data stream apart (one other augmentation draw moved the loss by 0.15)."""
    # 4 processes of 2 epochs of the canonical LeNet-5: 4-5 min at a load of 14 here.
    one, two, local = _one_and_two_workers(tmp_path, "lenet5", mirrored=True, timeout=900)
    chief, other = two
    assert [(w["replicas"], w["multi_worker"]) for w in two] == [(2, True)] * 2
    assert (local["replicas"], local["multi_worker"]) == (2, False)
    assert set(chief["history"]) == set(local["history"]) == set(one["history"])
    for key, values in local["history"].items():
        np.testing.assert_allclose(chief["history"][key], values, rtol=0, atol=1e-6, err_msg=key)
    assert max_weight_difference(chief, local) <= 1e-6  # measured: 0
    assert max_weight_difference(chief, other) <= TOLERANCE  # workers stay in sync
    np.testing.assert_allclose(chief["history"]["loss"][0], one["history"]["loss"][0],
                               rtol=1e-3)
    losses = chief["history"]["loss"]
    assert losses[-1] < losses[0]  # it trained: equality of two frozen runs proves nothing


def _epoch(backup):
    try:
        with open(os.path.join(backup, "training_metadata.json")) as f:
            return json.load(f)["epoch"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.mark.parametrize("killed", [1, 0], ids=["worker", "chief"])
def test_killed_worker_resumes_from_backup_and_ends_like_an_uninterrupted_run(tmp_path,
                                                                               mlp_runs,
                                                                               killed):
    """SIGKILL worker 1 (or the chief, worker 0, which writes history.csv and the checkpoints)
    inside an epoch; the other worker then fails by itself within the peer timeout; the same
    command restarted on both workers resumes from their backups (trainer.Backup) and ends with
    the weights and the whole history of the uninterrupted run (``mlp_runs``, same arguments).

    The kill waits for an event, not for a time: both workers have committed the backup of
    epoch ``e`` (before the last one), so they are inside epoch ``e + 1``; it is checked after
    the kill (both backups still name ``e``). It was a fixed 0.3 s sleep after the commit,
    which assumed how long the rest of the run lasts (where it is shorter, the kill lands in
    a later epoch or after the run)."""
    _, (reference, _) = mlp_runs
    out = tmp_path / "run"
    args = RUNS["mlp"] + ["--out", str(out)]
    epochs = int(RUNS["mlp"][RUNS["mlp"].index("--epochs") + 1])
    # Generous: it bounds the survivor's failure (TensorFlow's own error usually comes first)
    # and must never fire in a healthy run. With 60 s the resumed run failed once at a load of
    # 25 on 2 cores: worker 1's watchdog killed it after 60 s without progress, and the chief
    # failed in the all-reduce of the final evaluate.
    peer_timeout = 300
    with Cluster(2, args, tmp_path / "logs", tmp_path / "first_", peer_timeout) as first:
        backups = [str(out / "backup"), str(out / "backup-worker-1")]
        deadline = time.monotonic() + 300  # generous: TensorFlow's start-up under load
        committed = None
        while time.monotonic() < deadline and all(p.poll() is None for p in first.procs):
            seen = [_epoch(b) for b in backups]
            if seen[0] is not None and seen[0] == seen[1]:
                committed = seen[0]
                first.kill(killed)  # at once: both are in epoch `committed` + 1
                break
            time.sleep(0.05)
        assert committed is not None, ("no epoch was backed up by both workers before the run "
                                       "ended or the deadline:\n" + first.tail(0) + first.tail(1))
        assert 0 < committed < epochs, (committed, "the run ended before the kill")
        assert first.procs[killed].returncode == -9
        # The survivor fails by itself: TensorFlow's error, or its watchdog after the timeout.
        survivor = 1 - killed
        codes = first.wait(timeout=peer_timeout + 60)
        assert codes[survivor] != 0, first.tail(survivor)
    # The kill landed inside epoch `committed` + 1, and the survivor could not finish it alone.
    assert [_epoch(b) for b in backups] == [committed, committed]
    assert not os.path.exists(tmp_path / "first_0.npz")
    with Cluster(2, args, tmp_path / "logs", tmp_path / "again_", peer_timeout) as again:
        resumed, other = again.check(timeout=420)
    # The chief's history covers the whole run (history.csv, also after a resume); the other
    # worker reports only the epochs it ran: those after the backup, so it resumed, not started
    # over.
    assert len(resumed["history"]["loss"]) == epochs
    for key, values in reference["history"].items():
        np.testing.assert_allclose(resumed["history"][key], values, atol=TOLERANCE, err_msg=key)
    assert len(other["history"]["loss"]) == epochs - committed
    assert max_weight_difference(resumed, reference) <= TOLERANCE
    assert max_weight_difference(resumed, other) <= TOLERANCE
    for backup in backups:
        assert not os.path.exists(backup)  # removed once the run completed


def test_unreachable_peer_fails_within_the_peer_timeout(tmp_path):
    """Worker 0 of a 2-worker cluster whose worker 1 never starts fails within the timeout,
    instead of hanging (or training alone)."""
    peer_timeout = 10
    with Cluster(2, RUNS["mlp"] + ["--out", str(tmp_path / "out")], tmp_path / "logs",
                 tmp_path / "r_", peer_timeout) as cluster:
        cluster.kill(1)  # before it could start TensorFlow: the peer never comes
        start = time.monotonic()
        codes = cluster.wait(timeout=240)
        elapsed = time.monotonic() - start
    assert codes[0] != 0, cluster.tail(0)
    assert not os.path.exists(cluster.result(0))
    assert watchdog.MESSAGE in cluster.tail(0) or "replicas answered" in cluster.tail(0), (
        cluster.tail(0))
    # Importing TensorFlow takes up to a minute on this shared 2-core machine; the wait for the
    # peer itself is bounded by the timeout (the message states the time waited).
    assert elapsed < 180
