"""DETR (Carion, Massa, Synnaeve, Usunier, Kirillov & Zagoruyko, End-to-End Object Detection
with Transformers, ECCV 2020): detection as direct set prediction, trained with a bipartite
(Hungarian) matching loss, served without NMS."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.boxes.giou import generalized_iou
from keras_zoo.boxes.hungarian import hungarian_match
from keras_zoo.layers import SinePositionEncoding2D
from keras_zoo.models.detection import common
from keras_zoo.models.registry import register

#: PyTorch's LayerNorm epsilon, which DETR's transformer uses.
_EPSILON = 1e-5


@keras.saving.register_keras_serializable(package="keras_zoo")
class ObjectQueries(keras.layers.Layer):
    """DETR's ``N`` learned object queries (section 3.2, "object queries"): a learned
    ``[N, d]`` table, the positional encodings of the decoder's input slots.

    Called on the encoder memory ``[B, S, d]`` (only for its batch size and width), returns
    ``(target, query_pos)``, both ``[B, N, d]``: the decoder's input, zeros (the paper's
    decoder starts from zeros and adds the queries at every attention layer), and the queries.

    Args:
        num_queries: ``N`` (100 in the paper).
    """

    def __init__(self, num_queries, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_queries, int) or isinstance(num_queries, bool) or num_queries < 1:
            raise ValueError(f"ObjectQueries: num_queries must be a positive int, "
                             f"got {num_queries!r}.")
        self.num_queries = num_queries

    def build(self, input_shape):
        # nn.Embedding's N(0, 1) initialisation, as in the paper's code.
        self.embeddings = self.add_weight(
            shape=(self.num_queries, input_shape[-1]),
            initializer=keras.initializers.RandomNormal(stddev=1.0), name="embeddings")

    def call(self, memory):
        shape = keras.ops.stack([keras.ops.shape(memory)[0], self.num_queries,
                                 memory.shape[-1]])
        query_pos = keras.ops.broadcast_to(
            keras.ops.cast(self.embeddings, memory.dtype)[None], shape)
        return keras.ops.zeros_like(query_pos), query_pos

    def compute_output_shape(self, input_shape):
        shape = (input_shape[0], self.num_queries, input_shape[-1])
        return shape, shape

    def get_config(self):
        return {**super().get_config(), "num_queries": self.num_queries}


def _residual(x, h, dropout, name):
    """DETR's post-norm sub-layer end: ``LN(x + Dropout(h))``."""
    h = keras.layers.Dropout(dropout, name=f"{name}_dropout")(h)
    h = keras.layers.Add(name=f"{name}_add")([x, h])
    return keras.layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_norm")(h)


def _feed_forward(x, mlp_dim, dropout, name):
    d = x.shape[-1]
    h = keras.layers.Dense(mlp_dim, activation="relu", name=f"{name}_dense_1")(x)
    h = keras.layers.Dropout(dropout, name=f"{name}_inner_dropout")(h)
    h = keras.layers.Dense(d, name=f"{name}_dense_2")(h)
    return _residual(x, h, dropout, name)


def _attention(num_heads, width, dropout, name):
    return keras.layers.MultiHeadAttention(num_heads, width // num_heads, dropout=dropout,
                                           name=name)


def detr_encoder_layer(x, pos, num_heads, mlp_dim, dropout, name):
    """One layer of DETR's encoder (figure 10): self-attention whose queries and keys are
    ``x + pos`` and whose values are ``x`` (the spatial encoding is added at every attention
    layer, not only at the input), then a feed-forward network; post-norm.

    ``keras_zoo.blocks.transformer`` adds no position inside its layers, hence this block.
    """
    qk = keras.layers.Add(name=f"{name}_with_pos")([x, pos])
    h = _attention(num_heads, x.shape[-1], dropout, f"{name}_self_attention")(
        query=qk, value=x, key=qk)
    x = _residual(x, h, dropout, f"{name}_self_attention")
    return _feed_forward(x, mlp_dim, dropout, f"{name}_mlp")


def detr_decoder_layer(target, query_pos, memory, memory_with_pos, num_heads, mlp_dim, dropout,
                       name):
    """One layer of DETR's decoder (figure 10): self-attention among the ``N`` slots (no causal
    mask: the set is decoded in parallel), cross-attention from ``target + query_pos`` to keys
    ``memory + pos`` and values ``memory``, then a feed-forward network; post-norm.
    """
    d = target.shape[-1]
    qk = keras.layers.Add(name=f"{name}_with_queries")([target, query_pos])
    h = _attention(num_heads, d, dropout, f"{name}_self_attention")(
        query=qk, value=target, key=qk)
    target = _residual(target, h, dropout, f"{name}_self_attention")
    q = keras.layers.Add(name=f"{name}_cross_with_queries")([target, query_pos])
    h = _attention(num_heads, d, dropout, f"{name}_cross_attention")(
        query=q, value=memory, key=memory_with_pos)
    target = _residual(target, h, dropout, f"{name}_cross_attention")
    return _feed_forward(target, mlp_dim, dropout, f"{name}_mlp")


@keras.saving.register_keras_serializable(package="keras_zoo")
class DETR(common.Detector):
    """DETR: a CNN backbone, a 1x1 projection to ``d`` channels, a transformer encoder over the
    ``H x W`` feature vectors and a decoder that turns ``N`` learned object queries into ``N``
    predictions, each a class among ``C + 1`` (the last is "no object") and a box
    ``(cx, cy, w, h)`` relative to the image (a 3-layer MLP with a sigmoid). Section 3.2.

    The fixed 2-D sine position encoding is added to the queries and keys of every encoder
    self-attention and to the keys of every cross-attention; the object queries to the queries
    and keys of every decoder attention (appendix A.3). (The lecture notes say the encodings
    are added to the flattened features before the encoder; we follow the paper, which adds
    them at every attention layer and never to the values.) The prediction heads are shared by all
    decoder layers, each layer's output going through the decoder's final LayerNorm first.

    Training (section 3.1): for each decoder layer (the auxiliary losses of section 3.2, the
    last layer included), the predictions of each image are matched one-to-one to its objects
    by the Hungarian algorithm on ``-p(c_i) + 5 L1(b_i, b) + 2 (1 - GIoU(b_i, b))``; the loss
    is cross-entropy on all queries (the unmatched ones toward "no object", weight 0.1) plus
    ``5 L1 + 2 (1 - GIoU)`` on the matched boxes, normalised by the objects of the batch. The
    matching runs inside ``fit``'s train step (``compute_loss``, through ``tf.numpy_function``
    and SciPy, see ``keras_zoo.boxes.hungarian``) and in ``evaluate`` alike; the last layer's
    terms are logged as ``hungarian_loss``, ``class_loss``, ``l1_loss``, ``giou_loss``.

    Serving (no NMS: the set loss already penalises duplicates): each query's best real class
    and its probability, the ``max_detections`` best queries by that score, boxes in pixels,
    ``num_detections`` counting those with score >= ``score_threshold`` (the rest zeroed).

    ``call`` returns ``{"logits": [B, L, N, C + 1], "boxes": [B, L, N, 4]}``, ``L`` the decoder
    layers (1 without ``aux_loss``); ``[:, -1]`` is the model's prediction.

    Args:
        input_shape: ``(height, width, 3)``; static (the paper's images vary, short side 800).
        num_classes: ``C``, object classes without "no object" (91 ids for COCO in the paper's
            code).
        backbone: a registered classifier (``include_top=False``; ResNet-50 in the paper) or
            ``None`` for a small conv stack of ``filters``.
        filters: the conv stack's widths (one 2x2 pooling each).
        hidden_dim: the transformer width ``d`` (256).
        num_heads: attention heads (8).
        num_encoder_layers, num_decoder_layers: 6 and 6.
        mlp_dim: the feed-forward width (2048).
        dropout: of the transformer (0.1).
        num_queries: ``N``, the largest number of objects it can detect (100).
        aux_loss: the matching loss at every decoder layer, not only the last.
        class_cost, l1_weight, giou_weight: the weights of the matching cost and of the loss
            (1, 5, 2; the paper's ``lambda_L1``, ``lambda_iou``).
        no_object_weight: the cross-entropy weight of "no object" (0.1).
        max_detections: served detections per image (at most ``num_queries``).
        score_threshold: below it a served detection is not counted.
        name: the model's name.

    Example:
        >>> model = DETR((64, 64, 3), num_classes=3, backbone=None, hidden_dim=32,
        ...              num_heads=4, num_encoder_layers=1, num_decoder_layers=2, mlp_dim=64,
        ...              num_queries=10)
        >>> model.compile(optimizer="adamw")   # the loss is the model's own
    """

    def __init__(self, input_shape=(800, 800, 3), num_classes=91, backbone="resnet50",
                 filters=(64, 128, 256), hidden_dim=256, num_heads=8, num_encoder_layers=6,
                 num_decoder_layers=6, mlp_dim=2048, dropout=0.1, num_queries=100,
                 aux_loss=True, class_cost=1.0, l1_weight=5.0, giou_weight=2.0,
                 no_object_weight=0.1, max_detections=100, score_threshold=0.05, name="detr",
                 **kwargs):
        input_shape = tuple(input_shape)
        common.validate("DETR", input_shape, num_classes)
        _validate(hidden_dim, num_heads, num_encoder_layers, num_decoder_layers, mlp_dim,
                  num_queries, dropout)
        # === Functional Model ===
        inputs = keras.Input(input_shape, name="images")
        x = common.backbone_features(inputs, backbone, tuple(filters))[-1]
        x = keras.layers.Conv2D(hidden_dim, 1, name="input_projection")(x)
        pos = SinePositionEncoding2D(name="position_encoding")(x)
        tokens = x.shape[1] * x.shape[2]
        memory = keras.layers.Reshape((tokens, hidden_dim), name="flatten_features")(x)
        pos = keras.layers.Reshape((tokens, hidden_dim), name="flatten_position")(pos)
        for i in range(num_encoder_layers):
            memory = detr_encoder_layer(memory, pos, num_heads, mlp_dim, dropout,
                                        f"encoder_layer_{i}")
        memory_with_pos = keras.layers.Add(name="memory_with_pos")([memory, pos])
        target, query_pos = ObjectQueries(num_queries, name="object_queries")(memory)
        decoder_norm = keras.layers.LayerNormalization(epsilon=_EPSILON, name="decoder_norm")
        slots = []
        for i in range(num_decoder_layers):
            target = detr_decoder_layer(target, query_pos, memory, memory_with_pos, num_heads,
                                        mlp_dim, dropout, f"decoder_layer_{i}")
            if aux_loss or i == num_decoder_layers - 1:
                slots.append(decoder_norm(target))
        layers = len(slots)
        h = (keras.layers.Concatenate(axis=1, name="decoder_outputs")(slots) if layers > 1
             else slots[0])  # [B, L * N, d]: the heads are shared by all layers
        logits = keras.layers.Dense(num_classes + 1, name="class_head")(h)
        b = keras.layers.Dense(hidden_dim, activation="relu", name="box_head_dense_1")(h)
        b = keras.layers.Dense(hidden_dim, activation="relu", name="box_head_dense_2")(b)
        b = keras.layers.Dense(4, activation="sigmoid", name="box_head_dense_3")(b)
        outputs = {
            "logits": keras.layers.Reshape((layers, num_queries, num_classes + 1),
                                           name="logits")(logits),
            "boxes": keras.layers.Reshape((layers, num_queries, 4), name="boxes")(b),
        }
        super().__init__(inputs, outputs, name=name, **kwargs)
        # === Config ===
        self.num_queries = num_queries
        self.class_cost, self.l1_weight = float(class_cost), float(l1_weight)
        self.giou_weight, self.no_object_weight = float(giou_weight), float(no_object_weight)
        self.loss_trackers = {k: keras.metrics.Mean(name=k) for k in (
            "hungarian_loss", "class_loss", "l1_loss", "giou_loss")}
        self._configure(dict(
            input_shape=list(input_shape), num_classes=num_classes, backbone=backbone,
            filters=list(filters), hidden_dim=hidden_dim, num_heads=num_heads,
            num_encoder_layers=num_encoder_layers, num_decoder_layers=num_decoder_layers,
            mlp_dim=mlp_dim, dropout=dropout, num_queries=num_queries, aux_loss=aux_loss,
            class_cost=class_cost, l1_weight=l1_weight, giou_weight=giou_weight,
            no_object_weight=no_object_weight, max_detections=max_detections,
            score_threshold=score_threshold),
            min(max_detections, num_queries), None, score_threshold)

    # --- training ------------------------------------------------------------------------
    def _targets(self, y):
        """Ground truth as relative ``(cx, cy, w, h)`` (the L1 term) and pixel xyxy (GIoU)."""
        h, w = self.image_size
        relative = keras.utils.bounding_boxes.convert_format(
            y["boxes"], source="xyxy", target="rel_center_xywh", height=h, width=w)
        return tf.cast(relative, tf.float32), y["boxes"], y["classes"]

    def _pixel_boxes(self, boxes):
        h, w = self.image_size
        return tf.cast(keras.utils.bounding_boxes.convert_format(
            boxes, source="rel_center_xywh", target="xyxy", height=h, width=w), tf.float32)

    def matching_cost(self, logits, boxes, targets):
        """The pairwise terms ``[B, N, M]`` of the matching cost (equation 1 with
        ``L_box = lambda_L1 L1 + lambda_iou (1 - GIoU)``): ``-p(c)``, L1 and GIoU."""
        relative, pixels, classes = targets
        probs = tf.nn.softmax(logits, axis=-1)
        class_prob = tf.gather(probs, tf.maximum(classes, 0), axis=2, batch_dims=1)
        l1 = tf.reduce_sum(tf.abs(boxes[:, :, None, :] - relative[:, None, :, :]), axis=-1)
        giou = generalized_iou(self._pixel_boxes(boxes), pixels)
        return -class_prob, l1, giou

    def hungarian_loss(self, logits, boxes, targets, num_boxes):
        """The Hungarian loss (equation 2) of one decoder layer's predictions; returns
        ``(total, class_loss, l1_loss, giou_loss)``."""
        classes = targets[2]
        valid = classes >= 0
        neg_prob, l1, giou = self.matching_cost(logits, boxes, targets)
        cost = (self.class_cost * neg_prob + self.l1_weight * l1
                + self.giou_weight * (1.0 - giou))
        match = hungarian_match(cost, valid)  # [B, N], -1 = no object
        assigned = tf.one_hot(match, tf.shape(classes)[1])  # all-zero rows for -1
        matched = match >= 0
        target_class = tf.where(
            matched, tf.gather(classes, tf.maximum(match, 0), batch_dims=1), self.num_classes)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target_class, logits=logits)
        weight = tf.where(matched, 1.0, self.no_object_weight)
        class_loss = tf.reduce_sum(weight * ce) / tf.reduce_sum(weight)
        l1_loss = tf.reduce_sum(assigned * l1) / num_boxes
        giou_loss = tf.reduce_sum(assigned * (1.0 - giou)) / num_boxes
        total = class_loss + self.l1_weight * l1_loss + self.giou_weight * giou_loss
        return total, class_loss, l1_loss, giou_loss

    def detection_loss(self, y, y_pred):
        logits = tf.cast(y_pred["logits"], tf.float32)
        boxes = tf.cast(y_pred["boxes"], tf.float32)
        targets = self._targets(y)
        tf.debugging.assert_less_equal(
            tf.reduce_max(tf.reduce_sum(tf.cast(targets[2] >= 0, tf.int32), axis=1)),
            self.num_queries,
            message=f"{self.name}: an image has more objects than num_queries="
                    f"{self.num_queries}; each object needs its own query")
        num_boxes = tf.maximum(tf.reduce_sum(tf.cast(targets[2] >= 0, tf.float32)), 1.0)
        total = 0.0
        for layer in range(logits.shape[1]):
            terms = self.hungarian_loss(logits[:, layer], boxes[:, layer], targets, num_boxes)
            total += terms[0]
        for tracker, value in zip(self.loss_trackers.values(), terms, strict=True):
            tracker.update_state(value)
        return total

    # --- serving -------------------------------------------------------------------------
    def decode(self, y_pred):
        """Pixel xyxy boxes ``[B, N, 4]`` and class probabilities ``[B, N, C]`` (without
        "no object") of the last decoder layer."""
        boxes = self._pixel_boxes(tf.cast(y_pred["boxes"][:, -1], tf.float32))
        h, w = self.image_size
        boxes = tf.minimum(tf.maximum(boxes, 0.0), tf.constant([w, h, w, h], tf.float32))
        probs = tf.nn.softmax(tf.cast(y_pred["logits"][:, -1], tf.float32), axis=-1)
        return boxes, probs[..., :self.num_classes]

    def detect(self, images):
        """The serving dict of float images in [0, 1]: the best queries, no NMS (section 3)."""
        boxes, probs = self.decode(self(images, training=False))
        scores = tf.reduce_max(probs, axis=-1)
        classes = tf.argmax(probs, axis=-1, output_type=tf.int32)
        scores, order = tf.math.top_k(scores, self.max_detections)  # TOPK_V2, a builtin
        keep = scores >= self.score_threshold
        boxes = tf.gather(boxes, order, batch_dims=1) * tf.cast(keep, tf.float32)[..., None]
        classes = tf.gather(classes, order, batch_dims=1) * tf.cast(keep, tf.int32)
        return {"boxes": boxes, "scores": scores * tf.cast(keep, tf.float32),
                "classes": classes,
                "num_detections": tf.reduce_sum(tf.cast(keep, tf.int32), axis=1)}


def _validate(hidden_dim, num_heads, num_encoder_layers, num_decoder_layers, mlp_dim,
              num_queries, dropout):
    for arg, value, low in (("hidden_dim", hidden_dim, 2), ("num_heads", num_heads, 1),
                            ("num_encoder_layers", num_encoder_layers, 0),
                            ("num_decoder_layers", num_decoder_layers, 1),
                            ("mlp_dim", mlp_dim, 1), ("num_queries", num_queries, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"DETR: {arg} must be an int >= {low}, got {value!r}.")
    if hidden_dim % 2 or hidden_dim % num_heads:
        raise ValueError(f"DETR: hidden_dim must be even (the sine encoding's y and x halves) "
                         f"and divisible by num_heads={num_heads}, got {hidden_dim}.")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"DETR: dropout must be in [0, 1), got {dropout!r}.")


register(
    "detr",
    task="detection",
    family="detr",
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, backbone=None, filters=(16, 32, 32),
              hidden_dim=32, num_heads=4, num_encoder_layers=1, num_decoder_layers=1,
              mlp_dim=64, dropout=0.0, num_queries=10, max_detections=10),
    canonical=dict(input_shape=(800, 800, 3), num_classes=91, backbone="resnet50",
                   hidden_dim=256, num_heads=8, num_encoder_layers=6, num_decoder_layers=6,
                   mlp_dim=2048, dropout=0.1, num_queries=100),
    data="shapes_detection",
    recipe="detr",
    paper="Carion et al., End-to-End Object Detection with Transformers, ECCV 2020",
    notes="canonical: DETR R50 (6+6 layers, d=256, 8 heads, FFN 2048, 100 queries, 91 COCO "
          "ids + no object) on the registry's ResNet-50 at a static 800 x 800 input (the paper "
          "varies the size: short side 800). 41,657,568 parameters here vs the paper's 41.3M "
          "(41,302,368 printed by its code, which counts trained parameters only: frozen "
          "BatchNorm, stem and first stage excluded; our ResNet-50 also has conv biases). "
          "Hungarian matching by SciPy through tf.numpy_function in the train step.",
)(DETR)
