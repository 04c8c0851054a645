"""Bad input to distributed training: quick checks that start no worker (default test tier)."""

import json
import types

import pytest

from keras_zoo import distribute
from keras_zoo.distribute import compat, tf_config

TWO = {"cluster": {"worker": ["host1:12345", "host2:12345"]},
       "task": {"type": "worker", "index": 1}}


def test_a_valid_tf_config():
    config = tf_config.parse(json.dumps(TWO))
    assert (config.task_type, config.task_index, config.num_workers) == ("worker", 1, 2)
    assert not config.is_chief and config.peers == ["host1:12345"]
    with_chief = dict(TWO, cluster={"chief": ["c:1"], "worker": ["w:2"]},
                      task={"type": "chief", "index": 0})
    assert tf_config.parse(json.dumps(with_chief)).is_chief


@pytest.mark.parametrize("raw, message", [
    ('{"cluster": {"worker": ["h:1"]}, "task": ', "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"task": {"type": "worker", "index": 0}}', "missing 'cluster'"),
    (json.dumps(dict(TWO, task={"type": "worker", "index": 2})),
     r"task index 2 is out of range: job 'worker' has 2 task\(s\)"),
    (json.dumps(dict(TWO, task={"type": "worker", "index": -1})), "task index -1 is out of"),
    (json.dumps(dict(TWO, task={"type": "ps", "index": 0})), "task type must be one of"),
    (json.dumps(dict(TWO, task={"type": "worker", "index": "0"})), "task index must be an int"),
    (json.dumps(dict(TWO, cluster={"worker": ["host1"]})), "'host:port' string"),
    (json.dumps(dict(TWO, cluster={"worker": ["h:1"], "ps": ["h:2"]})), "cluster jobs must"),
    (json.dumps({"cluster": {"worker": ["h:1"]}}), "missing 'task'"),
])
def test_a_bad_tf_config_is_a_clear_error_naming_the_value(raw, message):
    with pytest.raises(ValueError, match=message) as info:
        tf_config.parse(raw)
    assert "TF_CONFIG" in str(info.value) and repr(raw)[:20] in str(info.value)


def test_read_takes_the_environment(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert tf_config.read() is None
    monkeypatch.setenv("TF_CONFIG", "{oops")
    with pytest.raises(ValueError, match="not valid JSON"):
        tf_config.read()


def test_multi_worker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the environment variable TF_CONFIG"):
        distribute.get_strategy("multi-worker")
    monkeypatch.setenv("TF_CONFIG", json.dumps(dict(TWO, task={"type": "worker", "index": 5})))
    with pytest.raises(ValueError, match="task index 5 is out of range"):
        distribute.get_strategy("multi-worker")
    unknown = dict(TWO, cluster={"worker": ["no-such-host.invalid:1", "h:2"]},
                   task={"type": "worker", "index": 1})
    monkeypatch.setenv("TF_CONFIG", json.dumps(unknown))
    with pytest.raises(ValueError, match="cannot resolve host 'no-such-host.invalid'"):
        distribute.get_strategy("multi-worker")


def test_unknown_strategy_and_bad_timeout(monkeypatch):
    with pytest.raises(ValueError, match="strategy must be one of"):
        distribute.get_strategy("parameter-server")
    assert distribute.peer_timeout(30) == 30
    monkeypatch.setenv(distribute.TIMEOUT_ENV, "soon")
    with pytest.raises(ValueError, match="KERAS_ZOO_PEER_TIMEOUT must be a number"):
        distribute.peer_timeout()
    with pytest.raises(ValueError, match="timeout must be a number of seconds >= 1"):
        distribute.peer_timeout(0)


def test_global_batch_must_divide_across_replicas():
    two = types.SimpleNamespace(num_replicas_in_sync=2)
    assert distribute.check_global_batch(32, two) == 16
    with pytest.raises(ValueError, match="batch_size 33 .* divisible by the number of "
                                         "replicas 2"):
        distribute.check_global_batch(33, two)


def test_chief_and_backup_dir_from_tf_config(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.is_chief() and distribute.backup_dir("o") == "o/backup"
    monkeypatch.setenv("TF_CONFIG", json.dumps(TWO))
    assert not distribute.is_chief()
    assert distribute.backup_dir("o") == "o/backup-worker-1"
    monkeypatch.setenv("TF_CONFIG", json.dumps(dict(TWO, task={"type": "worker", "index": 0})))
    assert distribute.is_chief() and distribute.backup_dir("o") == "o/backup"


def test_the_keras3_fix_installs_and_uninstalls():
    from keras.src.backend.tensorflow import trainer

    was = compat.installed()
    compat.uninstall()
    original = trainer.reduce_per_replica
    with compat.keras3_multi_worker_fix():
        assert trainer.reduce_per_replica is compat._reduce_per_replica
        assert trainer.TensorFlowTrainer._maybe_symbolic_build is compat._maybe_symbolic_build
    assert trainer.reduce_per_replica is original
    if was:
        compat.install()
