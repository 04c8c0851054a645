"""The tf.data service for ``keras-zoo train MODEL --data-service grpc://HOST:PORT``.

Where the trainer's own cores cannot decode and augment fast enough, TensorFlow's tf.data
service runs the input pipeline elsewhere: a dispatcher (``HOST:PORT``) hands the pipeline to
worker processes, which send the finished batches to the trainer over gRPC.

Which ``processing_mode``: a seeded run must see the batches it sees without the service, in
the same order, every epoch (and a resumed run those of the uninterrupted one).

- ``"distributed_epoch"`` (dynamic sharding) splits the *source* dataset between the workers as
  they ask for work: a batch's composition, its augmentation key and the order of the batches
  depend on timing. Not deterministic.
- ``"parallel_epochs"`` (``ShardingPolicy.OFF``): every worker produces the whole epoch; with
  two workers the trainer sees every batch twice, in an interleaving that depends on timing.
- Used here: the pipeline repeated without end (``repeat()`` re-creates its iterator every epoch,
  which draws the next shuffle order and augmentation keys exactly as a new ``fit`` epoch does),
  its batches numbered, and static ``ShardingPolicy.DATA`` sharding: worker ``w`` of ``W``
  keeps batches ``w, w + W, ...`` of that stream, each equal to the batch of the run without
  the service. The trainer puts the batches back in their numbers' order as they arrive
  (measured: coordinated reads, ``consumer_index``/``num_consumers``, did not keep it: the
  rounds went to whichever worker the client knew of first). ``tests/distributed/
  test_data_service.py`` compares the batches and the trained weights with and without it.

The price of that determinism: static sharding needs the dispatcher to be started with the
fixed list of its workers (``DispatcherConfig(worker_addresses=[...])``; ``start_local`` does it
on one machine), and DATA sharding shards the pipeline's output, so every worker runs the whole
pipeline and keeps its share: the service takes the pipeline off the trainer's cores (one
worker machine's cores feed it), it does not divide the pipeline's work between workers.
"""

from __future__ import annotations

import re
import socket

#: ``grpc://HOST:PORT``: a host name, an IPv4 address or a bracketed IPv6 address.
_ADDRESS = re.compile(r"grpc://(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})")


def parse_address(address) -> tuple[str, int]:
    """``(host, port)`` of a dispatcher address ``grpc://HOST:PORT``.

    Raises:
        ValueError: naming ``data_service`` and the form it takes.
    """
    match = _ADDRESS.fullmatch(address) if isinstance(address, str) else None
    port = int(match["port"]) if match else 0
    if not match or not 0 < port < 65536:
        raise ValueError(f"data_service must be a tf.data service dispatcher address "
                         f"grpc://HOST:PORT (port 1-65535), got {address!r}.")
    return match["host"].strip("[]"), port


def check_reachable(address, timeout=10.0):
    """Raises ``OSError`` (one line in the CLI) when nothing listens at the dispatcher's
    address: TensorFlow's client would otherwise retry for a long time without saying why."""
    host, port = parse_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as e:
        raise OSError(f"data_service: no tf.data service dispatcher answers at {address} "
                      f"({e.strerror or e}).") from None


#: Batches a reader holds while it waits for the next one in order from a slow worker.
MAX_REORDER = 256


def distribute(dataset, address, skip=0, job_name=None):
    """``dataset`` served by the tf.data service at ``address``, as an endless stream of its
    epochs (``fit`` needs ``steps_per_epoch``) that equals iterating ``dataset`` once per
    epoch, batch for batch (see the module docstring for why this ``processing_mode``).

    Args:
        dataset: the training pipeline (finite; one pass is one epoch).
        address: the dispatcher, ``grpc://HOST:PORT``; it must have been started with its
            workers' addresses (``DispatcherConfig(worker_addresses=...)``).
        skip: batches of the stream to skip (a run resumed at epoch ``e`` of ``n`` batches per
            epoch skips ``e * n``: the workers compute them again, the trainer does not).
        job_name: the service's job (default: a new one for each iterator).
    """
    import tensorflow as tf

    parse_address(address)
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ValueError(f"skip must be a non-negative int, got {skip!r}.")
    stream = dataset.repeat()
    if skip:
        stream = stream.skip(skip)
    service = tf.data.experimental.service
    # Numbered before the service shards: the reader puts the batches back in this order.
    served = stream.enumerate().apply(service.distribute(
        processing_mode=service.ShardingPolicy.DATA, service=address, job_name=job_name))

    def in_order():
        pending, expected = {}, 0
        for index, element in served:
            pending[int(index)] = element
            while expected in pending:
                yield pending.pop(expected)
                expected += 1
            if len(pending) > MAX_REORDER:
                raise RuntimeError(f"data_service: batch {expected} has not arrived while "
                                   f"{len(pending)} later ones did; is a worker of {address} "
                                   "down?")

    return tf.data.Dataset.from_generator(in_order, output_signature=dataset.element_spec)


def _free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_local(workers=2, host="localhost"):
    """A dispatcher and ``workers`` worker servers in this process, on ``host``: ``(address,
    servers)``. Keep ``servers`` referenced while they serve (they stop when collected)."""
    import tensorflow as tf

    service = tf.data.experimental.service
    ports = [_free_port(host) for _ in range(workers)]
    dispatcher = service.DispatchServer(service.DispatcherConfig(
        port=_free_port(host), worker_addresses=[f"{host}:{p}" for p in ports]))
    dispatcher_address = dispatcher.target.split("://", 1)[1]
    servers = [dispatcher] + [
        service.WorkerServer(service.WorkerConfig(
            dispatcher_address=dispatcher_address, worker_address=f"{host}:{p}", port=p))
        for p in ports]
    return dispatcher.target, servers
