"""Fast R-CNN (Girshick, Fast R-CNN, ICCV 2015)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.boxes import batched_nms
from keras_zoo.data.proposals import proposals_for as batch_proposals_for
from keras_zoo.models.detection import common
from keras_zoo.models.detection.roi_head import (
    BatchedRoIPool,
    box_head,
    decode_head,
    head_loss,
    sample_rois,
)
from keras_zoo.models.registry import register

#: Scores fall by this much per proposal rank, so that equal scores (RoI pooling maps boxes a
#: pixel apart to the same cells) are resolved by selective search's ranking, identically in
#: TF and TFLite (``roi_head.decode_head``). At 2000 proposals the last loses 0.2 %.
RANK_TIE_BREAK = 1e-6
#: Added to the NMS IoU threshold when serving. Proposals are integer pixel boxes, whose IoUs
#: are simple fractions that hit the paper's 0.3 exactly (e.g. 60 / 200); TF's and TFLite's
#: NMS round such a tie to opposite sides. A hair above it keeps exact ties on the same side.
NMS_TIE_EPSILON = 1e-4


@keras.saving.register_keras_serializable(package="keras_zoo")
class FastRCNN(common.Detector):
    """Fast R-CNN: one pass of a CNN over the whole image, then for each region proposal
    (selective search, computed outside the graph: ``keras_zoo.data.proposals``) a RoI max
    pooling of the feature map to a fixed ``pool_size`` grid, two fully connected layers, and
    two sibling outputs: a softmax over ``C + 1`` classes and per-class box regression offsets
    (Figure 1). The head is ``keras_zoo.models.detection.roi_head``'s, the one Faster R-CNN
    uses.

    Training (section 2.3): mini-batches of ``N`` images and ``R / N`` RoIs each, 25 %
    foreground (IoU >= 0.5 with a ground-truth box), the rest background (best IoU in
    ``[0.1, 0.5)``); the task's pipeline samples them with ``roi_head.sample_rois`` and the
    loss samples again, so a batch of all proposals trains too. The multi-task loss is
    ``L = L_cls + lambda [u >= 1] L_loc`` with smooth L1 (equations 1-3), lambda = 1, both
    averaged over the sampled RoIs. Box targets are normalised by (0.1, 0.1, 0.2, 0.2), as the
    paper's code does. Testing: per-class NMS of the class-specific boxes (section 3).

    Inputs: ``{"images": [B, H, W, 3] float in [0, 1], "proposals": [B, P, 4] xyxy pixels}``
    (``P`` may vary between calls; zero boxes are padding). The serving signature takes uint8
    images and ``num_proposals`` boxes per image: selective search is not a TF op, so the
    client (or ``keras_zoo.data.proposals.batch_proposals``) computes the proposals.

    Args:
        input_shape: ``(height, width, 3)`` of the images.
        num_classes: object classes, without background (20 for VOC).
        backbone: a registered classifier (``include_top=False``, last pooling dropped; the
            paper's VGG-16) or ``None`` for a small conv stack of ``filters``.
        filters: the conv stack's widths (one 2x2 pooling each).
        pool_size: RoI pooling's ``H x W`` (7 for VGG-16).
        head_units: the widths of fc6 and fc7 (4096).
        dropout: after fc6 and fc7 (VGG-16's 0.5).
        num_proposals: proposals per image of the serving signature (2000 in the paper).
        rois_per_image: ``R / N`` sampled per image for the loss (128 / 2 = 64).
        fg_fraction, bg_iou_low: the sampling's foreground share (0.25) and lowest background
            IoU (0.1).
        box_weight: lambda (1).
        max_detections, iou_threshold, score_threshold: of the served NMS (0.3 in the paper).
        name: the model's name.
    """

    def __init__(self, input_shape=(600, 600, 3), num_classes=20, backbone="vgg16",
                 filters=(64, 128, 256, 512), pool_size=7, head_units=4096, dropout=0.5,
                 num_proposals=2000, rois_per_image=64, fg_fraction=0.25, bg_iou_low=0.1,
                 box_weight=1.0, max_detections=100, iou_threshold=0.3, score_threshold=0.05,
                 name="fast_rcnn", **kwargs):
        input_shape = tuple(input_shape)
        common.validate("FastRCNN", input_shape, num_classes)
        for arg, value in (("num_proposals", num_proposals), ("rois_per_image", rois_per_image)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"FastRCNN: {arg} must be a positive int, got {value!r}.")
        if not 0.0 < fg_fraction <= 1.0 or not 0.0 <= bg_iou_low < 0.5:
            raise ValueError(f"FastRCNN: need 0 < fg_fraction <= 1 and 0 <= bg_iou_low < 0.5, "
                             f"got fg_fraction={fg_fraction}, bg_iou_low={bg_iou_low}.")
        # === Functional Model ===
        images = keras.Input(input_shape, name="images")
        proposals = keras.Input((None, 4), name="proposals")
        # A registered classifier's last max pooling is dropped: RoI pooling replaces it
        # (sections 2.1 and 2.2; VGG-16's conv5_3, stride 16).
        features = common.backbone_features(images, backbone, tuple(filters),
                                            drop_last_pool=True)[-1]
        stride = input_shape[0] / features.shape[1]
        rois = keras.layers.Identity(name="rois")(proposals)
        pooled = BatchedRoIPool(pool_size, 1.0 / stride, name="roi_pool")(features, rois)
        class_logits, box_deltas = box_head(pooled, num_classes, head_units, dropout)
        outputs = {"proposals": rois, "class_logits": class_logits, "box_deltas": box_deltas}
        super().__init__({"images": images, "proposals": proposals}, outputs, name=name,
                         **kwargs)
        # === Config ===
        self.num_proposals = num_proposals
        self.rois_per_image, self.fg_fraction = rois_per_image, float(fg_fraction)
        self.bg_iou_low, self.box_weight = float(bg_iou_low), float(box_weight)
        # The loss's RoI sampling: a model-owned generator, whose state
        # training.trainer.Backup saves, so that a resumed fit draws what the whole one drew.
        self.sampling_seed = keras.random.SeedGenerator(name="sampling_seed")
        self._configure(dict(
            input_shape=list(input_shape), num_classes=num_classes, backbone=backbone,
            filters=list(filters), pool_size=pool_size, head_units=head_units,
            dropout=dropout, num_proposals=num_proposals, rois_per_image=rois_per_image,
            fg_fraction=fg_fraction, bg_iou_low=bg_iou_low, box_weight=box_weight,
            max_detections=max_detections, iou_threshold=iou_threshold,
            score_threshold=score_threshold), max_detections, iou_threshold, score_threshold)

    def sample(self, proposals, boxes, classes, seed=None):
        """The paper's RoI sampling of ``[B, P, 4]`` proposals (``roi_head.sample_rois``),
        drawn from ``seed`` (a ``keras.random.SeedGenerator``; default the model's own)."""
        return sample_rois(proposals, boxes, classes, self.rois_per_image,
                           self.sampling_seed if seed is None else seed, fg_fraction=self.fg_fraction, fg_iou=0.5, bg_iou_low=self.bg_iou_low)

    def detection_loss(self, y, y_pred):
        proposals = tf.cast(y_pred["proposals"], tf.float32)
        sample = self.sample(proposals, y["boxes"], y["classes"])
        return head_loss(proposals, y_pred["class_logits"], y_pred["box_deltas"], sample,
                         self.num_classes, self.box_weight, average_over="rois")

    def decode(self, y_pred):
        return decode_head(tf.cast(y_pred["proposals"], tf.float32), y_pred["class_logits"],
                           y_pred["box_deltas"], self.num_classes,
                           rank_tie_break=RANK_TIE_BREAK)

    def detect(self, images, proposals=None):
        """Final detections (the serving dict, NMS in the graph) of float images in [0, 1]
        and their proposals ``[B, P, 4]`` (computed here by selective search if ``None``,
        eagerly only)."""
        if proposals is None:
            proposals = batch_proposals_for(images, self.num_proposals)
        boxes, scores = self.decode(self({"images": images, "proposals": proposals},
                                         training=False))
        return batched_nms(boxes, scores, self.max_detections,
                           self.iou_threshold + NMS_TIE_EPSILON, self.score_threshold,
                           image_size=self.image_size)


register(
    "fast_rcnn",
    task="proposal_detection",
    family="rcnn",
    # 16 proposals served, 8 RoIs sampled per image, 2x2 RoI pooling: the int8 check
    # calibrates and runs 32 images' proposals.
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, backbone=None, filters=(8, 16),
              pool_size=2, head_units=32, dropout=0.0, num_proposals=16, rois_per_image=8,
              max_detections=10),
    canonical=dict(input_shape=(600, 600, 3), num_classes=20, backbone="vgg16"),
    data="shapes_detection",
    recipe="fast_rcnn",
    paper="Girshick, Fast R-CNN, ICCV 2015",
    notes="proposals by selective search (fast mode, OpenCV) outside the graph: the serving "
          "signature takes uint8 images and num_proposals boxes per image (zero-padded). "
          "Canonical: the registry's VGG-16 up to conv5_3 (stride 16), 7x7 RoI pooling, "
          "fc6/fc7 4096 with dropout 0.5.",
)(FastRCNN)
