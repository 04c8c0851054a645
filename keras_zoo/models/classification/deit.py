"""DeiT: data-efficient image transformers (Touvron, Cord, Douze, Massa, Sablayrolles & Jegou,
Training data-efficient image transformers & distillation through attention, ICML 2021).

DeiT-Ti/S/B are ViTs (``keras_zoo.models.classification.vit``) of width 192/384/768 with
3/6/12 heads (Table 1: 5.72M / 22.05M / 86.57M parameters at 224x224, 1000 classes). The
distilled variants ("DeiT⚗") add a distillation token after the class token, with a second
linear head on it (5.91M / 22.44M / 87.34M). They train with *hard-label distillation*
(section 5.2): ``L = 1/2 CE(psi(Z_s), y) + 1/2 CE(psi(Z_d), y_t)``, ``y_t = argmax Z_t`` the
teacher's decision, ``Z_s`` the class head's logits and ``Z_d`` the distillation head's; or
with *soft distillation* (section 5.2, eq. 2): ``L = (1 - lambda) CE(psi(Z_s), y) + lambda tau^2
KL(psi(Z_t / tau) || psi(Z_d / tau))`` (the paper's tau = 3, lambda = 0.1). At inference the two
heads' logits are averaged ("late fusion", Table 3).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.classification import common
from keras_zoo.models.classification.vit import (
    VisionTransformer,
    check_patches,
    check_sizes,
    pool_tokens,
    vit_encoder,
)
from keras_zoo.models.registry import register

PAPER = ("Touvron et al., Training data-efficient image transformers & distillation through "
         "attention, ICML 2021")

#: (hidden_dim, num_heads); all have 12 layers, MLP 4 * hidden_dim, 16x16 patches (Table 1).
SIZES = {"ti": (192, 3), "s": (384, 6), "b": (768, 12)}


@keras.saving.register_keras_serializable(package="keras_zoo")
class DistilledVisionTransformer(keras.Model):
    """DeiT's distilled ViT: class and distillation tokens, one linear head on each.

    ``call`` returns ``classifier_activation((Z_s + Z_d) / 2)``, the paper's late fusion of the
    two heads. ``fit`` trains by hard-label distillation: give the teacher with
    ``compile(..., teacher=model)`` or ``set_teacher(model)`` (any image classifier, e.g. a
    keras-zoo CNN; its input is resized to the teacher's size inside ``train_step``). Without a
    teacher the distillation head learns the true labels (``y_t = y``). The teacher is not part
    of the model: it is neither saved nor exported.

    With ``distillation="soft"`` the distillation head learns the teacher's softened
    distribution instead (eq. 2): ``(1 - lambda) CE(psi(Z_s), y) + lambda tau^2 KL(psi(Z_t /
    tau) || psi(Z_d / tau))``, the KL summed over classes and averaged over the batch as in the
    equation (the authors' code divides by batch x classes instead). A teacher whose output layer
    is a softmax gives ``log p`` as its logits (the same softened distribution). Without a
    teacher, soft distillation is refused at ``fit`` (there is no distribution to match).

    Args:
        patch_size, hidden_dim, num_layers, num_heads, mlp_dim, dropout: as in
            ``VisionTransformer``.
        input_shape: (height, width, channels); default (224, 224, 3).
        classes: the number of classes of both heads.
        classifier_activation: applied to the averaged logits ("softmax" or None).
        distillation: "hard" (section 5.2's hard-label distillation) or "soft" (eq. 2).
        temperature: tau of soft distillation (default 3.0, the paper's); only with "soft".
        soft_weight: lambda of soft distillation (default 0.1, the paper's); only with "soft".
        name: the model's name.
    """

    def __init__(self, patch_size=16, hidden_dim=768, num_layers=12, num_heads=12, mlp_dim=3072,
                 dropout=0.0, input_shape=None, classes=1000, classifier_activation="softmax",
                 distillation="hard", temperature=None, soft_weight=None,
                 name="deit_b_distilled", **kwargs):
        # === Layers and functional model ===
        temperature, soft_weight = check_distillation(name, distillation, temperature,
                                                      soft_weight)
        check_sizes(name, hidden_dim, num_heads, num_layers, mlp_dim, patch_size)
        shape = common.validate_args(
            name=name, weights=None, input_shape=input_shape, default_shape=(224, 224, 3),
            include_top=True, pooling=None, classes=classes, min_size=patch_size)
        check_patches(name, shape, patch_size)
        inputs = keras.Input(shape=shape, name="images")
        x = vit_encoder(inputs, patch_size=patch_size, hidden_dim=hidden_dim,
                        num_layers=num_layers, num_heads=num_heads, mlp_dim=mlp_dim,
                        dropout=dropout, distillation_token=True)
        class_logits = keras.layers.Dense(classes, name="head")(x[:, 0])
        distillation_logits = keras.layers.Dense(classes, name="head_distillation")(x[:, 1])
        fused = keras.layers.Average(name="head_average")([class_logits, distillation_logits])
        outputs = keras.layers.Activation(classifier_activation, name="predictions")(fused)
        super().__init__(inputs, outputs, name=name, **kwargs)

        # === Config ===
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.mlp_dim = mlp_dim
        self.dropout = dropout
        self.image_shape = tuple(shape)
        self.classes = classes
        self.classifier_activation = classifier_activation
        self.distillation = distillation
        self.temperature = temperature
        self.soft_weight = soft_weight
        # Training-only views, kept out of Keras' tracking so that they are neither saved nor
        # exported: the two heads (same layers as the model) and the teacher.
        object.__setattr__(self, "_heads", keras.Model(
            inputs, [class_logits, distillation_logits, outputs], name=f"{name}_heads"))
        object.__setattr__(self, "_teacher", None)

    # --- distillation ----------------------------------------------------------------------
    @property
    def teacher(self):
        return self._teacher

    def set_teacher(self, teacher):
        """Sets (or clears, with None) the frozen teacher whose argmax labels the distillation
        head learns."""
        if teacher is not None:
            if not isinstance(teacher, keras.Model):
                raise TypeError(f"{self.name}: teacher must be a keras.Model or None, got "
                                f"{type(teacher).__name__}.")
            t_shape = tuple(teacher.input_shape[1:])
            if len(t_shape) != 3 or t_shape[-1] != self.image_shape[-1]:
                raise ValueError(
                    f"{self.name}: the teacher's input shape {t_shape} must be (height, width, "
                    f"{self.image_shape[-1]}) like the student's {self.image_shape}.")
            out = teacher.outputs[0].shape[-1] if teacher.outputs else None
            if out is not None and out != self.classes:
                raise ValueError(f"{self.name}: the teacher predicts {out} classes, the student "
                                 f"{self.classes}.")
        object.__setattr__(self, "_teacher", teacher)

    def compile(self, *args, teacher=None, **kwargs):
        """``keras.Model.compile`` plus ``teacher`` (see ``set_teacher``). The training loss is
        DeiT's hard-distillation loss; the compiled loss is used by ``evaluate`` only."""
        if teacher is not None:
            self.set_teacher(teacher)
        super().compile(*args, **kwargs)

    def get_compile_config(self):
        return super().get_compile_config()

    def compile_from_config(self, config):
        # Keras skips compile_from_config for an overridden compile(); ours only adds the
        # teacher, which is not saved, so the stored compile arguments apply as they are.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def _teacher_logits(self, x):
        size = tuple(self._teacher.input_shape[1:3])
        if None not in size and tuple(x.shape[1:3]) != size:
            x = tf.image.resize(x, size)
        scores = self._teacher(x, training=False)
        if isinstance(scores, (list, tuple)):  # auxiliary heads: the main one is first
            scores = scores[0]
        last = self._teacher.layers[-1]
        if getattr(getattr(last, "activation", None), "__name__", None) == "softmax":
            scores = tf.math.log(tf.maximum(scores, 1e-12))  # probabilities -> logits + const
        return tf.stop_gradient(scores)

    def _teacher_labels(self, x, y):
        if self._teacher is None:
            return y if len(y.shape) == 1 else tf.argmax(y, axis=-1)
        return tf.argmax(self._teacher_logits(x), axis=-1)

    def soft_distillation_loss(self, teacher_logits, distillation_logits, sample_weight=None):
        """``tau^2 KL(psi(Z_t / tau) || psi(Z_d / tau))``, summed over classes, averaged over
        the batch (DeiT, eq. 2)."""
        tau = self.temperature
        target = tf.nn.softmax(teacher_logits / tau, axis=-1)
        log_target = tf.nn.log_softmax(teacher_logits / tau, axis=-1)
        log_student = tf.nn.log_softmax(distillation_logits / tau, axis=-1)
        kl = tf.reduce_sum(target * (log_target - log_student), axis=-1)
        if sample_weight is not None:
            kl = kl * tf.reshape(tf.cast(sample_weight, kl.dtype), [-1])
        return tau * tau * tf.reduce_mean(kl)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if len(y.shape) == 1 or (len(y.shape) == 2 and y.shape[-1] == 1):
            true_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        else:  # one-hot or mixed (MixUp / CutMix) labels
            true_loss = keras.losses.CategoricalCrossentropy(from_logits=True)
        if self.distillation == "soft":
            if self._teacher is None:
                raise ValueError(f"{self.name}: soft distillation needs a teacher: "
                                 "compile(..., teacher=model) or set_teacher(model).")
            teacher_logits = self._teacher_logits(x)
        else:
            teacher_labels = self._teacher_labels(x, y)
            teacher_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        with tf.GradientTape() as tape:
            class_logits, distillation_logits, y_pred = self._heads(x, training=True)
            if self.distillation == "soft":
                loss = ((1.0 - self.soft_weight) * true_loss(y, class_logits, sample_weight)
                        + self.soft_weight * self.soft_distillation_loss(
                            teacher_logits, distillation_logits, sample_weight))
            else:
                loss = (0.5 * true_loss(y, class_logits, sample_weight)
                        + 0.5 * teacher_loss(teacher_labels, distillation_logits, sample_weight))
            if self.losses:
                loss = loss + tf.add_n(self.losses)
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "patch_size": self.patch_size,
                "hidden_dim": self.hidden_dim, "num_layers": self.num_layers,
                "num_heads": self.num_heads, "mlp_dim": self.mlp_dim, "dropout": self.dropout,
                "input_shape": self.image_shape, "classes": self.classes,
                "classifier_activation": self.classifier_activation,
                "distillation": self.distillation,
                "temperature": self.temperature, "soft_weight": self.soft_weight}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


def check_distillation(name, distillation, temperature, soft_weight):
    """``(temperature, soft_weight)`` for ``distillation`` ("hard" or "soft"), the paper's
    defaults filled in; a ValueError for an unknown kind or a soft option given with "hard"."""
    if distillation not in ("hard", "soft"):
        raise ValueError(f"{name}: distillation must be 'hard' or 'soft', got {distillation!r}.")
    if distillation == "hard":
        given = [k for k, v in (("temperature", temperature), ("soft_weight", soft_weight))
                 if v is not None]
        if given:
            raise ValueError(f"{name}: {', '.join(given)} apply to distillation='soft' only.")
        return None, None
    temperature = 3.0 if temperature is None else float(temperature)
    soft_weight = 0.1 if soft_weight is None else float(soft_weight)
    if temperature <= 0 or not 0.0 <= soft_weight <= 1.0:
        raise ValueError(f"{name}: need temperature > 0 and 0 <= soft_weight <= 1, got "
                         f"{temperature} and {soft_weight}.")
    return temperature, soft_weight


def DeiT(
    size="b",
    distilled=False,
    patch_size=16,
    dropout=0.0,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    distillation="hard",
    temperature=None,
    soft_weight=None,
    name=None,
    **sizes,
):
    """DeiT-Ti/S/B, optionally distilled (Touvron et al. 2021).

    Args:
        size: "ti", "s" or "b" (Table 1), or pass ``hidden_dim``, ``num_heads``, ``num_layers``,
            ``mlp_dim`` in ``**sizes`` to override.
        distilled: add the distillation token and head (``DistilledVisionTransformer``).
        patch_size, dropout: as in ``VisionTransformer``.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications. A distilled model with
            ``include_top=False`` returns the encoder's features (both tokens kept).
        distillation, temperature, soft_weight: the distilled model's training loss
            (``DistilledVisionTransformer``): "hard" (default) or "soft" with tau and lambda.
        name: the model's name (default ``deit_<size>[_distilled]``).
    """
    if size not in SIZES:
        raise ValueError(f"DeiT: size must be one of {sorted(SIZES)}, got {size!r}.")
    unknown = set(sizes) - {"hidden_dim", "num_heads", "num_layers", "mlp_dim"}
    if unknown:
        raise TypeError(f"DeiT: unexpected arguments {sorted(unknown)}.")
    hidden_dim, num_heads = SIZES[size]
    config = dict(hidden_dim=hidden_dim, num_heads=num_heads, num_layers=12,
                  mlp_dim=4 * hidden_dim)
    config.update(sizes)
    name = name or f"deit_{size}" + ("_distilled" if distilled else "")
    if not distilled or not (include_top and input_tensor is None):
        if distillation != "hard" or temperature is not None or soft_weight is not None:
            raise ValueError(f"{name}: distillation, temperature and soft_weight apply to the "
                             "distilled model with its heads (distilled=True, include_top=True, "
                             "no input_tensor) only.")
    if not distilled:
        return VisionTransformer(patch_size=patch_size, dropout=dropout, include_top=include_top,
                                 weights=weights, input_tensor=input_tensor,
                                 input_shape=input_shape, pooling=pooling, classes=classes,
                                 classifier_activation=classifier_activation, name=name, **config)
    if include_top and input_tensor is None:
        model = DistilledVisionTransformer(
            patch_size=patch_size, dropout=dropout, input_shape=input_shape, classes=classes,
            classifier_activation=classifier_activation, distillation=distillation,
            temperature=temperature, soft_weight=soft_weight, name=name, **config)
        if weights is not None:
            common.load_weights(model, weights)
        return model
    check_sizes(name, config["hidden_dim"], config["num_heads"], config["num_layers"],
                config["mlp_dim"], patch_size)
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=patch_size)
    check_patches(name, shape, patch_size)
    if include_top:
        raise ValueError(f"{name}: a distilled DeiT with include_top=True takes input_shape, "
                         "not input_tensor (it is a keras.Model subclass with its own train_step).")
    inputs = common.image_input(input_tensor, shape)
    x = vit_encoder(inputs, patch_size=patch_size, dropout=dropout, distillation_token=True,
                    **config)
    return common.finish(inputs, pool_tokens(x, pooling, num_tokens=2), name=name,
                         weights=weights, input_tensor=input_tensor)


def _variant(model_name, size, distilled):
    def builder(**kwargs):
        return DeiT(size=size, distilled=distilled, **{"name": model_name, **kwargs})

    builder.__name__ = builder.__qualname__ = (
        f"DeiT{size.upper() if size != 'ti' else 'Ti'}" + ("Distilled" if distilled else ""))
    hidden_dim, num_heads = SIZES[size]
    builder.__doc__ = (f"DeiT-{size.upper()}{' distilled' if distilled else ''} ({PAPER}): 12 "
                       f"layers, width {hidden_dim}, {num_heads} heads, 16x16 patches. Keyword "
                       "arguments override ``DeiT``'s.")
    return builder


#: Tiny configs: 1 layer of width 32 on 32x32 digits with 4x4 patches (64 patches), ViT's
#: tiny config (the plain DeiTs' tiny graph is vit_b16's: the battery checks it once).
TINY = dict(input_shape=(32, 32, 1), patch_size=4, hidden_dim=32, num_layers=1, num_heads=2,
            mlp_dim=64, classes=10)

PARAMS = {("ti", False): 5_717_416, ("s", False): 22_050_664, ("b", False): 86_567_656,
          ("ti", True): 5_910_800, ("s", True): 22_436_432, ("b", True): 87_338_192}

DeiTTi = _variant("deit_ti", "ti", False)
DeiTS = _variant("deit_s", "s", False)
DeiTB = _variant("deit_b", "b", False)
DeiTTiDistilled = _variant("deit_ti_distilled", "ti", True)
DeiTSDistilled = _variant("deit_s_distilled", "s", True)
DeiTBDistilled = _variant("deit_b_distilled", "b", True)

_ENTRY = dict(task="classification", family="deit", tiny=TINY, paper=PAPER,
              canonical=dict(input_shape=(224, 224, 3), classes=1000))
_PLAIN = "A ViT with DeiT's sizes; trained with DeiT's recipe in the paper."
_DISTILLED = ("Distillation token + second head; hard-label distillation in train_step "
              "(compile(teacher=...)), or soft (distillation='soft', temperature, soft_weight); "
              "inference averages the two heads.")
register("deit_ti", params=PARAMS["ti", False], notes=_PLAIN, **_ENTRY)(DeiTTi)
register("deit_s", params=PARAMS["s", False], notes=_PLAIN, **_ENTRY)(DeiTS)
register("deit_b", params=PARAMS["b", False], notes=_PLAIN, **_ENTRY)(DeiTB)
register("deit_ti_distilled", params=PARAMS["ti", True], notes=_DISTILLED,
         **_ENTRY)(DeiTTiDistilled)
register("deit_s_distilled", params=PARAMS["s", True], notes=_DISTILLED,
         **_ENTRY)(DeiTSDistilled)
register("deit_b_distilled", params=PARAMS["b", True], notes=_DISTILLED,
         **_ENTRY)(DeiTBDistilled)
