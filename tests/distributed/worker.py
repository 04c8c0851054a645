"""One training process of the distributed tests: ``python -m tests.distributed.worker``.

Runs ``training.train`` (the same entry point as ``keras-zoo train``) and writes what the tests
compare to ``--result`` (an ``.npz`` of plain arrays: per-epoch losses and final weights).
``--logical-devices N`` splits the CPU into N logical devices first (for ``MirroredStrategy``).
"""

import argparse
import os
import sys


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--out", required=True)
    p.add_argument("--result", required=True)
    p.add_argument("--strategy", default="none")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--preset", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--logical-devices", type=int, default=0)
    args = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    if args.logical_devices:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_devices)

    from training import train

    result = train(args.model, epochs=args.epochs, batch_size=args.batch_size, out=args.out,
                   seed=args.seed, preset=args.preset, strategy=args.strategy, verbose=0)
    from keras_zoo.distribute import compat

    strategy = result.model.distribute_strategy
    # What the tests check first: the workers really trained as one cluster.
    arrays = {"replicas": np.asarray(strategy.num_replicas_in_sync),
              "multi_worker": np.asarray(compat.is_multi_worker(strategy))}
    arrays.update({f"weight_{i}": np.asarray(w) for i, w in enumerate(result.model.get_weights())})
    for key, values in result.history.items():
        arrays[f"history_{key}"] = np.asarray(values, np.float64)
    tmp = args.result + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, args.result)  # a reader never sees half a file
    return 0


if __name__ == "__main__":
    sys.exit(main())
