"""``TF_CONFIG``: the cluster description TensorFlow reads from the environment.

As TensorFlow documents it (https://www.tensorflow.org/guide/distributed_training, "Setting up
the TF_CONFIG environment variable")::

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}'

Every process of the cluster gets the same ``cluster`` and its own ``task``. TensorFlow's own
parser fails late and obscurely on a typo (or hangs waiting for a peer that cannot exist); this
module checks the value first and names what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import os

#: Job names a ``MultiWorkerMirroredStrategy`` cluster may have ("chief" is optional: without
#: one, worker 0 is the chief).
JOBS = ("chief", "worker")


@dataclasses.dataclass(frozen=True)
class TFConfig:
    """A checked ``TF_CONFIG``.

    Args:
        cluster: job name -> list of ``"host:port"`` addresses.
        task_type: this process's job ("chief" or "worker").
        task_index: this process's index in its job.
    """

    cluster: dict
    task_type: str
    task_index: int

    @property
    def num_workers(self) -> int:
        return sum(len(v) for v in self.cluster.values())

    @property
    def is_chief(self) -> bool:
        """The chief writes checkpoints, logs and exports: the "chief" task if the cluster has
        one, else worker 0 (TensorFlow's convention)."""
        if "chief" in self.cluster:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.task_index == 0

    @property
    def address(self) -> str:
        return self.cluster[self.task_type][self.task_index]

    @property
    def peers(self) -> list:
        """Addresses of the other processes of the cluster."""
        return [a for job in JOBS for i, a in enumerate(self.cluster.get(job, ()))
                if (job, i) != (self.task_type, self.task_index)]


def _fail(what, value):
    raise ValueError(f"TF_CONFIG: {what}; got TF_CONFIG={value!r}. Expected e.g. "
                     '\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                     '"task": {"type": "worker", "index": 0}}\'.')


def _check_address(job, i, address, raw):
    host, sep, port = address.rpartition(":") if isinstance(address, str) else ("", "", "")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        _fail(f"cluster[{job!r}][{i}] must be a 'host:port' string with a port in 1..65535, "
              f"got {address!r}", raw)


def parse(raw: str) -> TFConfig:
    """Checks a ``TF_CONFIG`` string; a ``ValueError`` names the value and what is wrong."""
    try:
        config = json.loads(raw)
    except (TypeError, json.JSONDecodeError) as e:
        _fail(f"not valid JSON ({e})", raw)
    if not isinstance(config, dict):
        _fail(f"must be a JSON object, got a {type(config).__name__}", raw)
    cluster = config.get("cluster")
    if not isinstance(cluster, dict) or not cluster:
        _fail("missing 'cluster' (job name -> list of 'host:port')", raw)
    unknown = sorted(set(cluster) - set(JOBS))
    if unknown:
        _fail(f"cluster jobs must be among {JOBS} for MultiWorkerMirroredStrategy, got "
              f"{unknown}", raw)
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            _fail(f"cluster[{job!r}] must be a non-empty list of 'host:port', got "
                  f"{addresses!r}", raw)
        for i, address in enumerate(addresses):
            _check_address(job, i, address, raw)
    if len(cluster.get("chief", [])) > 1:
        _fail(f"a cluster has at most one chief, got {len(cluster['chief'])}", raw)
    task = config.get("task")
    if not isinstance(task, dict):
        _fail("missing 'task' ({'type': ..., 'index': ...})", raw)
    task_type, index = task.get("type"), task.get("index", 0)
    if task_type not in cluster:
        _fail(f"task type must be one of the cluster's jobs {sorted(cluster)}, got "
              f"{task_type!r}", raw)
    if isinstance(index, bool) or not isinstance(index, int):
        _fail(f"task index must be an int, got {index!r}", raw)
    if not 0 <= index < len(cluster[task_type]):
        _fail(f"task index {index} is out of range: job {task_type!r} has "
              f"{len(cluster[task_type])} task(s), so the index must be in "
              f"0..{len(cluster[task_type]) - 1}", raw)
    return TFConfig({k: list(v) for k, v in cluster.items()}, task_type, index)


def read(environ=None) -> TFConfig | None:
    """The checked ``TF_CONFIG`` of the environment, or ``None`` if it is unset or empty."""
    raw = (os.environ if environ is None else environ).get("TF_CONFIG", "")
    if not raw.strip():
        return None
    return parse(raw)
