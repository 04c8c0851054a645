"""``MirroredStrategy`` over 2 logical CPU devices, in a fresh process (logical devices must be
set before TensorFlow starts): ``python -m tests.distributed.mirrored_check OUT.json``.

Writes JSON: for "mlp", per-epoch losses and final weights with no strategy and with
``MirroredStrategy`` on the same batches; for the custom ``train_step`` models (a GAN with two
optimizers, a VAE), their per-epoch logs under ``MirroredStrategy``.
"""

import json
import sys

#: Custom train_step models of the registry trained under MirroredStrategy.
CUSTOM_STEP_MODELS = ("gan", "vae")
#: Deterministic custom train_step models (no sampling in the step): trained with plain SGD (whose
#: step, unlike Adam's, is proportional to the gradient, so a loss not divided by the replicas
#: shows as a step N times too long) with and without MirroredStrategy; they must agree.
EXACT_CUSTOM_STEP_MODELS = ("autoencoder",)
#: Trained as above with SGD and a global clip norm (Keras' train_step, a custom one): clipping
#: must act on the replicas' summed gradient (keras_zoo.models.replicas.clip_after_all_reduce).
CLIPPED_MODELS = ("mlp", "autoencoder")
CLIPNORM = 1e-3


def _fit(name, strategy, split="train", epochs=2, batches=8, batch_size=32, sgd=False,
         clipnorm=None):
    import keras

    import keras_zoo
    from keras_zoo import distribute
    from keras_zoo.models import replicas
    from keras_zoo.tasks import get_task

    entry = keras_zoo.models.info(name)
    task = get_task(entry.task)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = entry.build("tiny")
        ds = task.dataset(model, entry, split, batch_size, 0, drop_remainder=True)
        ds = distribute.shard(ds.take(batches))
        if sgd:
            task.compile(model, entry,
                         optimizer=keras.optimizers.SGD(0.05, global_clipnorm=clipnorm))
            # What training.train does after compiling (minimize does it for custom steps).
            replicas.clip_after_all_reduce(model.optimizer)
        else:
            task.compile(model, entry)
    history = model.fit(ds, epochs=epochs, verbose=0)
    return model, history.history


def _adversarial(strategy, random_start):
    """``keras_zoo.robust.AdversarialTraining`` (PGD-2 examples made inside the train step, the
    mixed objective with alpha 0.5) trained by plain SGD fit: per-epoch losses and weights."""
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_zoo import distribute, robust

    rng = np.random.default_rng(0)
    x = rng.random((128, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 128)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        inputs = keras.Input((8, 8, 1))
        h = keras.layers.Flatten()(keras.layers.Conv2D(4, 3, padding="same",
                                                       activation="relu")(inputs))
        net = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))
        model = robust.AdversarialTraining(net, method="pgd", eps=0.1, steps=2, alpha=0.5,
                                           random_start=random_start, seed=3)
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    ds = distribute.shard(tf.data.Dataset.from_tensor_slices((x, y)).batch(32))
    history = model.fit(ds, epochs=2, verbose=0)
    return {"history": history.history, "weights": [w.tolist() for w in model.get_weights()]}


def main(path):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    tf.config.experimental.enable_op_determinism()
    from keras_zoo import distribute

    mirrored = distribute.get_strategy("mirrored")
    out = {"replicas": mirrored.num_replicas_in_sync}
    for label, strategy in (("none", distribute.get_strategy("none")), ("mirrored", mirrored)):
        # An unshuffled split: under a strategy Keras takes one extra iterator (one more
        # shuffled order) to build the model, so shuffled batches would differ.
        model, history = _fit("mlp", strategy, split="test")
        out[f"mlp_{label}"] = {"history": history,
                               "weights": [w.tolist() for w in model.get_weights()]}
    for name in EXACT_CUSTOM_STEP_MODELS:
        for label, strategy in (("none", distribute.get_strategy("none")),
                                ("mirrored", mirrored)):
            model, history = _fit(name, strategy, split="test", sgd=True)
            out[f"{name}_{label}"] = {"history": history,
                                      "weights": [w.tolist() for w in model.get_weights()]}
    # A clip norm well below the gradients' norm: clipping each replica's share (Keras' own
    # order) would step up to twice as far, and elsewhere, as clipping the summed gradient.
    for name in CLIPPED_MODELS:
        for label, strategy in (("none", distribute.get_strategy("none")),
                                ("mirrored", mirrored)):
            model, history = _fit(name, strategy, split="test", sgd=True, clipnorm=CLIPNORM)
            out[f"{name}_clipped_{label}"] = {
                "history": history, "weights": [w.tolist() for w in model.get_weights()]}
    # Adversarial training: its examples are made inside the step, on each replica's share.
    for label, strategy in (("none", distribute.get_strategy("none")), ("mirrored", mirrored)):
        out[f"adversarial_{label}"] = _adversarial(strategy, random_start=False)
    out["adversarial_random_start_mirrored"] = _adversarial(mirrored, random_start=True)
    for name in CUSTOM_STEP_MODELS:
        model, history = _fit(name, mirrored)
        optimizers = {id(o) for o in (getattr(model, "d_optimizer", None),
                                      getattr(model, "g_optimizer", None), model.optimizer)
                      if o is not None}
        out[name] = {"history": history, "optimizers": len(optimizers),
                     "steps": int(model.optimizer.iterations.numpy())}
    # An indivisible global batch through the training entry point: a clear error, no training.
    from training import train

    try:
        train("mlp", epochs=1, batch_size=33, out=path + ".run", strategy="mirrored", verbose=0)
        out["indivisible_batch_error"] = None
    except ValueError as e:
        out["indivisible_batch_error"] = str(e)
    with open(path, "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
