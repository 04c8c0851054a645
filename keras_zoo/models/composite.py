"""Mixins for models made of named sub-networks and trained by a custom ``train_step``
(GANs, autoencoders, PixelCNN, NeRF, representation learners, RLHF): their configuration and
their logged trackers, written once."""

import keras


class NetworksConfig:
    """``get_config``/``from_config`` of a ``keras.Model`` whose constructor takes named
    sub-networks (``networks``): each is serialised as a nested Keras object, so the model
    loads with ``safe_mode=True``.

    A subclass with more constructor arguments extends ``get_config`` (``{**super()
    .get_config(), "seed": self.seed}``); ``from_config`` needs no change.

    Attributes:
        networks: names of the constructor arguments (and attributes) holding sub-networks.
    """

    networks: tuple = ()

    def get_config(self):
        return {"name": self.name, **{key: keras.saving.serialize_keras_object(getattr(self, key))
                                      for key in self.networks}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in cls.networks:
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


class LogTrackers:
    """``fit`` logs that are the means of named trackers (``metric_names``): Keras resets them
    at each epoch and reports them in the logs and the history.

    Call ``_make_trackers()`` in the constructor; ``_update(logs)`` adds a step's values and
    returns their running means; ``_results()`` gives every tracker's mean.
    """

    metric_names = ("loss",)

    def _make_trackers(self):
        self._trackers = {n: keras.metrics.Mean(name=n) for n in self.metric_names}

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _update(self, logs):
        for name, value in logs.items():
            self._trackers[name].update_state(value)
        return {name: self._trackers[name].result() for name in logs}

    def _results(self):
        return {name: tracker.result() for name, tracker in self._trackers.items()}


class DeclaresBackbone:
    """The contract of a model whose backbone is not what an ``include_top=False`` build of
    its registry builder keeps (BERT's encoder): its class derives from this and names the
    backbone's layers. ``backbone_layer_names`` uses it for any task; a model of another task
    than "classification" that does not derive from it cannot be transferred (ValueError).
    """

    def backbone_layer_names(self) -> list[str]:
        """The names of this model's layers that a pre-trained checkpoint gives it (all but
        the new head)."""
        raise NotImplementedError(f"{type(self).__name__} derives from DeclaresBackbone and "
                                  "must define backbone_layer_names().")
