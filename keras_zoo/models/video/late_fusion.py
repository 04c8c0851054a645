"""Training a late-fused network's streams separately, as the two-stream paper does (Simonyan &
Zisserman, Two-Stream Convolutional Networks for Action Recognition in Videos, NeurIPS 2014,
sections 3 and 6: each ConvNet is trained on its own, the softmax scores are averaged at test)."""

import keras
import tensorflow as tf


def averaged_streams(model):
    """The tensors whose ``Average`` is ``model``'s output: one score tensor per stream (the
    inputs of the ``Average`` layer that produces the output, found through the public
    ``layer.output`` / ``layer.input`` of the functional graph)."""
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) != 1:
        raise ValueError(f"{getattr(model, 'name', model)}: a late-fused network has one output "
                         f"(the average of its streams' scores), got {len(outputs)}.")
    producer = next((layer for layer in model.layers if _output_of(layer) is outputs[0]), None)
    if not isinstance(producer, keras.layers.Average):
        found = (f"{producer.name!r} ({type(producer).__name__})" if producer is not None
                 else "no layer of its own called once (a nested model?)")
        raise ValueError(f"{model.name}: its output comes from {found}, not an Average of "
                         f"stream scores; separate stream training needs a late-fused network "
                         f"(two_stream, beyond_short_snippets with flow=True).")
    return list(producer.input)


def _output_of(layer):
    """``layer.output``, or None for a layer called more than once (or never)."""
    try:
        return layer.output
    except (AttributeError, ValueError):
        return None


@keras.saving.register_keras_serializable(package="keras_zoo")
class SeparateStreamTraining(keras.Model):
    """A late-fused network whose ``fit`` minimises the sum of its streams' own losses (each
    stream's softmax scores against the label) instead of the loss of their average.

    Trained through the average, a stream's gradient on a clip is weighted by its share of the
    fused score of the true class; on the embedded clips, once the flow stream has the direction
    the other stream's shape stalls (measured in training/recipes/video_streams.py). The paper
    trains the streams separately and averages at test; so does this wrapper: ``call``,
    ``evaluate`` and ``predict`` are the wrapped network's (the average), only ``train_step``
    differs, and its training metrics are the fused scores'.

    Args:
        network: a functional network whose output is an ``Average`` of its streams' scores.
    """

    def __init__(self, network, **kwargs):
        if isinstance(network, dict):
            network = keras.saving.deserialize_keras_object(network)
        streams = averaged_streams(network)
        super().__init__(inputs=network.inputs, outputs=network.outputs,
                         name=kwargs.pop("name", network.name), **kwargs)
        self.network = network
        self.streams = keras.Model(network.inputs, streams, name=f"{network.name}_streams")

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            scores = self.streams(x, training=True)
            loss = tf.add_n([self.compute_loss(x=x, y=y, y_pred=s, sample_weight=sample_weight,
                                               training=True) for s in scores])
            # As Keras' own train_step: the tracker sees the unscaled loss, the gradient the
            # loss scaled for the replicas and the optimizer.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            self._loss_tracker.update_state(loss * replicas,
                                            sample_weight=tf.shape(tf.nest.flatten(x)[0])[0])
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights, strict=True))
        fused = tf.add_n(scores) / float(len(scores))
        return self.compute_metrics(x, y, fused, sample_weight=sample_weight)

    def get_config(self):
        return {"network": keras.saving.serialize_keras_object(self.network), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
