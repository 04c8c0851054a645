"""T3D: a 3-D DenseNet whose transition layers are temporal transition layers, taught by a
frozen 2-D network through image-video correspondence (Diba, Fayyaz, Sharma, Karami, Arzani,
Yousefzadeh & Van Gool, Temporal 3D ConvNets: New Architecture and Transfer Learning for Video
Classification, arXiv 1711.08200, 2017)."""

import keras
import tensorflow as tf

from keras_zoo.blocks.video import bn_relu
from keras_zoo.layers.average_pooling_3d import SeparableAveragePooling3D
from keras_zoo.layers.max_pooling_3d import SeparableMaxPooling3D
from keras_zoo.models.classification.densenet import DenseNet
from keras_zoo.models.replicas import replicas
from keras_zoo.models.video import common

PAPER = "Diba, Fayyaz, Sharma, Karami, Arzani, Yousefzadeh & Van Gool, arXiv 1711.08200"

#: Temporal depths of the convolutions of each TTL, as in the paper's Table 1 (T3D-121 and
#: T3D-169, whose bold numbers are the temporal kernel depths): TTL (1) has depths 1, 3 and 6,
#: TTL (2) and TTL (3) depths 1, 3 and 4. Depth 1 is a 1x1x1 convolution, depth d > 1 a
#: ``d x 3 x 3`` one (Keras' T x H x W order). The authors' released code
#: (github.com/MohsenFayyaz89/T3D, models/T3D.py) differs: every TTL there has depths 1, 3
#: and 4 (PyTorch kernels (1, 1, 1), (3, 3, 3), (4, 3, 3), 128 maps each) and is followed by
#: DenseNet's transition (BN-ReLU, a 1x1x1 convolution, 2x2x2 average pooling); here the TTL
#: ends with the 2x2x2 average pooling directly.
TTL_DEPTHS = ((1, 3, 6), (1, 3, 4), (1, 3, 4))
#: The 2-D teacher of the canonical config: DenseNet-121 (section 4 transfers from an
#: ImageNet DenseNet).
TEACHER = dict(blocks=(6, 12, 24, 16), growth_rate=32)


def dense_layer3d(x, growth_rate, name):
    """DenseNet-B's layer in 3-D: BN-ReLU-Conv(1x1x1, 4k)-BN-ReLU-Conv(3x3x3, k), its k maps
    concatenated to its input."""
    y = bn_relu(x, f"{name}_0")
    y = keras.layers.Conv3D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = bn_relu(y, f"{name}_1")
    y = keras.layers.Conv3D(growth_rate, 3, padding="same", use_bias=False,
                            name=f"{name}_2_conv")(y)
    return keras.layers.Concatenate(name=f"{name}_concat")([x, y])


def temporal_transition(x, depths, filters, name):
    """The temporal transition layer (section 3.1, Fig. 1, Table 1): after BN-ReLU, one
    convolution per temporal depth in ``depths`` (1x1x1 for depth 1, ``d x 3 x 3`` otherwise;
    Table 1: depths 1, 3, 6 in the first TTL, 1, 3, 4 in the others), each with ``filters``
    maps, concatenated (an Inception-like block over time spans), then 2x2x2 average
    pooling."""
    x = bn_relu(x, name)
    branches = []
    for d in depths:
        kernel = (1, 1, 1) if d == 1 else (d, 3, 3)
        branches.append(keras.layers.Conv3D(filters, kernel, padding="same", use_bias=False,
                                            name=f"{name}_t{d}_conv")(x))
    x = keras.layers.Concatenate(name=f"{name}_concat")(branches)
    return SeparableAveragePooling3D((2, 2, 2), (2, 2, 2), "same", name=f"{name}_pool")(x)


@keras.saving.register_keras_serializable(package="keras_zoo")
class T3D(keras.Model):
    """T3D (section 3, Table 1): a 3x7x7 convolution and 3x3x3 max pooling (both stride 2),
    3-D dense blocks (DenseNet-B layers with 3x3x3 convolutions) joined by temporal transition
    layers, BN-ReLU, global average pooling, dropout and the classifier.

    ``fit`` trains it two ways (section 4, Fig. 2). With a ``teacher`` (a frozen 2-D DenseNet
    on single frames), every step also solves image-video correspondence: a frame drawn from
    the same clip (positive) or from the next clip of the batch (negative) goes through the
    teacher, the clip through T3D, their pooled features are concatenated and fully connected
    layers (512, 128, one logit) tell whether they belong together; the binary cross-entropy
    trains T3D and those layers only, the teacher stays frozen, so its knowledge passes into
    the 3-D network without labels. ``fit(clips)`` without labels is the paper's transfer
    stage; ``fit(clips, labels)`` adds the classification loss (``transfer_weight=0``: plain
    fine-tuning). Serving and ``predict`` return the class probabilities only.

    Args:
        blocks: layers per dense block (DenseNet-121: 6, 12, 24, 16).
        growth_rate: k.
        stem_filters: the stem's filters (the paper's 64 = 2k).
        ttl_depths: one tuple of temporal depths per TTL (``len(blocks) - 1`` of them; Table
            1: ``((1, 3, 6), (1, 3, 4), (1, 3, 4))``, ``TTL_DEPTHS``).
        ttl_filters: maps per TTL convolution (the released code's 128).
        dropout: before the classifier.
        teacher: None (no transfer) or the 2-D teacher's ``DenseNet`` arguments (a dict; it
            sees frames at the clip's size, ``include_top=False``, average pooling).
        teacher_weights: a ``.weights.h5`` of that teacher (ImageNet pre-training in the
            paper); None leaves it at its initialisation.
        transfer_weight: the correspondence loss's weight (with a teacher).
        head_units: the correspondence classifier's hidden layers (512, 128).
        seed: the frame and negative draws' seed (a step's draws depend on it and the step).
        input_shape, classes, classifier_activation: the clips and the classifier.
        name: the model's name.
    """

    def __init__(self, blocks=(6, 12, 24, 16), growth_rate=32, stem_filters=64,
                 ttl_depths=TTL_DEPTHS, ttl_filters=128, dropout=0.2, teacher=None,
                 teacher_weights=None, transfer_weight=1.0, head_units=(512, 128), seed=0,
                 input_shape=(32, 224, 224, 3), classes=400, classifier_activation="softmax",
                 name="t3d", **kwargs):
        blocks, ttl_depths = tuple(blocks), tuple(tuple(d) for d in ttl_depths)
        if not blocks or min(blocks) < 1:
            raise ValueError(f"{name}: blocks must be positive ints, got {blocks!r}.")
        if len(ttl_depths) != len(blocks) - 1 or any(
                not d or min(d) < 1 for d in ttl_depths):
            raise ValueError(f"{name}: ttl_depths must hold {len(blocks) - 1} non-empty tuples "
                             f"of positive temporal depths (one per TTL), got {ttl_depths!r}.")
        if teacher is not None and not isinstance(teacher, dict):
            raise ValueError(f"{name}: teacher must be None or a dict of DenseNet arguments, "
                             f"got {teacher!r}.")
        if teacher is None and teacher_weights is not None:
            raise ValueError(f"{name}: teacher_weights needs a teacher.")
        if not transfer_weight >= 0:
            raise ValueError(f"{name}: transfer_weight must be >= 0, got {transfer_weight!r}.")
        common.check_head(name, True, None, classes)
        clips = common.clip_input(name, input_shape, min_frames=2 ** len(blocks),
                                  min_size=2 ** (len(blocks) + 1))
        x = keras.layers.Conv3D(stem_filters, (3, 7, 7), strides=2, padding="same",
                                use_bias=False, name="conv1_conv")(clips)
        x = bn_relu(x, "conv1")
        x = SeparableMaxPooling3D((3, 3, 3), (2, 2, 2), "same", name="pool1")(x)
        for i, n in enumerate(blocks):
            for j in range(n):
                x = dense_layer3d(x, growth_rate, f"conv{i + 2}_block{j + 1}")
            if i < len(blocks) - 1:
                x = temporal_transition(x, ttl_depths[i], ttl_filters, f"ttl{i + 1}")
        x = bn_relu(x, "final")
        features = keras.layers.GlobalAveragePooling3D(name="avg_pool")(x)
        y = keras.layers.Dropout(dropout, name="dropout")(features) if dropout else features
        outputs = keras.layers.Dense(classes, activation=classifier_activation,
                                     name="predictions")(y)
        super().__init__(clips, outputs, name=name, **kwargs)

        self.blocks, self.growth_rate, self.stem_filters = blocks, growth_rate, stem_filters
        self.ttl_depths, self.ttl_filters, self.dropout = ttl_depths, ttl_filters, dropout
        self.teacher_config, self.teacher_weights = teacher, teacher_weights
        self.transfer_weight, self.head_units = float(transfer_weight), tuple(head_units)
        self.seed, self.clip_shape = int(seed), tuple(input_shape)
        self.classes, self.classifier_activation = classes, classifier_activation
        # A training-only view: the same layers, with the pooled features as a second output.
        object.__setattr__(self, "_features_and_predictions",
                           keras.Model(clips, [features, outputs], name=f"{name}_features"))
        self.teacher = self.correspondence_head = None
        if teacher is not None:
            t, h, w, c = input_shape
            net = DenseNet(**{**teacher, "include_top": False, "pooling": "avg",
                              "input_shape": (h, w, c), "name": f"{name}_teacher"})
            if teacher_weights is not None:
                net.load_weights(teacher_weights)
            net.trainable = False  # the teacher is frozen (section 4)
            self.teacher = net
            head = [keras.Input((features.shape[-1] + net.output_shape[-1],))]
            head += [keras.layers.Dense(u, activation="relu", name=f"correspondence_fc{i + 1}")
                     for i, u in enumerate(head_units)]
            head.append(keras.layers.Dense(1, name="correspondence_logit"))
            self.correspondence_head = keras.Sequential(head, name="correspondence_head")

    def correspondence_pairs(self, clips, step):
        """For clips ``[B, T, H, W, C]``: frames ``[2B, H, W, C]`` (a random frame of each clip,
        then the same frames shifted by one clip: frames of another video) and their labels
        (1: the frame belongs to the clip, 0: it does not)."""
        b, t = tf.shape(clips)[0], clips.shape[1]
        seed = tf.stack([tf.constant(self.seed, tf.int64), tf.cast(step, tf.int64)])
        index = tf.random.stateless_uniform([b], seed, minval=0, maxval=t, dtype=tf.int32)
        frames = tf.gather(clips, index, axis=1, batch_dims=1)
        others = tf.roll(frames, shift=1, axis=0)  # a batch of one has no other video
        labels = tf.concat([tf.ones([b, 1]), tf.zeros([b, 1])], axis=0)
        return tf.concat([frames, others], axis=0), labels

    def correspondence_loss(self, clips, features, step, training=True):
        """The binary cross-entropy of image-video correspondence (and its accuracy)."""
        frames, labels = self.correspondence_pairs(clips, step)
        image = tf.stop_gradient(self.teacher(frames, training=False))
        video = tf.concat([features, features], axis=0)
        logits = self.correspondence_head(tf.concat([video, image], axis=-1), training=training)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels, logits))
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0, tf.float32), labels),
                                          tf.float32))
        return loss, accuracy

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if y is None and self.teacher is None:
            raise ValueError(f"{self.name}: fit without labels trains by correspondence, which "
                             "needs a teacher (T3D(teacher={...})).")
        with tf.GradientTape() as tape:
            features, y_pred = self._features_and_predictions(x, training=True)
            # compute_loss's keras loss is already divided by the replicas; the raw
            # correspondence mean is divided here, so the summed gradients are the batch's.
            loss = (self.compute_loss(x, y, y_pred, sample_weight, training=True)
                    if y is not None else tf.constant(0.0))
            shown = loss
            if self.teacher is not None:
                transfer, accuracy = self.correspondence_loss(x, features,
                                                              self.optimizer.iterations)
                loss = loss + self.transfer_weight * transfer / replicas()
                shown = shown + self.transfer_weight * transfer
            scaled = self.optimizer.scale_loss(loss)
        # Without labels the classifier gets no gradient: only the others are applied.
        pairs = [(g, v) for g, v in zip(tape.gradient(scaled, self.trainable_variables),
                                        self.trainable_variables, strict=True) if g is not None]
        self.optimizer.apply([g for g, _ in pairs], [v for _, v in pairs])
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(shown)
            elif y is not None:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        results = self.get_metrics_result()
        if self.teacher is not None:
            results["correspondence_loss"] = transfer
            results["correspondence_accuracy"] = accuracy
        return results

    def get_metrics_result(self):
        # fit(clips) without labels (the transfer stage) never builds the compiled metrics,
        # whose result() would then raise; they are left out until labels have been seen.
        results = {}
        for metric in self.metrics:
            if metric.name == "compile_metrics" and not metric.built:
                continue
            result = metric.result()
            results.update(result if isinstance(result, dict) else {metric.name: result})
        return results

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "blocks": self.blocks,
                "growth_rate": self.growth_rate, "stem_filters": self.stem_filters,
                "ttl_depths": self.ttl_depths, "ttl_filters": self.ttl_filters,
                "dropout": self.dropout, "teacher": self.teacher_config,
                "teacher_weights": None,  # the teacher's weights are saved with the model's
                "transfer_weight": self.transfer_weight, "head_units": self.head_units,
                "seed": self.seed, "input_shape": self.clip_shape, "classes": self.classes,
                "classifier_activation": self.classifier_activation}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


# Two dense blocks of one layer and one TTL, 8 frames of 16x16; a one-block DenseNet teacher.
TINY = dict(blocks=(1, 1), growth_rate=4, stem_filters=8, ttl_depths=((1, 3),), ttl_filters=4,
            dropout=0.0, head_units=(16,), input_shape=(8, 16, 16, 3), classes=4,
            teacher=dict(blocks=(1,), growth_rate=4, stem="cifar", stem_filters=8))

common.register_video(
    "t3d",
    T3D,
    family="t3d",
    tiny=TINY,
    canonical=dict(input_shape=(32, 224, 224, 3), classes=400, teacher=TEACHER),
    paper=PAPER,
    notes="T3D-121 (3-D DenseNet-121 with temporal transition layers) with a frozen 2-D "
          "DenseNet-121 teacher: fit(clips) is the image-video correspondence transfer, "
          "fit(clips, labels) adds the classification loss; serves class probabilities. "
          "38,047,377 parameters at 32 x 224^2, 400 classes: T3D 29,960,528, the teacher "
          "7,037,504, the correspondence head 1,049,345.",
)
